"""The report (results/report.md), what `snakemake` ends with, and the one writer of both
documents: a document is a list of sections (embedgan.documents.sections), each a function of the
`Study` that gives its markdown lines (the results page: embedgan.documents.publish.PAGE)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from embedgan.documents import first_screen, sections
from embedgan.documents.study import Study
from embedgan.runtime import atomic_path

Section = Callable[[Study], list[str]]

# The report's sections, in order.
REPORT = (
    sections.report_header,
    sections.summary_section,
    first_screen.answer_section,
    sections.metrics_section,
    sections.convergence_section,
    sections.noise_section,
    sections.ladder_section,
    sections.ablation_section,
    sections.beyond_section,
    sections.experiments_section,
)


def write_document(study: Study, document: tuple[Section, ...], out_path: str) -> None:
    lines = [line for section in document for line in section(study)]
    with atomic_path(out_path) as tmp:
        Path(tmp).write_text("\n".join(lines))
