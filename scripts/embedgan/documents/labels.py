"""How each metric of the catalogue (embedgan.evaluation.catalogue) is shown: its label, its
number formats, the name of a perfect generator's value in a table's header, and the tables
that list it. A ShownMetric is the catalogue's Metric with these: the documents read metrics
here, the computing jobs there, so that rewording a heading reruns only the documents."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from embedgan.evaluation import catalogue
from embedgan.evaluation.catalogue import CLASS_PRDC, PRDC

# The tables that list metrics, in the catalogue's order: the report's metrics and fidelity
# tables, the comparisons (noise pairs, ladders, ablations), the results page's first table,
# the options beyond the notebook, each experiment's classes, the ladder's gains, the arms of
# the results page's first screen (and its answer).
TABLES = ("metrics", "fidelity", "compare", "results", "options", "per_class", "ladder_gains", "arms")
PRDC_TABLES = {
    "precision": ("fidelity", "compare", "results", "per_class"),
    "recall": ("fidelity", "compare", "results", "per_class"),
    "density": ("fidelity",),
    "coverage": ("fidelity", "compare"),
}


@dataclass(frozen=True)
class ShownMetric(catalogue.Metric):
    label: str = ""
    form: str = "{:.3f}"  # its numbers in the documents
    short: str = "{:.2f}"  # in the compact tables (the answer, the ablations)
    reference_label: str = ""  # a perfect generator's value, named in a table's header
    tables: tuple[str, ...] = ()  # the tables that list it (TABLES)

    @property
    def heading(self) -> str:
        return f"{self.label} ({self.reference_label})" if self.reference_label else self.label


def shown(key: str, label: str, form: str, short: str, reference_label: str, tables: tuple[str, ...]) -> ShownMetric:
    """The catalogue's metric `key` with how it is shown."""
    metric = catalogue.METRICS[key]
    facts = {field.name: getattr(metric, field.name) for field in fields(catalogue.Metric)}
    return ShownMetric(**facts, label=label, form=form, short=short, reference_label=reference_label, tables=tables)


def columns(table: str) -> list[str]:
    """The metrics a table lists (TABLES), in the catalogue's order."""
    return [key for key, metric in METRICS.items() if table in metric.tables]


def number(value: float, form: str) -> str:
    """A number as `form` writes it, "–" where there is none (NaN)."""
    return "–" if value is None or math.isnan(value) else form.format(value)


# In the catalogue's order (a test checks that every metric of the catalogue is here).
METRICS = {
    metric.key: metric
    for metric in (
        shown("accuracy", "accuracy", "{:.3f}", "{:.2f}", "real images",
              ("metrics", "compare", "results", "options", "per_class", "ladder_gains", "arms")),
        shown("cross_entropy", "CE", "{:.3f}", "{:.2f}", "", ("metrics",)),
        shown("frechet_distance", "FD", "{:.2f}", "{:.1f}", "perfect generator",
              ("metrics", "compare", "results", "per_class")),
        shown("frechet_best_point", "FD of the best single point", "{:.2f}", "{:.1f}", "", ("per_class",)),
        shown("frechet_class_means", "FD class means", "{:.2f}", "{:.1f}", "", ("metrics",)),
        *(shown(key, key, "{:.2f}", "{:.2f}", "perfect", PRDC_TABLES[key]) for key in PRDC),
        *(shown(key, f"per-class {within}", "{:.2f}", "{:.2f}", "perfect", ("fidelity", "compare", "ladder_gains", "arms"))
          for key, within in CLASS_PRDC.items()),
        shown("cas", "CAS", "{:.3f}", "{:.2f}", "real images", ("metrics", "compare", "results", "ladder_gains", "arms")),
        shown("diversity", "diversity", "{:.3f}", "{:.2f}", "real",
              ("metrics", "compare", "results", "options", "per_class")),
        shown("nearest_train_distance", "NN dist", "{:.2f}", "{:.2f}", "real", ("metrics",)),
        shown("total_variation", "TV", "{:.4f}", "{:.3f}", "real", ("options",)),
    )
}
