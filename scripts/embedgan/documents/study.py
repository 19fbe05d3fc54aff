"""A finished run read back once for its documents: the `Study` (each experiment's settings,
history, metrics, pictures and probes; the reference classifiers; what the plan adds), from
the rules' params (embedgan.documents.plan.study_params) and the files they list."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from embedgan.config.runs import Run, dataset_files, read_json, read_judgement, read_metrics
from embedgan.config.settings import Settings
from embedgan.documents.files import PICTURES, run_picture


@dataclass
class Study:
    """What a document is written from: each experiment (name -> entry, in reading order: its
    presentation, settings, history, manifest, metrics of each run, paths of its pictures and
    probes), the reference classifiers and CAS of real images per data set, and what the plan
    adds (embedgan.documents.plan.study_params: noise pairs, ladders, ablations, runs made for an
    ablation alone; for the results page the notebook's scale, benchmark files and command).
    Pictures are linked relative to `folder`, where the document is written."""

    experiments: dict[str, dict]
    classifiers: dict[str, dict]
    noise_pairs: list[list[str]]
    metrics_png: str
    folder: Path
    curves_png: str = ""  # every experiment's curve, by data set
    arms_png: dict[str, str] = field(default_factory=dict)  # a set of arms -> its figure
    tradeoff_png: dict[str, str] = field(default_factory=dict)  # a set of arms -> its trade-off figure
    cas_real: dict[str, dict] = field(default_factory=dict)
    ladders: dict[str, list[dict]] = field(default_factory=dict)  # rungs, bottom first: experiment, changes
    ablations: dict[str, dict] = field(default_factory=dict)  # control, rows: experiment, changes
    arms: dict[str, dict[str, str]] = field(default_factory=dict)  # a set of arms -> role -> experiment
    kl_sweeps: dict[str, dict] = field(default_factory=dict)  # a set of arms -> seed, runs: role -> [weight, experiment]
    side_runs: list[str] = field(default_factory=list)
    notebook: dict[str, dict | None] = field(default_factory=dict)
    benchmarks: dict[str, str] = field(default_factory=dict)
    command: str = ""
    on_page: bool = False  # the results page: the runs made for an ablation or the arms alone only there
    page: str = ""  # the results page's path (its second page beside it: documents.files.details_page)

    def link(self, path: str) -> str:
        return os.path.relpath(path, self.folder)

    def shown_experiments(self) -> list[str]:
        """The experiments with a section of their own: on the results page the main ones, in
        the report all."""
        return self.main_experiments() if self.on_page else list(self.experiments)

    def main_experiments(self) -> list[str]:
        """The experiments, in reading order, but for those made for an ablation alone (the
        results page gives those in the ablations' section only)."""
        return [name for name in self.experiments if name not in self.side_runs]


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
        **{picture: run_picture(first, picture) for picture in PICTURES},
        **{
            probe: read_json(first.path(probe)) if probe == "captions" else run_picture(first, probe)
            for probe in probes
        },
    }


def gather(
    presentations: dict[str, dict],
    runs: dict[str, list[dict]],
    classifier_summaries: list[str],
    probes: dict[str, list[str]] | None = None,
) -> tuple[dict, dict]:
    """(experiments, classifiers) for a Study: each experiment of `presentations` (experiment
    -> title and description, in reading order) read back from its runs (experiment -> the
    records of its runs, its first run first) with its probes (experiment -> morph, prompts,
    captions: those its config asks for) and its settings, typed once; classifiers from their
    summary files."""
    experiments = {}
    for name, presentation in presentations.items():
        exp_runs = [Run.from_record(record) for record in runs[name]]
        entry = read_experiment(exp_runs, (probes or {}).get(name, []))
        entry.update(
            presentation=presentation,
            settings=Settings.of(entry["history"]["settings"]),
            # every run's training record, by run (the wall time of each)
            histories={run.name: read_json(run.path("history")) for run in exp_runs},
        )
        experiments[name] = entry
    classifiers = {summary["dataset"]: summary for summary in map(read_json, classifier_summaries)}
    return experiments, classifiers


def read_cas_real(paths: list[str]) -> dict[str, dict]:
    """Data set -> the classification accuracy score of its real images."""
    return {record["dataset"]: record for record in map(read_json, paths)}


def read_study(plan: dict, inputs, folder: Path, page: dict | None = None) -> Study:
    """The Study of a finished run: `plan` as embedgan.documents.plan.study_params gives it, `inputs`
    the rule's (embedgan.documents.plan.document_inputs), `page` what the results page adds
    (embedgan.documents.plan.page_params, without the README)."""
    experiments, classifiers = gather(plan["experiments"], plan["runs"], inputs.classifiers, plan["probes"])
    extra = {key: (page or {})[key] for key in ("notebook", "benchmarks", "command") if key in (page or {})}
    return Study(
        experiments, classifiers, plan["noise_pairs"], inputs.metrics_png, folder, inputs.curves_png,
        cas_real=read_cas_real(inputs.cas_real), ladders=plan["ladders"], ablations=plan["ablations"],
        side_runs=plan["side_runs"], arms=plan["arms"], kl_sweeps=plan.get("kl_sweeps", {}),
        arms_png=dict(zip(plan["arms"], inputs.arms_png, strict=True)),
        tradeoff_png=dict(zip(plan["arms"], inputs.tradeoff_png, strict=True)), on_page=page is not None, **extra,
    )
