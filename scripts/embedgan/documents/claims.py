"""The one rule by which a document says that two runs differ: from a metric's values over the
seeds of each (embedgan.evaluation.intervals), a sentence that says which way the difference
goes, with its 95% interval and the test that admits it; and nothing where the interval holds 0
or no test can be made."""

from __future__ import annotations

from embedgan.evaluation.catalogue import METRICS
from embedgan.evaluation.intervals import Difference, difference

# How a difference reads, by the metric's direction (catalogue.Metric.better): "real" metrics
# (nearest the real images' value is best) are said to be higher or lower only.
VERDICT = {"higher": ("better", "worse"), "lower": ("worse", "better")}


def claim(key: str, a: str, a_values, b: str, b_values) -> str | None:
    """`b`'s metric `key` against `a`'s, in one sentence, or None where the test admits no
    difference."""
    said = clause(key, a_values, b_values, than=f" than {a}")
    return None if said is None else f"{b} has {said}"


def clause(key: str, a_values, b_values, than: str = "") -> str | None:
    """`b`'s metric `key` against `a`'s: "higher accuracy{than} (better): +0.34 (+0.30 to
    +0.38, 95%, Welch's t)", or None where the test admits no difference."""
    found = difference(a_values, b_values)
    if not found.admitted:
        return None
    metric = METRICS[key]
    way = "higher" if found.value > 0 else "lower"
    verdict = VERDICT.get(metric.better)
    judged = f" ({verdict[0] if found.value > 0 else verdict[1]})" if verdict else ""
    return f"{way} {metric.label}{than}{judged}: {interval_text(key, found)}"


def clauses(keys, before, after) -> str:
    """What the test admits of `after` against `before` (each with `values(key)`: a metric over
    its seeds) on each of `keys`, in clauses; where it admits nothing, says so with the test
    (with one seed a side, none can be made)."""
    said = [text for key in keys if (text := clause(key, before.values(key), after.values(key)))]
    if said:
        return "; ".join(said)
    return f"no difference the test admits ({difference(before.values(keys[0]), after.values(keys[0])).test})"


def interval_text(key: str, found: Difference) -> str:
    form = METRICS[key].short
    signed = form.replace("{:", "{:+")
    return f"{signed.format(found.value)} ({signed.format(found.low)} to {signed.format(found.high)}, 95%, {found.test})"
