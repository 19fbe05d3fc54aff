"""A finished run read back once for its documents: the `Study` (each experiment's settings,
history, metrics, pictures and probes; the reference classifiers; what the plan adds), from
the rules' params (embedgan.documents.plan.study_params) and the files they list."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from embedgan.config.paths import dataset_files, read_json, read_judgement, read_metrics, run_file
from embedgan.config.runs import Run
from embedgan.config.settings import Settings
from embedgan.documents.files import PICTURES, PROBE_PICTURES, run_picture


@dataclass
class Presentation:
    """How an experiment is introduced: its own title and description (empty for a run based on
    another: the documents say what it changes instead), its base and the change records."""

    title: str = ""
    description: str = ""
    based_on: str | None = None
    changes: list[dict] = field(default_factory=list)  # settings.changes: key, old, new


@dataclass(frozen=True)
class Step:
    """A ladder's rung or an ablation's row: the experiment and its change records
    (settings.changes) from the rung below (none for the bottom rung) or from the control."""

    experiment: str
    changes: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Ablation:
    """The full control and the rows, each putting back one ingredient."""

    control: str
    rows: list[Step]


@dataclass
class ExperimentEntry:
    """One experiment of a finished run, read back: its typed settings, every run's metrics and
    curve (its first run's first), its first run's history and data manifest, every run's
    history (by run: the wall time of each), the paths of its first run's pictures
    (documents.files.PICTURES and its probes' pictures) and its captions' numbers."""

    settings: Settings
    metrics: list[dict]
    curves: list[dict] = field(default_factory=list)
    presentation: Presentation = field(default_factory=Presentation)
    history: dict = field(default_factory=dict)
    histories: dict[str, dict] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    pictures: dict[str, str] = field(default_factory=dict)
    captions: dict | None = None  # the captions probe's numbers, where the config asks for it


@dataclass
class Study:
    """What a document is written from: each experiment (name -> its ExperimentEntry, in reading
    order), the reference classifiers and CAS of real images per data set, and what the plan
    adds (embedgan.documents.plan.study_params: noise pairs, ladders, ablations, runs made for an
    ablation alone; for the results page the notebook's scale, benchmark files and command).
    Pictures are linked relative to `folder`, where the document is written."""

    experiments: dict[str, ExperimentEntry]
    classifiers: dict[str, dict]
    noise_pairs: list[list[str]]
    metrics_png: str
    folder: Path
    curves_png: str = ""  # every experiment's curve, by data set
    arms_png: dict[str, str] = field(default_factory=dict)  # a set of arms -> its figure
    tradeoff_png: dict[str, str] = field(default_factory=dict)  # a set of arms -> its trade-off figure
    cas_real: dict[str, dict] = field(default_factory=dict)
    ladders: dict[str, list[Step]] = field(default_factory=dict)  # rungs, bottom first
    ablations: dict[str, Ablation] = field(default_factory=dict)
    arms: dict[str, dict[str, str]] = field(default_factory=dict)  # a set of arms -> role -> experiment
    kl_sweeps: dict[str, dict] = field(default_factory=dict)  # a set of arms -> seed, runs: role -> [weight, experiment]
    side_runs: list[str] = field(default_factory=list)
    notebook: dict[str, dict | None] = field(default_factory=dict)
    benchmarks: dict[str, str] = field(default_factory=dict)
    command: str = ""
    cuts: list[dict] = field(default_factory=list)  # what the budget cut: preset, what (config `cuts`)
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


def read_experiment(runs: list[Run], presentation: dict, probes: list[str] = ()) -> ExperimentEntry:
    """An experiment's finished outputs (`runs`: its runs, its first first; `presentation`: the
    plan's, documents.plan.study_params; `probes`: those its config asks for)."""
    first = runs[0]
    history = read_json(run_file(first, "history"))
    return ExperimentEntry(
        settings=Settings.of(history["settings"]),
        metrics=[read_metrics(run) for run in runs],
        curves=[read_judgement(run, "curve") for run in runs],
        presentation=Presentation(**presentation),
        history=history,
        histories={first.name: history, **{run.name: read_json(run_file(run, "history")) for run in runs[1:]}},
        manifest=read_json(dataset_files(first.dataset)["manifest"]),
        pictures={key: run_picture(first, key) for key in [*PICTURES, *(p for p in PROBE_PICTURES if p in probes)]},
        captions=read_json(run_file(first, "captions")) if "captions" in probes else None,
    )


def gather(
    presentations: dict[str, dict],
    runs: dict[str, list[dict]],
    classifier_summaries: list[str],
    probes: dict[str, list[str]] | None = None,
) -> tuple[dict[str, ExperimentEntry], dict]:
    """(experiments, classifiers) for a Study: each experiment of `presentations` (experiment
    -> its presentation, in reading order) read back from its runs (experiment -> the records of
    its runs, its first run first) with its probes (experiment -> morph, prompts, captions: those
    its config asks for); classifiers from their summary files."""
    experiments = {
        name: read_experiment([Run.from_record(record) for record in runs[name]], presentation,
                              (probes or {}).get(name, []))
        for name, presentation in presentations.items()
    }
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
    extra = {key: (page or {})[key] for key in ("notebook", "benchmarks", "command", "cuts") if key in (page or {})}
    return Study(
        experiments, classifiers, plan["noise_pairs"], inputs.metrics_png, folder, inputs.curves_png,
        cas_real=read_cas_real(inputs.cas_real),
        ladders={name: [Step(**rung) for rung in rungs] for name, rungs in plan["ladders"].items()},
        ablations={name: Ablation(a["control"], [Step(**row) for row in a["rows"]]) for name, a in plan["ablations"].items()},
        side_runs=plan["side_runs"], arms=plan["arms"], kl_sweeps=plan.get("kl_sweeps", {}),
        arms_png=dict(zip(plan["arms"], inputs.arms_png, strict=True)),
        tradeoff_png=dict(zip(plan["arms"], inputs.tradeoff_png, strict=True)), on_page=page is not None, **extra,
    )
