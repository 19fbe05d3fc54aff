"""What a study's documents need, planned once when the workflow starts from its resolved
experiments (embedgan.config.settings.resolve): the ladders with what each rung changes, the
ablations with what each row puts back, the noise pairs, the notebook's scale of each
experiment, the files the documents read, each job's benchmark file and the command line.
The workflow's rules get these as params and inputs; the documents' writers read them back
(embedgan.documents.study). No computing job reads this module."""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

from embedgan.config import paths
from embedgan.config.kinds import CONDITIONINGS
from embedgan.config.runs import Run
from embedgan.config.settings import NOISE_OPTIONS, Experiment
from embedgan.datasets.data import DATASETS
from embedgan.documents import files

# The notebook's five experiments at its own scale (docs/experiments.md), in its order: the
# documents' reading order starts with them, and the results page sets each beside this scale.
NOTEBOOK = {
    "exp1": {"dataset": "cifar10", "batch_size": 4, "epochs": 10},
    "exp2": {"dataset": "cifar10", "batch_size": 782, "epochs": 50},
    "exp3": {"dataset": "cifar10", "batch_size": 64, "epochs": 50},
    "exp4": {"dataset": "mnist", "batch_size": 4, "epochs": 50},
    "exp5": {"dataset": "mnist", "batch_size": 128, "epochs": 50},
}


def notebook_scale(exp: str) -> dict | None:
    """The notebook's scale of an experiment (its batch size and epochs on the complete data
    set), or None for one the notebook does not have."""
    entry = NOTEBOOK.get(exp)
    if entry is None:
        return None
    images = DATASETS[entry["dataset"]].full_train_images  # the notebook's are built in
    return {"images": images, "batch_size": entry["batch_size"], "epochs": entry["epochs"]}


def ladder_rungs(resolved: dict[str, Experiment], ladders: dict[str, list[str]]) -> dict[str, list[dict]]:
    """Ladder -> its rungs, bottom first, each {experiment, changes}: the change records
    (settings.changes) from the rung below, the one it is based on (none for the bottom rung)."""
    return {
        name: [{"experiment": rung, "changes": resolved[rung].changes if i else []} for i, rung in enumerate(rungs)]
        for name, rungs in ladders.items()
    }


def report_group(experiment: str, ladders: dict[str, list[str]], ablations: dict[str, list[str]]) -> str:
    """The category of an experiment's pictures in Snakemake's HTML report: the notebook's five,
    a ladder's rungs, an ablation's runs, or the other variants (numbered in reading order)."""
    if experiment in NOTEBOOK:
        return "1. The notebook's experiments"
    for name, rungs in ladders.items():
        if experiment in rungs:
            return f"2. The ladder {name}"
    for name, members in ablations.items():
        if experiment in members:
            return f"3. The ablation {name}"
    return "4. Variants and options"


def changed_keys(resolved: dict[str, Experiment], exp: str) -> set[str]:
    """The settings an experiment changes from the one it is based on."""
    return {change["key"] for change in resolved[exp].changes}


def is_noise_variant(resolved: dict[str, Experiment], exp: str) -> bool:
    """The experiment changes the noise of the one it is based on, and nothing else but the
    options that act on the noise (settings.NOISE_OPTIONS: a run without noise has them off)."""
    keys = changed_keys(resolved, exp)
    return "noise_dim" in keys and keys <= {"noise_dim", *NOISE_OPTIONS}


def noise_pairs(resolved: dict[str, Experiment], controls: list[str] = ()) -> list[list[str]]:
    """[the embedding alone, the embedding + noise]: each entry based_on another that changes
    its noise only (adding it, as the notebook's ladders do, or taking it away, as the positive
    controls' variants do); the pairs of `controls` (the positive controls: the ladders' tops,
    the ablations' controls) first, since only there does the question meet a GAN that works."""
    pairs = [
        sorted([e.based_on, exp], key=lambda name: resolved[name].settings.noise_dim > 0)
        for exp, e in resolved.items()
        if e.based_on in resolved and is_noise_variant(resolved, exp)  # both run (run_only)
    ]
    return sorted(pairs, key=lambda pair: not set(pair) & set(controls))


