"""A run's identity (experiment, seed, data set) and the record of it that each of its computed
files carries, so that a file copied from another run is refused. The computing jobs import
this module and nothing that names where files lie (embedgan.config.paths) or how results are
shown (embedgan.documents): moving or adding a file reruns only the jobs that write or read it.

An experiment trains once per seed of its own `seeds`, else of the config's `seeds` (once,
with its own `seed`, without either). Its first run is the experiment itself; the other seeds'
runs give the metrics' spread.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import numpy as np

from embedgan.errors import UnreadableFile
from embedgan.runtime import atomic_path


@dataclass(frozen=True)
class Run:
    experiment: str
    seed: int
    dataset: str
    replicate: bool = False  # a further seed's run, in a folder of its own

    @property
    def name(self) -> str:
        return f"{self.experiment}/seed{self.seed}" if self.replicate else self.experiment

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
