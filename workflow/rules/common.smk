import ast
import os
import sys
from pathlib import Path

import yaml
from snakemake.utils import min_version, validate

min_version("9.0")

# The workflow's own files are found from this file: used as a module in another project,
# workflow.basedir is that project's folder. (A module from a remote source, github(...), needs
# the package installed: see the README, "Use it in your own project".)
SOURCE = Path(str(workflow.current_basedir)).parents[1]
SCRIPTS = SOURCE / "scripts"
if (SCRIPTS / "embedgan").is_dir():
    sys.path.insert(0, str(SCRIPTS))
from embedgan import runs  # noqa: E402
from embedgan import settings as experiment_settings  # noqa: E402
from embedgan.data import dataset_info  # noqa: E402
from embedgan.errors import ConfigError, ExpectedError  # noqa: E402
from embedgan.publish import page_files  # noqa: E402


configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

PACKAGE = Path(experiment_settings.__file__).parent

# The notebook's own experiments, from the workflow's config/config.yaml (none where the
# workflow's files are not on disk: a module from a remote source): their order is the
# documents' reading order, and their batch sizes and epochs the notebook's scale.
NOTEBOOK_CONFIG = SOURCE / "config" / "config.yaml"
NOTEBOOK_EXPERIMENTS = (
    yaml.safe_load(NOTEBOOK_CONFIG.read_text())["experiments"]
    if NOTEBOOK_CONFIG.is_file()
    else {}
)
# The notebook's experiments in its order, each followed by its variants.
EXPERIMENTS = experiment_settings.reading_order(
    config["experiments"], list(NOTEBOOK_EXPERIMENTS)
)


def classifier_settings(dataset):
    if dataset not in config.get("classifiers", {}):
        raise ConfigError(
            f"config: classifiers.{dataset} is missing; experiments use {dataset}, so its "
            "reference classifier needs settings (epochs, batch_size, lr, seed)"
        )
    return experiment_settings.canonical(config["classifiers"][dataset])


def check_probes(experiment):
    settings, exp = experiment.merged, experiment.name
    if settings["conditioning"] != "text":
        for key in ("prompts", "heldout_captions", "caption_templates"):
            if key in settings:
                raise ConfigError(
                    f"config: experiments.{exp}.{key} needs text conditioning "
                    f"(the experiment's conditioning is {settings['conditioning']})"
                )
    classes = dataset_info(settings["dataset"]).classes
    named = [name for pair in settings.get("morphs", []) for name in pair]
    named += list(settings.get("heldout_captions", {}).get("synonyms", {}))
    for name in named:
        if name not in classes:
            raise ConfigError(
                f"config: experiments.{exp} names class {name!r}, which {settings['dataset']} "
                f"lacks; its classes: {', '.join(classes)}"
            )


def probes_of(experiment):
    """The probes beyond the notebook that the experiment's config asks for."""
    text = experiment.settings.conditioning == "text"
    wanted = {
        "morph": bool(experiment.after_training("morphs", [])),
        "prompts": text and bool(experiment.after_training("prompts", [])),
        "captions": text
        and experiment.after_training("heldout_captions", None) is not None,
    }
    return [probe for probe, on in wanted.items() if on]


def resolve_config():
    """Every experiment resolved once, its settings and classifier checked, at the start
    rather than when a job runs; a problem stops the workflow with its one message."""
    try:
        resolved = {
            exp: experiment_settings.resolve(config, exp) for exp in EXPERIMENTS
        }
        datasets = sorted({e.settings.dataset for e in resolved.values()})
        for dataset in datasets:
            classifier_settings(dataset)
        for experiment in resolved.values():
            check_probes(experiment)
        ladders = experiment_settings.check_ladders(config)
    except ExpectedError as err:
        sys.exit(f"error: {err}")
    return resolved, datasets, ladders


RESOLVED, DATASETS, LADDERS = resolve_config()
PROBES = {exp: probes_of(experiment) for exp, experiment in RESOLVED.items()}
PAGE = "docs/results.md"  # the publish target's results page
INCEPTION_WEIGHTS = "resources/inception/weights-inception-2015-12-05-6726825d.pth"


def after_training(exp, key, default):
    """A setting read after training (a probe's): only its own rule reruns on an edit."""
    return RESOLVED[exp].after_training(key, default)


def imported_modules(path):
    """Names of the package modules `path` imports itself (embedgan.X or, inside, .X)."""
    found = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.ImportFrom):
            inside = node.level == 1 and path.parent == PACKAGE
            if node.module == "embedgan" or (inside and node.module is None):
                found.update(alias.name for alias in node.names)
            elif node.module and (node.module.startswith("embedgan.") or inside):
                found.add(node.module.split(".")[-1])
    return found


def package_modules(script):
    """The package modules `script` imports, directly or through each other: rule inputs,
    since Snakemake does not track imports (so editing one reruns the rules that use it).
    """
    if not (SCRIPTS / script).is_file():  # a remote module: its scripts are not on disk
        return sorted(str(path) for path in PACKAGE.glob("*.py"))
    seen, todo = {"__init__"}, imported_modules(SCRIPTS / script)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo |= imported_modules(PACKAGE / f"{name}.py")
    return [str(PACKAGE / f"{name}.py") for name in sorted(seen)]