def ablation_rows(resolved: dict[str, Experiment], ablations: dict[str, list[str]]) -> dict[str, dict]:
    """Ablation -> {control, rows}: the full control (its own `seeds` give the spread); each row
    {experiment, changes}, the change records (settings.changes) of what it puts back (each row
    is based on the control: settings.check_ablations)."""
    return {
        name: {
            "control": control,
            "rows": [{"experiment": row, "changes": resolved[row].changes} for row in rows],
        }
        for name, (control, *rows) in ablations.items()
    }


def side_runs(
    ladders: dict[str, list[str]], ablations: dict[str, list[str]], arms: dict[str, dict[str, str]],
    sweeps: dict[str, dict] | None = None,
) -> list[str]:
    """The runs made for an ablation, the arms or a KL sweep alone (neither one of the
    notebook's experiments nor a ladder's rung): the results page shows them in those sections
    only, by their sample sheets."""
    shown = {*NOTEBOOK, *(exp for rungs in ladders.values() for exp in rungs)}
    made = [exp for rows in ablations.values() for exp in rows] + [e for roles in arms.values() for e in roles.values()]
    made += [e for sweep in (sweeps or {}).values() for by_weight in sweep["runs"].values() for e in by_weight.values()]
    return [exp for exp in dict.fromkeys(made) if exp not in shown]


def study_params(
    resolved: dict[str, Experiment],
    runs_of: dict[str, list[Run]],
    probes: dict[str, list[str]],
    ladders: dict[str, list[str]],
    ablations: dict[str, list[str]] | None = None,
    arms: dict[str, dict[str, str]] | None = None,
    sweeps: dict[str, dict] | None = None,
) -> dict:
    """What both documents are written from besides the files they read (the rules' params):
    each experiment's presentation in reading order, its runs, its probes, the noise pairs
    (the positive controls' first), the ladders, the ablations, the arms (data set -> role
    -> experiment, embedgan.config.arms) and their KL sweeps (set of arms -> its seed, and per
    role its [weight, experiment] pairs, lightest first)."""
    return {
        "experiments": {
            exp: {
                **e.presentation,
                "based_on": e.based_on,
                "changes": e.changes,
            }
            for exp, e in resolved.items()
        },
        "runs": {exp: [run.record() for run in exp_runs] for exp, exp_runs in runs_of.items()},
        "probes": probes,
        "noise_pairs": noise_pairs(
            resolved, [rungs[-1] for rungs in ladders.values()] + [rows[0] for rows in (ablations or {}).values()]
        ),
        "ladders": ladder_rungs(resolved, ladders),
        "ablations": ablation_rows(resolved, ablations or {}),
        "side_runs": side_runs(ladders, ablations or {}, arms or {}, sweeps),
        "arms": arms or {},
        "kl_sweeps": {
            name: {
                "seed": sweep["seed"],
                "runs": {role: [[weight, exp] for weight, exp in by_weight.items()]
                         for role, by_weight in sweep["runs"].items()},
            }
            for name, sweep in (sweeps or {}).items()
        },
    }


def document_inputs(
    runs_of: dict[str, list[Run]], probes: dict[str, list[str]], datasets: list[str], arms: list[str] = ()
) -> dict:
    """The files the report and the results page read back (embedgan.config.paths's computed
    files, embedgan.documents.files's pictures)."""
    first_runs = [exp_runs[0] for exp_runs in runs_of.values()]
    every_run = [run for exp_runs in runs_of.values() for run in exp_runs]
    return {
        "histories": [paths.run_file(run, "history") for run in every_run],
        "manifests": [paths.dataset_files(run.dataset)["manifest"] for run in first_runs],
        "metrics": [paths.run_file(run, "metrics") for run in every_run],
        # the metrics a job of their own computes (config.paths.JUDGED_APART: CAS)
        "judged_apart": [paths.run_file(run, artifact) for run in every_run for artifact, _ in paths.JUDGED_APART.values()],
        "curves": [paths.run_file(run, "curve") for run in every_run],
        "cas_real": [paths.cas_real_file(dataset) for dataset in datasets],
        "classifiers": [paths.classifier_file(dataset, "summary") for dataset in datasets],
        "metrics_png": files.METRICS_CHART,
        "curves_png": files.CURVES_CHART,
        "arms_png": [files.arms_figure(name) for name in arms],
        "tradeoff_png": [files.tradeoff_figure(name) for name in arms],
        "pictures": [files.run_picture(run, picture) for run in first_runs for picture in files.PICTURES],
        "probes": [
            paths.run_file(run, probe) if probe == "captions" else files.run_picture(run, probe)
            for run in first_runs
            for probe in probes[run.experiment]
        ],
    }


