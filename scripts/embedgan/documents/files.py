"""The one owner of the documents' paths: the report, the charts and figures, each run's
pictures, and the results page with its pictures. The files a job computes (models, samples,
metrics) are embedgan.config.paths's, so that no computing job imports this module: renaming a
picture here reruns only the jobs that draw or show it."""

from __future__ import annotations

from pathlib import Path

from embedgan.config.paths import RESULTS
from embedgan.config.runs import Run

REPORT = f"{RESULTS}/report.md"
REPORT_PAGE = f"{RESULTS}/report.html"  # the report as one page, for Snakemake's HTML report
METRICS_CHART = f"{RESULTS}/metrics.png"
CURVES_CHART = f"{RESULTS}/curves.png"
ARMS_FIGURE = RESULTS + "/arms_{arms}.png"  # a set of arms' sample sheets side by side (config `arms`)
# A set of arms' class fidelity against variety within a class, with its KL sweep (config `kl_sweeps`).
TRADEOFF_FIGURE = RESULTS + "/tradeoff_{arms}.png"
# A run's pictures under its folder; {exp}: the experiment's name.
PICTURE_FILES = {
    "fake": "{exp}_fake.png",
    "real": "{exp}_real.png",
    "sheet": "{exp}_samples.png",
    "history_png": "{exp}.png",
    "loss_png": "{exp}_loss.png",
    "nearest": "nearest.png",
    # Beyond the notebook, for the experiments whose config asks for them:
    "morph": "morph.png",
    "prompts": "prompts.png",
}
# The pictures of an experiment's first run that the report and the results page show, and
# those of the probes its config may ask for.
PICTURES = ("fake", "real", "sheet", "history_png", "loss_png", "nearest")
PROBE_PICTURES = ("morph", "prompts")
# Rows of the raw sample sheet (draws of every class; a generator without noise repeats its one).
SHEET_ROWS = 10


def picture(key: str, run: str = "{exp}", exp: str = "{exp}") -> str:
    """A picture's path; with the default arguments a Snakemake pattern of an experiment's
    first run (the pictures are drawn for it alone)."""
    return f"{RESULTS}/{run}/{PICTURE_FILES[key].format(exp=exp)}"


def run_picture(run: Run, key: str) -> str:
    return picture(key, run.name, run.experiment)


def picture_name(key: str, experiment: str) -> str:
    """A picture's file name on the page, where every experiment's lie in one folder: its name
    in the run's folder, after the experiment's name where it does not hold it already."""
    name = PICTURE_FILES[key].format(exp=experiment)
    return name if "{exp}" in PICTURE_FILES[key] else f"{experiment}_{name}"


def page_pictures(probes: list[str], sheet_only: bool) -> list[str]:
    """The keys of an experiment's pictures on the page: its probes' and, for a run made for
    an ablation alone, its sample sheet (in the ablation's section), for any other all of its
    own."""
    return [*(["sheet"] if sheet_only else PICTURES), *(p for p in PROBE_PICTURES if p in probes)]


def page_files(
    experiments: list[str], probes: dict[str, list[str]], page: str, side_runs: list[str] = (),
    arms: list[str] = (),
) -> list[str]:
    """Every file the publish target writes: the page, its second page (details_page), then
    their pictures (in the folder named after the page): each experiment's, its probes'
    (probes: experiment -> those its config asks for; a run made for an ablation or the arms
    alone: its sheet only), the charts (metrics, curves) and each set of arms' figures (its
    sheets, its trade-off)."""
    folder = Path(page).with_suffix("")
    names = [
        picture_name(key, exp)
        for exp in experiments
        for key in page_pictures(probes.get(exp, []), exp in side_runs)
    ]
    charts = [Path(chart).name for chart in (METRICS_CHART, CURVES_CHART, *map(arms_figure, arms),
                                              *map(tradeoff_figure, arms))]
    return [page, details_page(page), *(str(folder / name) for name in [*names, *charts])]


def details_page(page: str) -> str:
    """The results page's second page (every section but the answer), beside it."""
    return str(Path(page).with_name(f"{Path(page).stem}-details.md"))


def arms_figure(name: str) -> str:
    return ARMS_FIGURE.format(arms=name)


def tradeoff_figure(name: str) -> str:
    return TRADEOFF_FIGURE.format(arms=name)
