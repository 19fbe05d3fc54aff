"""The one owner of the computed files' paths: each run's files (its first run under
results/<exp>/, the further seeds' under results/<exp>/seed<N>/), the data sets', the reference
classifiers', every job's log and benchmark file; and reading a finished run's judgements back.
The workflow's rules and the documents read paths here; the computing jobs get theirs from
their rule (embedgan.config.runs). The documents' own files (the report, the pictures, the
results page) are embedgan.documents.files's.
"""

from __future__ import annotations

import json
from pathlib import Path

from embedgan.config.runs import Run

RESULTS = "results"
LOGS = "logs"
BENCHMARKS = "benchmarks"
DATASETS = "resources/datasets"  # every data set in one canonical file, with its manifest
# The standard FID Inception-v3 weights (torch-fidelity's), for inception_metrics: true.
INCEPTION_WEIGHTS = "resources/inception/weights-inception-2015-12-05-6726825d.pth"
# A data set's reference classifier and its real-image CAS, under results/classifiers/.
CLASSIFIER_FILES = {
    "model": "{dataset}.pt",
    "summary": "{dataset}.json",
    "checkpoint": "{dataset}.checkpoint.pt",
    "cas_real": "{dataset}_cas_real.json",
    "cas_real_checkpoint": "{dataset}_cas_real.checkpoint.pt",
}
# A run's computed files under its folder.
ARTIFACTS = {
    "model": "model.pt",
    "checkpoint": "checkpoint.pt",
    "history": "history.json",
    "snapshots": "snapshots.npz",
    "samples": "samples.npz",
    "metrics": "metrics.json",
    "cas": "cas.json",  # the classification accuracy score (embedgan.evaluation.cas)
    "cas_checkpoint": "cas.checkpoint.pt",
    "curve": "curve.json",  # accuracy, FD, recall at each point of training (embedgan.evaluation.curves)
    # each class's first draw and its nearest training image (the picture's: embedgan.documents.files)
    "nearest_images": "nearest.npz",
    "captions": "captions.json",  # beyond the notebook, for the experiments whose config asks
}


# The metrics a job of their own computes beside `evaluate` (a metric's key -> its artifact and
# the field of that file that holds it): the documents read each run's metrics with them
# (read_metrics) and wait for their files (embedgan.documents.plan.document_inputs).
JUDGED_APART = {"cas": ("cas", "test_accuracy")}


def pattern(artifact: str, run: str = "{run}") -> str:
    """An artifact's path; with the default argument a Snakemake pattern."""
    return f"{RESULTS}/{run}/{ARTIFACTS[artifact]}"


def classifier_file(dataset: str, kind: str) -> str:
    """A file of a data set's reference classifier (CLASSIFIER_FILES); "{dataset}": a pattern."""
    return f"{RESULTS}/classifiers/{CLASSIFIER_FILES[kind].format(dataset=dataset)}"


def cas_real_file(dataset: str) -> str:
    """The classification accuracy score of a data set's real training images."""
    return classifier_file(dataset, "cas_real")


def log_file(rule: str, job: str | None = None) -> str:
    """The log of a rule's job (`job`: its wildcard value or pattern; None for a single job)."""
    return f"{LOGS}/{rule}/{job}.log" if job else f"{LOGS}/{rule}.log"


def benchmark_file(rule: str, job: str | None = None) -> str:
    """Snakemake's benchmark file of a rule's job, as log_file names it."""
    return f"{BENCHMARKS}/{rule}/{job}.tsv" if job else f"{BENCHMARKS}/{rule}.tsv"


def dataset_files(dataset: str) -> dict[str, str]:
    """A data set's canonical data file and its manifest (written by its fetch job)."""
    return {"images": f"{DATASETS}/{dataset}.npz", "manifest": f"{DATASETS}/{dataset}.json"}


def run_file(run: Run, artifact: str) -> str:
    """A run's computed file (ARTIFACTS)."""
    return pattern(artifact, run.name)


def read_json(path: str) -> dict:
    return json.loads(Path(path).read_text())


def read_judgement(run: Run, artifact: str) -> dict:
    """A run's judgement (metrics, cas), refused where the file names another run."""
    judgement = read_json(run_file(run, artifact))
    named = judgement.get("run", {}).get("name")
    if named != run.name:
        raise ValueError(f"{run_file(run, artifact)} judges run {named!r}, not {run.name!r}")
    return judgement


def read_metrics(run: Run) -> dict:
    """A run's metrics (evaluate's metrics.json) with the numbers of the jobs that judge it on
    their own (JUDGED_APART: the classification accuracy score as `cas`)."""
    metrics = read_judgement(run, "metrics")
    return {**metrics, **{key: read_judgement(run, artifact)[field] for key, (artifact, field) in JUDGED_APART.items()}}
