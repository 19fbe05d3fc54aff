"""The one owner of the workflow's paths: a run's identity (experiment, seed, data set) and
the path of each of its artifacts; the data sets', the reference classifiers', the documents',
and every job's log and benchmark file (the rules and the plan both read them here); and
reading a finished run's outputs back.

An experiment trains once per seed of its own `seeds`, else of the config's `seeds` (once,
with its own `seed`, without either). Its first run is the experiment itself, under
results/<exp>/ with its pictures; the other seeds' runs live under results/<exp>/seed<N>/ and
give the metrics' spread.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from embedgan.datasets.data import canonical_files
from embedgan.errors import UnreadableFile

RESULTS = "results"
LOGS = "logs"
BENCHMARKS = "benchmarks"
REPORT = f"{RESULTS}/report.md"
REPORT_PAGE = f"{RESULTS}/report.html"  # the report as one page, for Snakemake's HTML report
METRICS_CHART = f"{RESULTS}/metrics.png"
CURVES_CHART = f"{RESULTS}/curves.png"
ARMS_FIGURE = RESULTS + "/arms_{arms}.png"  # a set of arms' sample sheets side by side (config `arms`)
# A set of arms' class fidelity against variety within a class, with its KL sweep (config `kl_sweeps`).
TRADEOFF_FIGURE = RESULTS + "/tradeoff_{arms}.png"
# The standard FID Inception-v3 weights (torch-fidelity's), for inception_metrics: true.
INCEPTION_WEIGHTS = "resources/inception/weights-inception-2015-12-05-6726825d.pth"
# A data set's reference classifier and its real-image CAS, under results/classifiers/.
CLASSIFIER_FILES = {
    "model": "{dataset}.pt",
    "summary": "{dataset}.json",
    "checkpoint": "{dataset}.checkpoint.pt",
    "cas_real": "{dataset}_cas_real.json",
    "cas_real_checkpoint": "{dataset}_cas_real.checkpoint.pt",
}
# A run's artifacts under its folder; {exp}: the experiment's name.
ARTIFACTS = {
    "model": "model.pt",
    "checkpoint": "checkpoint.pt",
    "history": "history.json",
    "snapshots": "snapshots.npz",
    "samples": "samples.npz",
    "metrics": "metrics.json",
    "cas": "cas.json",  # the classification accuracy score (embedgan.evaluation.cas)
    "cas_checkpoint": "cas.checkpoint.pt",
    "curve": "curve.json",  # accuracy, FD, recall at each point of training (embedgan.evaluation.curves)
    "nearest": "nearest.png",
    "fake": "{exp}_fake.png",
    "real": "{exp}_real.png",
    "sheet": "{exp}_samples.png",
    "history_png": "{exp}.png",
    "loss_png": "{exp}_loss.png",
    # Beyond the notebook, for the experiments whose config asks for them:
    "morph": "morph.png",
    "prompts": "prompts.png",
    "captions": "captions.json",
}
# The pictures of an experiment's first run that the report and the results page show, and
# those of the probes its config may ask for.
PICTURES = ("fake", "real", "sheet", "history_png", "loss_png", "nearest")
PROBE_PICTURES = ("morph", "prompts")
# Rows of the raw sample sheet (draws of every class; a generator without noise repeats its one).
SHEET_ROWS = 10


def pattern(artifact: str, run: str = "{run}", exp: str = "{exp}") -> str:
    """An artifact's path; with the default arguments a Snakemake pattern."""
    return f"{RESULTS}/{run}/{ARTIFACTS[artifact].format(exp=exp)}"


def classifier_file(dataset: str, kind: str) -> str:
    """A file of a data set's reference classifier (CLASSIFIER_FILES); "{dataset}": a pattern."""
    return f"{RESULTS}/classifiers/{CLASSIFIER_FILES[kind].format(dataset=dataset)}"


def cas_real_file(dataset: str) -> str:
    """The classification accuracy score of a data set's real training images."""
    return classifier_file(dataset, "cas_real")


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


def log_file(rule: str, job: str | None = None) -> str:
    """The log of a rule's job (`job`: its wildcard value or pattern; None for a single job)."""
    return f"{LOGS}/{rule}/{job}.log" if job else f"{LOGS}/{rule}.log"


