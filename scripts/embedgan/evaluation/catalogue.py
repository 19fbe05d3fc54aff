"""The catalogue of metrics: for each number of a run's metrics (evaluation.metrics, .cas) that
the documents show, its label, its number formats, which way is better, what a perfect
generator scores on the same work and where that comes from, and the tables that list it.
Adding a metric is an entry here plus its computation (tests/test_catalogue.py adds one and
finds it in every table that names it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

PRDC = ("precision", "recall", "density", "coverage")


@dataclass(frozen=True)
class Metric:
    key: str  # in metrics.json (the PRDC values under "prdc")
    label: str
    form: str  # its numbers in the documents
    short: str  # in the compact tables (the answer, the ablations)
    better: str  # "higher", "lower", or "real": the nearer the real images' value, the better
    perfect: str  # where a perfect generator's value comes from ("": there is none)
    reference_label: str = ""  # a perfect generator's value, named in a table's header
    tables: tuple[str, ...] = ()  # the tables that list it (TABLES)
    drawn: bool = False  # a perfect generator's value varies over draws or seeds: shown ± its spread

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.reference_label})" if self.reference_label else self.label

    def value(self, metrics: dict) -> float:
        """The run's value (NaN where there is none: a PRDC set too small)."""
        value = (metrics["prdc"] or {}).get(self.key) if self.key in PRDC else metrics.get(self.key)
        return math.nan if value is None else float(value)

    def reference(self, metrics: dict, classifier: dict, cas_real: dict | None) -> tuple[float, float]:
        """A perfect generator's (value, spread over its draws or seeds) on the same work as the
        run's `metrics` (NaN where unknown, spread 0 where it has none)."""
        return PERFECT.get(self.key, lambda m, c, r: (math.nan, 0.0))(metrics, classifier, cas_real)


def prdc_reference(key: str):
    def reference(metrics: dict, classifier: dict, cas_real: dict | None) -> tuple[float, float]:
        perfect = (metrics["prdc"] or {}).get("perfect")
        return (perfect[key]["mean"], perfect[key]["std"]) if perfect else (math.nan, 0.0)

    return reference


def real_value(key: str):
    """A reference the run's metrics hold beside its value (NaN where they do not: a class)."""
    return lambda metrics, classifier, cas_real: (metrics.get(key, math.nan), 0.0)


# A perfect generator's value of each metric, from the run's metrics, the reference classifier's
# summary and the CAS of real images.
PERFECT = {
    "accuracy": lambda m, classifier, real: (classifier["test_accuracy"], 0.0),
    "frechet_distance": lambda m, classifier, real: (m["frechet_floor"], m["frechet_floor_std"]),
    **{key: prdc_reference(key) for key in PRDC},
    "cas": lambda m, classifier, real: (real["test_accuracy"], real["test_accuracy_std"]) if real else (math.nan, 0.0),
    "diversity": real_value("diversity_real"),
    "nearest_train_distance": real_value("nearest_train_distance_real_test"),
    "total_variation": real_value("total_variation_real"),
}

# The tables that list metrics by the catalogue, in its order: the report's metrics and
# fidelity tables, the comparisons (noise pairs, ladders, ablations), the results page's first
# table, the options beyond the notebook, each experiment's classes, the ladder's gains, the
# arms of the results page's first screen (and its answer).
TABLES = ("metrics", "fidelity", "compare", "results", "options", "per_class", "ladder_gains", "arms")
PRDC_TABLES = {
    "precision": ("fidelity", "compare", "results", "per_class"),
    "recall": ("fidelity", "compare", "results", "per_class", "ladder_gains", "arms"),
    "density": ("fidelity",),
    "coverage": ("fidelity", "compare"),
}


def columns(table: str) -> list[str]:
    """The metrics a table lists (TABLES), in the catalogue's order."""
    return [key for key, metric in METRICS.items() if table in metric.tables]


METRICS = {
    metric.key: metric
    for metric in (
        Metric("accuracy", "accuracy", "{:.3f}", "{:.2f}", "higher",
               "the reference classifier's accuracy on real test images", "real images",
               ("metrics", "compare", "results", "options", "per_class", "ladder_gains", "arms")),
        Metric("cross_entropy", "CE", "{:.3f}", "{:.2f}", "lower", "", tables=("metrics",)),
        Metric("frechet_distance", "FD", "{:.2f}", "{:.1f}", "lower",
               "real sets of the generated counts per class from the held-out half, against the same "
               "reference (mean ± std over draws)", "perfect generator",
               ("metrics", "compare", "results", "per_class", "arms"), drawn=True),
        Metric("frechet_best_point", "FD of the best single point", "{:.2f}", "{:.1f}", "lower", "",
               tables=("per_class",)),
        Metric("frechet_class_means", "FD class means", "{:.2f}", "{:.1f}", "lower", "", tables=("metrics",)),
        *(Metric(key, key, "{:.2f}", "{:.2f}", "higher",
                 "real sets of the same counts from the reference half (mean ± std over draws)", "perfect",
                 PRDC_TABLES[key], drawn=True) for key in PRDC),
        Metric("cas", "CAS", "{:.3f}", "{:.2f}", "higher",
               "the same training on real training images (mean ± std over seeds)", "real images",
               ("metrics", "compare", "results", "ladder_gains", "arms"), drawn=True),
        Metric("diversity", "diversity", "{:.3f}", "{:.2f}", "real", "real test images of the class", "real",
               ("metrics", "compare", "results", "options", "per_class")),
        Metric("nearest_train_distance", "NN dist", "{:.2f}", "{:.2f}", "real",
               "real test images of the generated counts", "real", ("metrics",)),
        Metric("total_variation", "TV", "{:.4f}", "{:.3f}", "real", "real test images of the generated counts",
               "real", ("options",)),
    )
}


def number(value: float, form: str) -> str:
    """A number as `form` writes it, "–" where there is none (NaN)."""
    return "–" if value is None or math.isnan(value) else form.format(value)
