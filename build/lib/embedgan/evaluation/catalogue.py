"""The catalogue of metrics: for each number of a run's metrics (evaluation.metrics, .cas) that
the documents show, its label, its number formats, which way is better, and what a perfect
generator scores on the same work and where that comes from. Every table of the documents
reads a metric here: adding one is an entry here plus its computation; the tables that list
metrics (`tables`: the ablation's, the results page's first table, the compact PRDC columns of
the noise and ladder tables, the ladder's gains) take it by that entry alone
(tests/test_catalogue.py adds one and finds it in each)."""

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

    def value(self, metrics: dict) -> float:
        """The run's value (NaN where there is none: a PRDC set too small)."""
        value = metrics["prdc"][self.key] if self.key in PRDC else metrics.get(self.key)
        return math.nan if value is None else float(value)

    def reference(self, metrics: dict, classifier: dict, cas_real: dict | None) -> tuple[float, float]:
        """A perfect generator's (value, spread over its draws or seeds) on the same work as the
        run's `metrics` (NaN where unknown, spread 0 where it has none)."""
        return PERFECT.get(self.key, lambda m, c, r: (math.nan, 0.0))(metrics, classifier, cas_real)


def prdc_reference(key: str):
    def reference(metrics: dict, classifier: dict, cas_real: dict | None) -> tuple[float, float]:
        perfect = metrics["prdc"].get("perfect")
        return (perfect[key]["mean"], perfect[key]["std"]) if perfect else (math.nan, 0.0)

    return reference


# A perfect generator's value of each metric, from the run's metrics, the reference classifier's
# summary and the CAS of real images.
PERFECT = {
    "accuracy": lambda m, classifier, real: (classifier["test_accuracy"], 0.0),
    "frechet_distance": lambda m, classifier, real: (m["frechet_floor"], m["frechet_floor_std"]),
    **{key: prdc_reference(key) for key in PRDC},
    "cas": lambda m, classifier, real: (real["test_accuracy"], real["test_accuracy_std"]) if real else (math.nan, 0.0),
    "diversity": lambda m, classifier, real: (m["diversity_real"], 0.0),
    "nearest_train_distance": lambda m, classifier, real: (m["nearest_train_distance_real_test"], 0.0),
    "total_variation": lambda m, classifier, real: (m["total_variation_real"], 0.0),
}

# The tables that list metrics by the catalogue, in its order.
PRDC_TABLES = {
    "precision": ("ablation", "results", "compact_prdc"),
    "recall": ("ablation", "results", "compact_prdc", "ladder_gains"),
    "density": (),
    "coverage": ("ablation", "compact_prdc"),
}
TABLES = ("ablation", "results", "compact_prdc", "ladder_gains")
EVERY_TABLE = ("ablation", "results")


def columns(table: str) -> list[str]:
    """The metrics a table lists (TABLES), in the catalogue's order."""
    return [key for key, metric in METRICS.items() if table in metric.tables]


METRICS = {
    metric.key: metric
    for metric in (
        Metric("accuracy", "accuracy", "{:.3f}", "{:.2f}", "higher",
               "the reference classifier's accuracy on real test images", "real images", ("ablation", "ladder_gains")),
        Metric("cross_entropy", "CE", "{:.3f}", "{:.2f}", "lower", ""),
        Metric("frechet_distance", "FD", "{:.2f}", "{:.1f}", "lower",
               "real sets of the generated counts per class from the held-out half, against the same "
               "reference (mean ± std over draws)", "perfect generator", EVERY_TABLE),
        Metric("frechet_class_means", "FD class means", "{:.2f}", "{:.1f}", "lower", ""),
        *(Metric(key, key, "{:.2f}", "{:.2f}", "higher",
                 "real sets of the same counts from the reference half (mean ± std over draws)", "perfect",
                 PRDC_TABLES[key]) for key in PRDC),
        Metric("cas", "CAS", "{:.3f}", "{:.2f}", "higher",
               "the same training on real training images (mean ± std over seeds)", "real images",
               (*EVERY_TABLE, "ladder_gains")),
        Metric("diversity", "diversity", "{:.3f}", "{:.2f}", "real", "real test images of the class", "real",
               EVERY_TABLE),
        Metric("nearest_train_distance", "NN dist", "{:.2f}", "{:.2f}", "real",
               "real test images of the generated counts"),
        Metric("total_variation", "TV", "{:.4f}", "{:.3f}", "real", "real test images of the generated counts"),
    )
}


def number(value: float, form: str) -> str:
    """A number as `form` writes it, "–" where there is none (NaN)."""
    return "–" if value is None or math.isnan(value) else form.format(value)
