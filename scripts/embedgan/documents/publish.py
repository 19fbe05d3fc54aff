"""The results page of a finished run: its first page (docs/results.md: the answer, PAGE) and its
second (every other section, DETAILS), their pictures copied beside them, and the README's
results (the answer's sentences, quoted). Nothing on them changes between two makings from the
same run (no dates), so remaking them changes no byte."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from embedgan.documents import answers, first_screen, sections
from embedgan.documents.files import details_page, page_pictures, picture_name
from embedgan.documents.report import write_document
from embedgan.documents.study import Study
from embedgan.runtime import atomic_path

log = logging.getLogger("embedgan.documents.publish")

# The README's results lie between these lines; the publish target rewrites them.
README_START = "<!-- results: written by `snakemake publish` from the run of docs/results.md -->"
README_END = "<!-- end of the results -->"


def copy_pictures(study: Study, picture_dir: Path) -> None:
    """Copy every picture the page shows beside it and point the study at the copies."""
    picture_dir.mkdir(parents=True, exist_ok=True)
    for name, entry in study.experiments.items():
        for key in page_pictures(list(entry.pictures), name in study.side_runs):
            if key in entry.pictures:
                target = picture_dir / picture_name(key, name)
                shutil.copyfile(entry.pictures[key], target)
                entry.pictures[key] = str(target)
    for chart in ("metrics_png", "curves_png"):  # the charts, under their names in results/
        target = picture_dir / Path(getattr(study, chart)).name
        shutil.copyfile(getattr(study, chart), target)
        setattr(study, chart, str(target))
    for figures in (study.arms_png, study.tradeoff_png):  # each set of arms' figures
        for name, figure in figures.items():
            target = picture_dir / Path(figure).name
            shutil.copyfile(figure, target)
            figures[name] = str(target)


PAGE = (answers.page_header, first_screen.answer_section, answers.details_link)
DETAILS = (
    answers.details_header,
    answers.experiments_answer,
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


def write_readme_results(study: Study, readme: str) -> None:
    """Put the answer's sentences, as the page gives them, between the README's markers (left
    alone, with a log line, where the README or its markers are missing: a project using the
    workflow as a module)."""
    path = Path(readme)
    text = path.read_text() if path.is_file() else ""
    if README_START not in text or README_END not in text:
        log.info("%s has no results markers: left as it is", readme)
        return
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    block = [f"- {sentence}" for sentence in first_screen.answer_sentences(study)]
    with atomic_path(path) as tmp:
        Path(tmp).write_text(f"{before}{README_START}\n" + "\n".join(block) + f"\n{README_END}{after}")


def write_page(study: Study, out_path: str, readme: str) -> None:
    """The page at `out_path` and its second page (study.folder: their folder), their pictures
    in the folder named after the page, and the README's results."""
    study.page = out_path
    copy_pictures(study, Path(out_path).with_suffix(""))
    write_document(study, PAGE, out_path)
    write_document(study, DETAILS, details_page(out_path))
    write_readme_results(study, readme)