# The jobs whose loops record their own time over every attempt (a resumed job's benchmark holds
# its last attempt only): the wall-time table takes theirs from the loops' records.
OWN_CLOCK = ("train", "train_classifier")


def job_benchmarks(
    patterns: list[str], names: dict[str, list[str]], asked: dict[str, list[str]] | None = None,
    not_made: set[str] = frozenset(),
) -> dict[str, str]:
    """Each job of the run -> its benchmark file, from the workflow's own rules: `patterns`, each
    rule's benchmark (embedgan.config.paths.benchmark_file: benchmarks/<rule>/<job>.tsv, or
    benchmarks/<rule>.tsv for a single job), expanded over the study's `names` of its wildcards
    (run, exp, dataset, arms). The config decides some rules' jobs: `asked`, a rule's names where
    not every one has the job (a probe: the experiments that ask for it); `not_made`, the rules
    that make none (so that a file an earlier config left is no row). A job that did not run has
    no file, and no row; a pattern that is not the workflow's own shape is left out."""
    jobs = {}
    for pattern in patterns:
        parts = Path(pattern).parts
        if paths.BENCHMARKS not in parts[:-1]:
            continue
        rule = Path(parts[parts.index(paths.BENCHMARKS) + 1]).stem  # a module's prefix before it
        wildcards = re.findall(r"{(\w+)}", pattern)
        if rule in OWN_CLOCK or rule in not_made or not set(wildcards) <= set(names):
            continue
        choices = [(asked or {}).get(rule, names[wildcard]) for wildcard in wildcards]
        for values in itertools.product(*choices):
            jobs[" ".join([rule, *values])] = pattern.format(**dict(zip(wildcards, values, strict=True)))
    return jobs


def run_command(configfiles: list[str], overrides: dict) -> str:
    """The snakemake command line of this run, as far as it shapes the results."""
    parts = ["snakemake", "publish"]  # the target first: --config takes every word after it
    if configfiles:
        parts += ["--configfile", *(os.path.relpath(f) for f in configfiles)]
    if overrides:
        parts += ["--config", *(f"{k}={v}" for k, v in overrides.items())]
    return " ".join(parts)


def cuts_left(cuts: list[dict], runs: list[str]) -> list[dict]:
    """What the run's budget still cuts (config `cuts`): those with a run this run does not make
    (`runs`: the names of the runs it makes; a cut whose runs are all made was added back)."""
    return [cut for cut in cuts if not set(cut["runs"]) <= set(runs)]


def page_params(
    runs_of: dict[str, list[Run]], datasets: list[str], command: str, benchmarks: list[str], arms: list[str] = (),
    probes: dict[str, list[str]] | None = None, inception: bool = False, cuts: list[dict] = (),
) -> dict:
    """What the results page adds to the study's params: the notebook's scale of each
    experiment, each job's benchmark file (`benchmarks`: the rules' patterns; `probes`: the
    probes each experiment asks for, each a rule; `inception`: whether the Inception weights are
    fetched), the run's command, what its budget cut (config `cuts`) and the README it updates."""
    every_probe = {probe for kind in CONDITIONINGS.values() for probe in kind.probes}  # each a rule
    asked = {probe: [exp for exp, listed in (probes or {}).items() if probe in listed] for probe in every_probe}
    names = {
        "run": [run.name for exp_runs in runs_of.values() for run in exp_runs],
        "exp": list(runs_of),
        "dataset": datasets,
        "arms": list(arms),
    }
    return {
        "notebook": {exp: notebook_scale(exp) for exp in runs_of},
        "benchmarks": job_benchmarks(benchmarks, names, asked, set() if inception else {"fetch_inception"}),
        "command": command,
        "cuts": list(cuts),
        "readme": "README.md",
    }
