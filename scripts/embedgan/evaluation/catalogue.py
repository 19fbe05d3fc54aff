"""The catalogue of metrics: what each number of a run's metrics (evaluation.metrics, .cas) is:
which way is better, what a perfect generator scores on the same work (read from the run's
metrics, the reference classifier and the CAS of real images), the range its values lie in,
the smallest difference that matters (a difference inside it is never claimed), and whether it
judges each class on its own (class-aware: images of the wrong class do not count as variety).
How a metric is shown (its label, formats and tables) is embedgan.documents.labels's, so that
rewording a heading reruns no evaluation. Adding a metric: docs/extending.md."""

from __future__ import annotations

import math
from dataclasses import dataclass

from embedgan.evaluation.metrics import PRDC

# PRDC taken within each class (the generated images of a class against real images of that
# class) and averaged over the classes: variety that counts only images of the intended class.
CLASS_PRDC = {"class_recall": "recall", "class_coverage": "coverage"}
UNIT = (0.0, 1.0)  # a share
POSITIVE = (0.0, math.inf)  # a distance or a loss


@dataclass(frozen=True)
class Metric:
    key: str  # in metrics.json (the PRDC values under "prdc")
    better: str  # "higher", "lower", or "real": the nearer the real images' value, the better
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
# summary and the CAS of real images (a metric absent here has none: CE, the FD's variants).
PERFECT = {
    # the reference classifier's accuracy on real test images
    "accuracy": lambda m, classifier, real: (classifier["test_accuracy"], 0.0),
    # real sets of the generated counts per class from the held-out half, against the same
    # reference (mean ± std over draws)
    "frechet_distance": lambda m, classifier, real: (m["frechet_floor"], m["frechet_floor_std"]),
    # real sets of the same counts from the reference half (mean ± std over draws); per class:
    # within each class, the mean over the classes
    **{key: prdc_reference(key) for key in PRDC},
    **{key: class_prdc_reference(within) for key, within in CLASS_PRDC.items()},
    # the same training on real training images (mean ± std over seeds)
    "cas": lambda m, classifier, real: (real["test_accuracy"], real["test_accuracy_std"]) if real else (math.nan, 0.0),
    # real test images of the class / of the generated counts
    "diversity": real_value("diversity_real"),
    "nearest_train_distance": real_value("nearest_train_distance_real_test"),
    "total_variation": real_value("total_variation_real"),
}

PRDC_BOUNDS = {"precision": UNIT, "recall": UNIT, "density": POSITIVE, "coverage": UNIT}

METRICS = {
    metric.key: metric
    for metric in (
        Metric("accuracy", "higher", bounds=UNIT, smallest_difference=0.02, class_aware=True),
        Metric("cross_entropy", "lower", relative=True, smallest_difference=0.1),
        Metric("frechet_distance", "lower", drawn=True, relative=True, smallest_difference=0.1),
        Metric("frechet_best_point", "lower", relative=True, smallest_difference=0.1),
        Metric("frechet_class_means", "lower", relative=True, smallest_difference=0.1),
        *(Metric(key, "higher", drawn=True, bounds=PRDC_BOUNDS[key]) for key in PRDC),
        *(Metric(key, "higher", drawn=True, bounds=UNIT, class_aware=True) for key in CLASS_PRDC),
        Metric("cas", "higher", drawn=True, bounds=UNIT, smallest_difference=0.02, class_aware=True),
        Metric("diversity", "real", relative=True, smallest_difference=0.1),
        Metric("nearest_train_distance", "real", relative=True, smallest_difference=0.1),
        Metric("total_variation", "real", relative=True, smallest_difference=0.1),
    )
}
