"""The one owner of the computed files' paths: a run's identity (experiment, seed, data set)
and the path of each file its jobs compute; the data sets', the reference classifiers', and
every job's log and benchmark file; and reading a finished run's judgements back. The
documents' files (the report, the pictures, the results page) are embedgan.documents.files's:
the computing jobs import this module, and nothing here names how the results are shown.

An experiment trains once per seed of its own `seeds`, else of the config's `seeds` (once,
with its own `seed`, without either). Its first run is the experiment itself, under
results/<exp>/ with its pictures; the other seeds' runs live under results/<exp>/seed<N>/ and
give the metrics' spread.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from embedgan.datasets.data import canonical_files
from embedgan.errors import UnreadableFile
from embedgan.runtime import atomic_path

RESULTS = "results"
LOGS = "logs"
BENCHMARKS = "benchmarks"
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
# A run's computed files under its folder.
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
    # each class's first draw and its nearest training image (the picture's: embedgan.documents.files)
    "nearest_images": "nearest.npz",
    "captions": "captions.json",  # beyond the notebook, for the experiments whose config asks
}


def pattern(artifact: str, run: str = "{run}") -> str:
    """An artifact's path; with the default argument a Snakemake pattern."""
    return f"{RESULTS}/{run}/{ARTIFACTS[artifact]}"


def classifier_file(dataset: str, kind: str) -> str:
    """A file of a data set's reference classifier (CLASSIFIER_FILES); "{dataset}": a pattern."""
    return f"{RESULTS}/classifiers/{CLASSIFIER_FILES[kind].format(dataset=dataset)}"


def cas_real_file(dataset: str) -> str:
    """The classification accuracy score of a data set's real training images."""
    return classifier_file(dataset, "cas_real")


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
        return pattern(artifact, self.name)

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


def write_run_npz(path: str, made_for: dict, **arrays: np.ndarray) -> None:
    """A run's arrays as an .npz (written whole or not at all) that records the run it belongs
    to (made_for_run), for check_made_for to read back (npz_run)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays, run=np.array(json.dumps(made_for)))


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