# Each experiment's runs (one per seed of `seeds`, see embedgan.runs), and each run by name.
RUNS_OF = {
    exp: runs.runs_of(
        exp, experiment.settings.seed, experiment.settings.dataset, config.get("seeds")
    )
    for exp, experiment in RESOLVED.items()
}
RUN = {run.name: run for exp_runs in RUNS_OF.values() for run in exp_runs}
FIRST_RUNS = [exp_runs[0] for exp_runs in RUNS_OF.values()]


def run_records():
    """Experiment -> its runs, as the scripts that read runs back take them."""
    return {
        exp: [run.record() for run in exp_runs] for exp, exp_runs in RUNS_OF.items()
    }


def run_settings(name):
    """A run's training settings: its experiment's, with the run's seed where `seeds` sets it."""
    run = RUN[name]
    settings = dict(RESOLVED[run.experiment].training)
    if config.get("seeds"):
        settings["seed"] = run.seed
    return settings


def ladder_rungs():
    """Ladder -> its rungs, bottom first, each with what it changes from the rung below."""
    return {
        name: [
            {
                "experiment": rung,
                "changes": (
                    experiment_settings.changes(
                        RESOLVED[rungs[i - 1]].settings, RESOLVED[rung].settings
                    )
                    if i
                    else []
                ),
            }
            for i, rung in enumerate(rungs)
        ]
        for name, rungs in LADDERS.items()
    }


def noise_pairs():
    """(experiment, its noise variant): an entry based_on another that changes its noise only."""
    return [
        [e.based_on, exp]
        for exp, e in RESOLVED.items()
        if e.based_on
        and [
            change.split(":")[0]
            for change in experiment_settings.changes(
                RESOLVED[e.based_on].settings, e.settings
            )
        ]
        == ["noise_dim"]
    ]


def dataset_of(wildcards):
    name = getattr(wildcards, "run", None) or wildcards.exp
    return RUN[name].dataset


def classifier_file(suffix):
    """The reference classifier of a job's data set (suffix: .pt or .json): an input function."""
    return lambda wildcards: f"results/classifiers/{dataset_of(wildcards)}{suffix}"


def dataset_file(kind):
    """The fetched data set of a job's run (kind: images or manifest): an input function."""
    return lambda wildcards: runs.dataset_files(dataset_of(wildcards))[kind]


def notebook_scale(exp):
    """The notebook's scale of an experiment (its batch size and epochs on the complete data
    set), or None for one the notebook does not have."""
    entry = NOTEBOOK_EXPERIMENTS.get(exp)
    if entry is None or "dataset" not in entry:
        return None
    images = dataset_info(entry["dataset"]).full_train_images
    return {
        "images": images,
        "batch_size": entry["batch_size"],
        "epochs": entry["epochs"],
    }


def run_command():
    """The snakemake command line of this run, as far as it shapes the results."""
    parts = [
        "snakemake",
        "publish",
    ]  # the target first: --config takes every word after it
    configfiles = [os.path.relpath(f) for f in workflow.config_settings.configfiles]
    if configfiles:
        parts += ["--configfile", *configfiles]
    if workflow.config_settings.config:
        parts += [
            "--config",
            *(f"{k}={v}" for k, v in workflow.config_settings.config.items()),
        ]
    return " ".join(parts)


def job_benchmarks():
    """Each job of the run -> its benchmark file (the rules' `benchmark:` paths)."""
    jobs = {f"fetch_dataset {d}": f"benchmarks/fetch_dataset/{d}.tsv" for d in DATASETS}
    for exp in EXPERIMENTS:
        for stage in ("sample", "render"):
            jobs[f"{stage} {exp}"] = f"benchmarks/{stage}/{exp}.tsv"
    for run in RUN:
        jobs[f"evaluate {run}"] = f"benchmarks/evaluate/{run}.tsv"
        jobs[f"cas {run}"] = f"benchmarks/cas/{run}.tsv"
    for dataset in DATASETS:
        jobs[f"cas_real {dataset}"] = f"benchmarks/cas_real/{dataset}.tsv"
    jobs["plot_metrics"] = "benchmarks/plot_metrics.tsv"
    jobs["report"] = "benchmarks/report.tsv"
    return jobs


def report_inputs():
    """What the report and the results page read back (through embedgan.runs)."""
    return dict(
        histories=[run.path("history") for run in FIRST_RUNS],
        manifests=[runs.dataset_files(run.dataset)["manifest"] for run in FIRST_RUNS],
        metrics=[run.path("metrics") for run in RUN.values()],
        cas=[run.path("cas") for run in RUN.values()],
        cas_real=[runs.cas_real_file(dataset) for dataset in DATASETS],
        classifiers=expand("results/classifiers/{dataset}.json", dataset=DATASETS),
        metrics_png="results/metrics.png",
        pictures=[run.path(picture) for run in FIRST_RUNS for picture in runs.PICTURES],
        probes=[
            run.path(probe) for run in FIRST_RUNS for probe in PROBES[run.experiment]
        ],
    )


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    run=f"({'|'.join(EXPERIMENTS)})(/seed[0-9]+)?",
    dataset="|".join(DATASETS),
