"""The results page of a finished run (docs/results.md, its sections: PAGE), its pictures
copied beside it, and the README's results table. Nothing on it changes between two makings
from the same run (no dates), so remaking it changes no byte."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from embedgan.config.runs import PROBE_PICTURES, page_pictures, picture_name
from embedgan.documents import answers, sections
from embedgan.documents.report import write_document
from embedgan.documents.study import Study
from embedgan.runtime import atomic_path

log = logging.getLogger("embedgan.documents.publish")

# The README's results table lies between these lines; the publish target rewrites it.
README_START = "<!-- results table: written by `snakemake publish` from the run of docs/results.md -->"
README_END = "<!-- end of the results table -->"


def copy_pictures(study: Study, picture_dir: Path) -> None:
    """Copy every picture the page shows beside it and point the study at the copies."""
    picture_dir.mkdir(parents=True, exist_ok=True)
    for name, entry in study.experiments.items():
        for key in page_pictures([p for p in PROBE_PICTURES if p in entry], name in study.ablation_only):
            if key in entry:
                target = picture_dir / picture_name(key, name)
                shutil.copyfile(entry[key], target)
                entry[key] = str(target)
    for chart in ("metrics_png", "curves_png"):  # the charts, under their names in results/
        target = picture_dir / Path(getattr(study, chart)).name
        shutil.copyfile(getattr(study, chart), target)
        setattr(study, chart, str(target))


PAGE = (
    answers.page_header,
    answers.answer_section,
    answers.ladder_answer_section,
    sections.ablation_section,
    sections.ladder_section,
    answers.scale_section,
    sections.metrics_section,
    sections.convergence_section,
    sections.noise_section,
    sections.beyond_section,
    answers.wall_time_section,
    sections.experiments_section,
)


def write_readme_table(study: Study, readme: str) -> None:
    """Put the headline experiment's sample sheet and the page's results table between the
    README's markers (left alone, with a log line, where the README or its markers are
    missing: a project using the workflow as a module)."""
    path = Path(readme)
    text = path.read_text() if path.is_file() else ""
    if README_START not in text or README_END not in text:
        log.info("%s has no results-table markers: left as it is", readme)
        return
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    best = answers.headline(study)
    sheet = os.path.relpath(study.experiments[best]["sheet"], path.parent)
    block = [
        f"![{best}: samples of every class, one column per class]({sheet})",
        "",
        *answers.results_table(study),
    ]
    with atomic_path(path) as tmp:
        Path(tmp).write_text(f"{before}{README_START}\n" + "\n".join(block) + f"\n{README_END}{after}")


def write_page(study: Study, out_path: str, readme: str) -> None:
    """The page at `out_path` (study.folder: its folder), its pictures in the folder named
    after it, and the README's results table."""
    copy_pictures(study, Path(out_path).with_suffix(""))
    write_document(study, PAGE, out_path)
    write_readme_table(study, readme)
