"""The catalogue of metrics: for each number of a run's metrics (evaluation.metrics, .cas) that
the documents show, its label, its number formats, which way is better, what a perfect
generator scores on the same work and where that comes from, the range its values lie in, the
smallest difference that matters (a difference inside it is never claimed), whether it judges
each class on its own (class-aware: images of the wrong class do not count as variety), and the
tables that list it. Adding a metric is an entry here plus its computation
(tests/test_catalogue.py adds one and finds it in every table that names it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

PRDC = ("precision", "recall", "density", "coverage")
# PRDC taken within each class (the generated images of a class against real images of that
# class) and averaged over the classes: variety that counts only images of the intended class.
CLASS_PRDC = {"class_recall": "recall", "class_coverage": "coverage"}
UNIT = (0.0, 1.0)  # a share
POSITIVE = (0.0, math.inf)  # a distance or a loss


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
    bounds: tuple[float, float] = POSITIVE  # the range its values lie in
    # The smallest difference that matters: absolute, or (relative) a share of the value compared against.
    smallest_difference: float = 0.05
    relative: bool = False
    class_aware: bool = False  # judges each class on its own (accuracy, CAS, per-class variety)

    def matters(self, difference: float, against: float) -> bool:
        """Whether a difference from `against` is at least the smallest that matters."""
        return abs(difference) >= self.minimum(against)

    def minimum(self, against: float) -> float:
        """The smallest difference that matters, from a value of `against`."""
        return self.smallest_difference * abs(against) if self.relative else self.smallest_difference

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.reference_label})" if self.reference_label else self.label

    def value(self, metrics: dict) -> float:
        """The run's value (NaN where there is none: a PRDC set too small)."""
        if self.key in CLASS_PRDC:
            return class_mean([(c["prdc"] or {}).get(CLASS_PRDC[self.key]) for c in metrics["per_class"]])
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


def class_mean(values: list) -> float:
    """The mean over the classes (NaN where a class has none)."""
    return math.nan if any(v is None for v in values) else sum(values) / len(values)


def class_prdc_reference(key: str):
    """A perfect generator's per-class value, averaged over the classes (its spread: the mean
    of the classes' spreads over draws)."""

    def reference(metrics: dict, classifier: dict, cas_real: dict | None) -> tuple[float, float]:
        perfect = [(c["prdc"] or {}).get("perfect") for c in metrics["per_class"]]
        if any(p is None for p in perfect):
            return math.nan, 0.0
        return class_mean([p[key]["mean"] for p in perfect]), class_mean([p[key]["std"] for p in perfect])

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
    **{key: class_prdc_reference(within) for key, within in CLASS_PRDC.items()},
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
    "recall": ("fidelity", "compare", "results", "per_class"),
    "density": ("fidelity",),
    "coverage": ("fidelity", "compare"),
}
PRDC_BOUNDS = {"precision": UNIT, "recall": UNIT, "density": POSITIVE, "coverage": UNIT}


def columns(table: str) -> list[str]:
    """The metrics a table lists (TABLES), in the catalogue's order."""
    return [key for key, metric in METRICS.items() if table in metric.tables]


METRICS = {
    metric.key: metric
    for metric in (
        Metric("accuracy", "accuracy", "{:.3f}", "{:.2f}", "higher",
               "the reference classifier's accuracy on real test images", "real images",
               ("metrics", "compare", "results", "options", "per_class", "ladder_gains", "arms"),
               bounds=UNIT, smallest_difference=0.02, class_aware=True),
        Metric("cross_entropy", "CE", "{:.3f}", "{:.2f}", "lower", "", tables=("metrics",), relative=True,
               smallest_difference=0.1),
        Metric("frechet_distance", "FD", "{:.2f}", "{:.1f}", "lower",
               "real sets of the generated counts per class from the held-out half, against the same "
               "reference (mean ± std over draws)", "perfect generator",
               ("metrics", "compare", "results", "per_class"), drawn=True, relative=True, smallest_difference=0.1),
        Metric("frechet_best_point", "FD of the best single point", "{:.2f}", "{:.1f}", "lower", "",
               tables=("per_class",), relative=True, smallest_difference=0.1),
        Metric("frechet_class_means", "FD class means", "{:.2f}", "{:.1f}", "lower", "", tables=("metrics",),
               relative=True, smallest_difference=0.1),
        *(Metric(key, key, "{:.2f}", "{:.2f}", "higher",
                 "real sets of the same counts from the reference half (mean ± std over draws)", "perfect",
                 PRDC_TABLES[key], drawn=True, bounds=PRDC_BOUNDS[key]) for key in PRDC),
        *(Metric(key, f"per-class {within}", "{:.2f}", "{:.2f}", "higher",
                 f"real sets of the same counts from the reference half, {within} within each class "
                 "(mean over classes of the mean ± std over draws)", "perfect",
                 ("fidelity", "compare", "ladder_gains", "arms"), drawn=True, bounds=UNIT, class_aware=True)
          for key, within in CLASS_PRDC.items()),
        Metric("cas", "CAS", "{:.3f}", "{:.2f}", "higher",
               "the same training on real training images (mean ± std over seeds)", "real images",
               ("metrics", "compare", "results", "ladder_gains", "arms"), drawn=True, bounds=UNIT,
               smallest_difference=0.02, class_aware=True),
        Metric("diversity", "diversity", "{:.3f}", "{:.2f}", "real", "real test images of the class", "real",
               ("metrics", "compare", "results", "options", "per_class"), relative=True, smallest_difference=0.1),
        Metric("nearest_train_distance", "NN dist", "{:.2f}", "{:.2f}", "real",
               "real test images of the generated counts", "real", ("metrics",), relative=True,
               smallest_difference=0.1),
        Metric("total_variation", "TV", "{:.4f}", "{:.3f}", "real", "real test images of the generated counts",
               "real", ("options",), relative=True, smallest_difference=0.1),
    )
}


def number(value: float, form: str) -> str:
    """A number as `form` writes it, "–" where there is none (NaN)."""
    return "–" if value is None or math.isnan(value) else form.format(value)
