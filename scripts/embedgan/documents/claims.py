"""The one rule by which a document says that two runs differ. From a metric's values over the
seeds of each (embedgan.evaluation.intervals), every comparison of a family (the first screen's,
one ablation's, one ladder's) is tested; the family is corrected for its number of tests by
Holm's method; and a difference is claimed only where its Holm-adjusted p-value is below 5% and
it is at least the metric's smallest difference that matters (the catalogue). A claim says which
way the difference goes, by how much, with its 95% interval; nothing is said otherwise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from embedgan.documents.labels import METRICS
from embedgan.evaluation.intervals import ALPHA, Difference, difference, holm

# How a difference reads, by the metric's direction (catalogue.Metric.better): "real" metrics
# (nearest the real images' value is best) are said to be higher or lower only.
VERDICT = {"higher": ("better", "worse"), "lower": ("worse", "better")}

TEST_NOTE = (
    "A difference is claimed only where its test, corrected for the number of comparisons in its "
    "family by Holm's method, admits it at 5%, and where it is at least the metric's smallest "
    "difference that matters ({smallest}). The tests: Welch's t between two arms' seeds; where one "
    "arm's seeds are all equal, a one-sample t of the other's against that value (said so); one "
    "run against several seeds: the seeds' t prediction interval. \"No difference admitted\" "
    "makes no claim: it does not find the arms equal (with a few seeds a real difference can "
    "fail the corrected test). Intervals of a difference are 95% (uncorrected), of a mean the 95% "
    "t interval taken on the logit scale (a share) or the log scale (a positive number) and "
    "mapped back, so that it stays inside the metric's range; for a generator without noise, "
    "accuracy is the share of its distinct images (one per class and seed) with its exact "
    "binomial interval."
)


def smallest_differences(keys: Sequence[str], relative_to: str = "the value compared against") -> str:
    """The smallest difference that matters of each metric, in words."""
    return ", ".join(
        f"{METRICS[key].label} {METRICS[key].smallest_difference:.0%} of {relative_to}"
        if METRICS[key].relative else f"{METRICS[key].label} {METRICS[key].smallest_difference:g}"
        for key in keys
    )


def test_note(keys: Sequence[str]) -> str:
    return TEST_NOTE.format(smallest=smallest_differences(keys))


@dataclass(frozen=True)
class Claim:
    """One tested difference of metric `key`, b against a, within its family."""

    key: str
    found: Difference
    against: float  # a's mean: what a relative smallest difference is a share of
    adjusted_p: float  # Holm-adjusted within the family (NaN: no test)
    family: int  # tests in the family

    @property
    def matters(self) -> bool:
        return METRICS[self.key].matters(self.found.value, self.against)

    @property
    def admitted(self) -> bool:
        return not math.isnan(self.adjusted_p) and self.adjusted_p < ALPHA and self.matters

    @property
    def interval(self) -> tuple[float, float]:
        """The 95% interval, inside the range a difference of the metric can take."""
        low, high = METRICS[self.key].bounds
        width = high - low
        return max(self.found.low, -width), min(self.found.high, width)

    def direction(self) -> tuple[str, str]:
        """("higher" or "lower", "better"/"worse" or "" for a metric whose best is the real value)."""
        way = "higher" if self.found.value > 0 else "lower"
        verdict = VERDICT.get(METRICS[self.key].better)
        return way, (verdict[0] if self.found.value > 0 else verdict[1]) if verdict else ""

    def clause(self, than: str = "") -> str | None:
        """"higher accuracy{than} (better): +0.34 (+0.30 to +0.38)", or None where not admitted."""
        if not self.admitted:
            return None
        way, verdict = self.direction()
        judged = f" ({verdict})" if verdict else ""
        return f"{way} {METRICS[self.key].label}{than}{judged}: {self.amount()}"

    def readable(self) -> str:
        """"per-class recall higher: +0.45 (+0.30 to +0.60), better"."""
        way, verdict = self.direction()
        return f"{METRICS[self.key].label} {way}: {self.amount()}" + (f", {verdict}" if verdict else "")

    def amount(self) -> str:
        signed = METRICS[self.key].short.replace("{:", "{:+")
        low, high = self.interval
        note = f"; {self.found.test}" if self.found.test.startswith("one-sample") else ""
        return f"{signed.format(self.found.value)} ({signed.format(low)} to {signed.format(high)}{note})"

    def why_not(self) -> str:
        """Why the claim is not made, in a few words."""
        if not self.found.tested:
            return self.found.test
        if not self.matters:
            return f"inside the smallest difference that matters ({METRICS[self.key].label})"
        return f"Holm-adjusted p = {self.adjusted_p:.2f}"


def judge(tests: Sequence[tuple[str, Sequence[float], Sequence[float]]]) -> list[Claim]:
    """A family of tests, each (metric key, a's values, b's values), judged together: each one's
    Difference, with its p-value Holm-adjusted over the family."""
    found = [difference(a, b) for _, a, b in tests]
    adjusted = holm([d.p for d in found])
    size = sum(d.tested for d in found)
    return [
        Claim(key, d, float(np.mean(a)), p, size)
        for (key, a, _), d, p in zip(tests, found, adjusted, strict=True)
    ]


def said(claims: Sequence[Claim], than: str = "") -> str | None:
    """The admitted claims as clauses joined by semicolons, or None where none is admitted."""
    clauses = [text for claim in claims if (text := claim.clause(than))]
    return "; ".join(clauses) if clauses else None


def nothing_admitted(claims: Sequence[Claim]) -> str:
    """What to say where a comparison's claims admit nothing: why, from its first test."""
    first = claims[0]
    if not first.found.tested:
        return f"no test can be made ({first.found.test})"
    return f"no difference that matters the test admits ({first.found.test}, Holm over {first.family} tests)"