def benchmark_file(rule: str, job: str | None = None) -> str:
    """Snakemake's benchmark file of a rule's job, as log_file names it."""
    return f"{BENCHMARKS}/{rule}/{job}.tsv" if job else f"{BENCHMARKS}/{rule}.tsv"


def dataset_files(dataset: str) -> dict[str, str]:
    """The canonical data file and its manifest (their folder: datasets.data.CANONICAL_FOLDER)."""
    return canonical_files(dataset)


@dataclass(frozen=True)
class Run:
    experiment: str
    seed: int
    dataset: str
    replicate: bool = False  # a further seed's run, in a folder of its own

    @property
    def name(self) -> str:
        return f"{self.experiment}/seed{self.seed}" if self.replicate else self.experiment

    def path(self, artifact: str) -> str:
        return pattern(artifact, self.name, self.experiment)

    def made_for(self) -> dict:
        """What this run's outputs record of it (made_for_run)."""
        return {"name": self.name, "dataset": self.dataset, "seed": self.seed}

    def record(self) -> dict:
        """What a run's metrics.json says about the run, and what rule params carry."""
        return {"name": self.name, **asdict(self)}

    @classmethod
    def from_record(cls, record: dict) -> Run:
        return cls(record["experiment"], record["seed"], record["dataset"], record["replicate"])


def made_for_run(name: str, settings) -> dict:
    """What a run's outputs record of the run they belong to (settings: its typed Settings)."""
    return {"name": name, "dataset": settings.dataset, "seed": settings.seed}


def npz_run(npz) -> dict | None:
    """The run an .npz output records (None where it records none)."""
    return json.loads(str(npz["run"])) if "run" in npz.files else None


def check_made_for(path: str, written: dict | None, run: Run) -> None:
    """Refuse a file that records another run than `run` (copied from another experiment or
    data set), or none (written before outputs named their run)."""
    expected = run.made_for()
    if written != expected:
        found = (
            f"run {written.get('name')!r} ({written.get('dataset')}, seed {written.get('seed')})"
            if isinstance(written, dict)
            else "no run"
        )
        raise UnreadableFile(
            f"{path} was written for {found}, not for run {run.name!r} ({run.dataset}, seed "
            f"{run.seed}): a file of another run? Rerun the job that writes it"
        )


def runs_of(experiment: str, own_seed: int, dataset: str, seeds: list[int] | None) -> list[Run]:
    """An experiment's runs, its first (the experiment itself) first."""
    if not seeds:
        return [Run(experiment, own_seed, dataset)]
    return [Run(experiment, seeds[0], dataset)] + [
        Run(experiment, seed, dataset, replicate=True) for seed in seeds[1:]
    ]


def read_json(path: str) -> dict:
    return json.loads(Path(path).read_text())


def read_judgement(run: Run, artifact: str) -> dict:
    """A run's judgement (metrics, cas), refused where the file names another run."""
    judgement = read_json(run.path(artifact))
    named = judgement.get("run", {}).get("name")
    if named != run.name:
        raise ValueError(f"{run.path(artifact)} judges run {named!r}, not {run.name!r}")
    return judgement


def read_metrics(run: Run) -> dict:
    """A run's metrics with its classification accuracy score (`cas`)."""
    return {**read_judgement(run, "metrics"), "cas": read_judgement(run, "cas")["test_accuracy"]}


def read_experiment(runs: list[Run], probes: list[str] = ()) -> dict:
    """An experiment's finished outputs: its first run's history, data manifest and pictures,
    every run's metrics and curve (the first run's first), and the probes its config asks for
    (morph, prompts: picture paths; captions: the numbers)."""
    first = runs[0]
    return {
        "history": read_json(first.path("history")),
        "manifest": read_json(dataset_files(first.dataset)["manifest"]),
        "metrics": [read_metrics(run) for run in runs],
        "curves": [read_judgement(run, "curve") for run in runs],
        **{picture: first.path(picture) for picture in PICTURES},
        **{
            probe: read_json(first.path(probe)) if probe == "captions" else first.path(probe)
            for probe in probes
        },
    }
