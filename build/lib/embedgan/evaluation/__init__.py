"""Judging a run: the reference classifiers, the metrics, CAS, Inception metrics and the probes."""
