"""95% intervals of a metric over seeds, and the tests that admit a difference between two runs
(scipy.stats), for the documents' comparisons: a difference counts only where its test holds its
false-alarm rate at 5%.

- several seeds on both sides: Welch's t (unequal variances), its interval of the difference;
- one run against several seeds: whether the one run lies outside the seeds' 95% t prediction
  interval (where a further seed of the same recipe would fall 95% of the time);
- one run against one run, or seeds without spread: nothing can be admitted (no spread known).

The accuracy of a generator without noise rests on its few distinct images (one per class):
`binomial_interval` gives its exact (Clopper-Pearson) interval over them."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

LEVEL = 0.95


@dataclass(frozen=True)
class Difference:
    """b - a, its 95% interval (NaN where none can be given), the test that gave it, and
    whether the test admits it (the interval excludes 0)."""

    value: float
    low: float
    high: float
    test: str

    @property
    def admitted(self) -> bool:
        return not math.isnan(self.low) and (self.low > 0 or self.high < 0)


def mean_interval(values) -> tuple[float, float, float]:
    """(mean, low, high): the t interval of the mean over seeds (NaN bounds for one value)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.5 + LEVEL / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def binomial_interval(successes: int, trials: int) -> tuple[float, float, float]:
    """(share, low, high): the exact binomial interval of `successes` of `trials`."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=LEVEL, method="exact")
    return successes / trials, float(ci.low), float(ci.high)


def difference(a, b) -> Difference:
    """b's values against a's (each over seeds): Welch's t where both have several, a t
    prediction interval of the side with several where the other has one, else none."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    value = float(b.mean() - a.mean())
    if len(a) > 1 and len(b) > 1:
        if np.ptp(a) == 0 and np.ptp(b) == 0:  # no spread on either side: t is undefined
            return Difference(value, math.nan, math.nan, "Welch's t: no spread, no test")
        with warnings.catch_warnings():  # equal values on one side: scipy warns of precision, not of a wrong result
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(LEVEL)
        return Difference(value, float(ci.low), float(ci.high), "Welch's t")
    if len(a) > 1 or len(b) > 1:
        several = a if len(a) > 1 else b
        if np.ptp(several) == 0:
            return Difference(value, math.nan, math.nan, "t prediction interval: no spread, no test")
        half = stats.t.ppf(0.5 + LEVEL / 2, len(several) - 1) * several.std(ddof=1) * math.sqrt(1 + 1 / len(several))
        return Difference(value, value - half, value + half, "t prediction interval")
    return Difference(value, math.nan, math.nan, "one run each: no test")
