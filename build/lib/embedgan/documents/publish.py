"""The results page of a finished run (docs/results.md), with its pictures copied beside it, and
the README's results table.

The page is written by the documents' writer (embedgan.documents.report) from their sections
(embedgan.documents.sections) and some of its own: the scale of each experiment beside the notebook's, the wall time of each
job, the command that made the run, and a short answer to the notebook's question, each
sentence computed from numbers on the page (so it stays true when the page is remade from
another run). It holds nothing that changes between two makings from the same run (no dates),
so remaking it changes no byte.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

from embedgan.config.runs import ARTIFACTS, PICTURES, PROBE_PICTURES
from embedgan.documents import sections
from embedgan.documents.answers import (
    answer_section,
    headline,
    ladder_answer_section,
    page_header,
    results_table,
    scale_section,
    wall_time_section,
)
from embedgan.documents.report import write_document
from embedgan.documents.study import Study
from embedgan.runtime import atomic_path

log = logging.getLogger("embedgan.documents.publish")

# The README's results table lies between these lines; the publish target rewrites it.
README_START = "<!-- results table: written by `snakemake publish` from the run of docs/results.md -->"
README_END = "<!-- end of the results table -->"


def picture_name(key: str, experiment: str) -> str:
    """A picture's file name on the page, where every experiment's lie in one folder: its name
    in the run's folder, after the experiment's name where it does not hold it already."""
    name = ARTIFACTS[key].format(exp=experiment)
    return name if "{exp}" in ARTIFACTS[key] else f"{experiment}_{name}"


def page_pictures(probes: list[str], sheet_only: bool) -> list[str]:
    """The keys of an experiment's pictures on the page: its probes' and, for a run made for
    an ablation alone, its sample sheet (in the ablation's section), for any other all of its
    own."""
    return [*(["sheet"] if sheet_only else PICTURES), *(p for p in PROBE_PICTURES if p in probes)]


def page_files(
    experiments: list[str], probes: dict[str, list[str]], page: str, ablation_only: list[str] = ()
) -> list[str]:
    """Every file the publish target writes: the page, then its pictures (in the folder named
    after the page): each experiment's, its probes' (probes: experiment -> those its config asks
    for; a run made for an ablation alone: its sheet only) and the metrics chart."""
    folder = Path(page).with_suffix("")
    names = [
        picture_name(key, exp)
        for exp in experiments
        for key in page_pictures(probes.get(exp, []), exp in ablation_only)
    ]
    return [page, *(str(folder / name) for name in [*names, "metrics.png"])]


def copy_pictures(study: Study, picture_dir: Path) -> None:
    """Copy every picture the page shows beside it and point the study at the copies."""
    picture_dir.mkdir(parents=True, exist_ok=True)
    for name, entry in study.experiments.items():
        for key in page_pictures([p for p in PROBE_PICTURES if p in entry], name in study.ablation_only):
            if key in entry:
                target = picture_dir / picture_name(key, name)
                shutil.copyfile(entry[key], target)
                entry[key] = str(target)
    target = picture_dir / "metrics.png"
    shutil.copyfile(study.metrics_png, target)
    study.metrics_png = str(target)


PAGE = (
    page_header,
    answer_section,
    ladder_answer_section,
    sections.ablation_section,
    sections.ladder_section,
    scale_section,
    sections.metrics_section,
    sections.noise_section,
    sections.beyond_section,
    wall_time_section,
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
    best = headline(study)
    sheet = os.path.relpath(study.experiments[best]["sheet"], path.parent)
    block = [
        f"![{best}: samples of every class, one column per class]({sheet})",
        "",
        *results_table(study),
    ]
    with atomic_path(path) as tmp:
        Path(tmp).write_text(f"{before}{README_START}\n" + "\n".join(block) + f"\n{README_END}{after}")


def write_page(study: Study, out_path: str, readme: str) -> None:
    """The page at `out_path` (study.folder: its folder), its pictures in the folder named
    after it, and the README's results table."""
    copy_pictures(study, Path(out_path).with_suffix(""))
    write_document(study, PAGE, out_path)
    write_readme_table(study, readme)
