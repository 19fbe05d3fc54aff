"""The documents' tables: the one markdown table helper, and the metric tables of every section:
a row per experiment (or class), the columns a table takes from how metrics are shown
(embedgan.documents.labels.TABLES), each cell the metric (over several seeds: their mean and,
in square brackets, its 95% interval by the one rule of intervals.mean_interval, inside the
metric's range) and, in round brackets, a perfect generator's on the same work (± its spread over
draws or seeds where it has one)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from embedgan.documents.claims import Claim, judge
from embedgan.documents.labels import METRICS, columns, number
from embedgan.documents.study import Step, Study
from embedgan.evaluation.intervals import binomial_interval, mean_interval


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A markdown table of `header` and `rows` (lists of cells)."""

    def line(cells: Iterable[object]) -> str:
        return "| " + " | ".join(map(str, cells)) + " |"

    return [line(header), line("---" for _ in header), *map(line, rows)]


def fmt(key: str, value: float, short: bool = False) -> str:
    """A value of metric `key` in its shown form (labels: its compact one where `short`)."""
    metric = METRICS[key]
    return number(value, metric.short if short else metric.form)


def format_seconds(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


@dataclass
class Row:
    """The metrics of one row: of each seed's run (the first run first), or of one class; with
    the reference classifier's summary and the CAS of real images a perfect generator's values
    come from."""

    runs: list[dict]
    classifier: dict
    cas_real: dict | None = None

    def values(self, key: str) -> list[float]:
        """The metric of each run (NaN where one has none)."""
        return [METRICS[key].value(run) for run in self.runs]

    def value(self, key: str) -> float:
        """The mean over the runs (NaN where one has none)."""
        return float(np.mean(self.values(key)))

    def spread(self, key: str) -> float | None:
        """The sample standard deviation over the runs (None for a single run)."""
        values = self.values(key)
        return float(np.std(values, ddof=1)) if len(values) > 1 else None

    def perfect(self, key: str) -> tuple[float, float]:
        return METRICS[key].reference(self.runs[0], self.classifier, self.cas_real)

    def interval(self, key: str) -> tuple[float, float, float, str]:
        """(value, low, high, what it rests on) by the one interval rule of each number: for a
        generator without noise its accuracy's share of right distinct images with the exact
        binomial interval ("n of N images"), else the mean over the runs with intervals.mean_interval
        (NaN bounds for one run)."""
        counted = distinct_images(self.runs) if key == "accuracy" and "per_class" in self.runs[0] else None
        if counted is not None:
            share, low, high = binomial_interval(*counted)
            return share, low, high, f"{counted[0]} of {counted[1]} images"
        return (*mean_interval(self.values(key), METRICS[key].bounds), "")

    def cell(self, key: str, short: bool = False, reference: bool = True) -> str:
        metric = METRICS[key]
        form = metric.short if short else metric.form
        value, low, high, counted = self.interval(key)
        text = number(value, form)
        if not math.isnan(low):  # several seeds, or a generator's distinct images: the 95% interval
            text += f" [{form.format(low)}, {form.format(high)}]"
        perfect, drawn = self.perfect(key)
        if reference and not math.isnan(perfect):
            text += f" ({counted + '; ' if counted else ''}{form.format(perfect)}" + (
                f" ± {form.format(drawn)}" if metric.drawn else "") + ")"
        elif counted:
            text += f" ({counted})"
        return text


def distinct_images(runs: list[dict]) -> tuple[int, int] | None:
    """(right, drawn) over the distinct images of a generator without noise, one per class and
    run (its draws of a class are one image, so a class's accuracy is 0 or 1); None for one with
    noise or conditioning augmentation. Its accuracy rests on these few images: their binomial
    interval (intervals.binomial_interval) is the one to give."""
    if runs[0]["has_noise"]:
        return None
    return sum(c["accuracy"] >= 0.5 for run in runs for c in run["per_class"]), sum(len(run["per_class"]) for run in runs)


def row(study: Study, name: str, first_run_only: bool = False) -> Row:
    entry = study.experiments[name]
    dataset = entry.settings.dataset
    runs = entry.metrics[:1] if first_run_only else entry.metrics
    return Row(runs, study.classifiers[dataset], study.cas_real.get(dataset))


def metric_table(
    table_name: str, lead: Sequence[str], rows: Iterable[tuple[Sequence[object], Row]], short: bool = False
) -> list[str]:
    """The table `table_name` (labels.TABLES): per row its `lead` cells, then a cell per metric."""
    keys = columns(table_name)
    return table(
        [*lead, *(METRICS[key].heading for key in keys)],
        ([*cells, *(metrics.cell(key, short) for key in keys)] for cells, metrics in rows),
    )


def per_class_table(metrics: dict, classes: list[str], classifier: dict) -> list[str]:
    """A run's metrics per class (intra-FD: the Frechet distance within one class)."""
    return metric_table(
        "per_class", ["class"], (([name], Row([c], classifier)) for name, c in zip(classes, metrics["per_class"], strict=True))
    )


CAPTION_KINDS = {
    "seen": "seen in training",
    "unseen_templates": "held-out templates",
    "synonyms": "synonyms of class names",
}


def caption_table(study: Study, names: Iterable[str] = ()) -> list[str]:
    """Accuracy on captions seen in training and never seen, of `names` (default: all)."""
    rows = []
    for name in names or study.experiments:
        captions = study.experiments[name].captions
        if captions:
            cells = [
                f"{fmt('accuracy', captions[kind]['accuracy'])} ({captions[kind]['captions']} captions)"
                if kind in captions else "–"
                for kind in CAPTION_KINDS
            ]
            rows.append([name, captions["encoder"], len(study.experiments[name].settings.templates), *cells])
    return table(["experiment", "encoder", "templates", *(f"accuracy, {label}" for label in CAPTION_KINDS.values())], rows)


def format_change(change: dict) -> str:
    """A change record (settings.changes) as `key: old -> new` (– for a side that lacks it)."""
    return f"{change['key']}: {change.get('old', '–')} -> {change.get('new', '–')}"


@dataclass
class JudgedRow:
    """An ablation's row with its numbers (a Row over its own seeds) and its claim against the
    control on each compared metric."""

    step: Step
    row: Row
    claims: dict[str, Claim]

    @property
    def beyond(self) -> list[str]:
        """The metrics whose claim is admitted."""
        return [key for key, claim in self.claims.items() if claim.admitted]


def ablation_numbers(study: Study, name: str) -> tuple[Row, list[JudgedRow]]:
    """An ablation's numbers: the full control over its seeds, and per row its claims against
    the control on each compared metric, judged as one family (documents.claims.judge: Holm
    over the ablation's tests)."""
    ablation = study.ablations[name]
    control = row(study, ablation.control)
    keys = columns("compare")
    rows = [(step, row(study, step.experiment)) for step in ablation.rows]
    claims = iter(judge([(key, control.values(key), numbers.values(key)) for _, numbers in rows for key in keys]))
    return control, [JudgedRow(step, numbers, {key: next(claims) for key in keys}) for step, numbers in rows]
