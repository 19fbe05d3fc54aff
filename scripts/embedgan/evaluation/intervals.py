"""95% intervals of a metric over seeds, and the tests that admit a difference between two runs
(scipy.stats), for the documents' comparisons.

One interval rule for a metric's mean over seeds (`mean_interval`), inside the metric's range:
the t interval taken on the logit scale for a share (values in [0, 1]) and on the log scale for
a positive number, mapped back (values at a bound are moved in by EDGE first). For a generator
without noise, whose accuracy rests on its few distinct images, `binomial_interval` gives the
exact (Clopper-Pearson) interval over them instead.

A difference b - a between two runs' seeds (`difference`) carries its 95% interval, the test that
gave it and that test's p-value:
- several seeds on both sides: Welch's t (unequal variances);
- one side's seeds all equal (no spread): a one-sample t of the other side against that value,
  named so (never silently);
- one run against several seeds: where the one run lies in the seeds' t prediction interval;
- one run against one run, or no spread on either side: no test.

A family of such tests (the first screen's claims, one ablation) is corrected for the number of
tests by Holm's step-down method (`holm`): a difference counts only where its Holm-adjusted
p-value is below 5%."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95
ALPHA = 1 - LEVEL
EDGE = 1e-3  # how far a value at a bound of its range is moved in before the logit or log


@dataclass(frozen=True)
class Difference:
    """b - a, its 95% interval (NaN where none can be given), the test that gave it and its
    p-value (NaN without a test)."""

    value: float
    low: float
    high: float
    test: str
    p: float = math.nan

    @property
    def tested(self) -> bool:
        return not math.isnan(self.p)

    @property
    def excludes_zero(self) -> bool:
        """The 95% interval excludes 0 (uncorrected for the number of tests)."""
        return not math.isnan(self.low) and (self.low > 0 or self.high < 0)


def t_half(values: np.ndarray) -> float:
    """Half the 95% t interval of the mean of `values`."""
    return stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))


def to_scale(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    if math.isinf(low):
        return values
    if math.isinf(high):
        return np.log(np.maximum(values - low, EDGE))
    share = np.clip((values - low) / (high - low), EDGE, 1 - EDGE)
    return np.log(share / (1 - share))


def from_scale(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    low, high = bounds
    if math.isinf(low):
        return values
    if math.isinf(high):
        return low + np.exp(values)
    return low + (high - low) / (1 + np.exp(-values))


def scale_name(bounds: tuple[float, float]) -> str:
    """The scale `mean_interval` takes the t interval on, for a metric in `bounds`."""
    if math.isinf(bounds[0]):
        return "plain"
    return "log" if math.isinf(bounds[1]) else "logit"


def mean_interval(values, bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """(mean, low, high): the mean over seeds and the 95% t interval, taken on the scale that
    keeps it inside `bounds` (logit for a bounded metric, log for a positive one) and mapped
    back; NaN bounds for one value or a missing one; the value itself where the seeds agree."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2 or np.isnan(values).any():
        return mean, math.nan, math.nan
    if np.ptp(values) == 0:  # seeds without spread: the interval is the value (not moved off a bound)
        return mean, mean, mean
    scaled = to_scale(values, bounds)
    centre, half = scaled.mean(), t_half(scaled)
    low, high = from_scale(np.array([centre - half, centre + half]), bounds)
    return mean, float(low), float(high)


def binomial_interval(successes: int, trials: int) -> tuple[float, float, float]:
    """(share, low, high): the exact binomial interval of `successes` of `trials`."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=LEVEL, method="exact")
    return successes / trials, float(ci.low), float(ci.high)


def welch_degrees_of_freedom(a: np.ndarray, b: np.ndarray) -> float:
    """The Welch-Satterthwaite degrees of freedom of two samples' mean difference."""
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    return (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))


def difference(a, b) -> Difference:
    """b's values against a's (each over seeds), by the tests of the module's docstring."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    value = float(b.mean() - a.mean())
    if np.isnan(a).any() or np.isnan(b).any():
        return Difference(value, math.nan, math.nan, "a value missing: no test")
    if len(a) > 1 and len(b) > 1:
        flat_a, flat_b = np.ptp(a) == 0, np.ptp(b) == 0
        if flat_a and flat_b:
            return Difference(value, math.nan, math.nan, "both arms' seeds identical: no test")
        if flat_a or flat_b:  # the side without spread is a known value: a one-sample t of the other
            several, fixed, sign = (b, a[0], 1) if flat_a else (a, b[0], -1)
            half = t_half(several)
            result = stats.ttest_1samp(several, fixed)
            side = "first" if flat_a else "second"
            return Difference(value, float(value - half), float(value + half),
                              f"one-sample t (the {side} arm's seeds all equal {fixed:.3g})", float(result.pvalue))
        with warnings.catch_warnings():  # near-equal values: scipy warns of precision, not of a wrong result
            warnings.simplefilter("ignore", RuntimeWarning)
            result = stats.ttest_ind(b, a, equal_var=False)
            ci = result.confidence_interval(LEVEL)
        return Difference(value, float(ci.low), float(ci.high), "Welch's t", float(result.pvalue))
    if len(a) > 1 or len(b) > 1:
        several = a if len(a) > 1 else b
        if np.ptp(several) == 0:
            return Difference(value, math.nan, math.nan, "t prediction interval: seeds identical, no test")
        scale = several.std(ddof=1) * math.sqrt(1 + 1 / len(several))
        half = stats.t.ppf(0.5 + LEVEL / 2, len(several) - 1) * scale
        p = 2 * stats.t.sf(abs(value) / scale, len(several) - 1)
        return Difference(value, float(value - half), float(value + half), "t prediction interval", float(p))
    return Difference(value, math.nan, math.nan, "one run each: no test")


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values of a family of tests (NaN: no test, left out of the
    family's count and left NaN)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if not math.isnan(p))
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (len(tested) - rank) * p))
        adjusted[i] = running
    return adjusted
