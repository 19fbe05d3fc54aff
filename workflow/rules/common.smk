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
from embedgan.publish import page_pictures  # noqa: E402


configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

EXPERIMENTS = list(config["experiments"])
PACKAGE = Path(experiment_settings.__file__).parent


def merged_experiment(exp):
    return experiment_settings.merged_experiment(config, exp)


def training_settings(exp):
    """The experiment's own config slice: the training rule's params."""
    return experiment_settings.training_settings(config, exp)


def presentation(exp):
    return experiment_settings.presentation(config, exp)


def classifier_settings(dataset):
    if dataset not in config.get("classifiers", {}):
        raise ConfigError(
            f"config: classifiers.{dataset} is missing; experiments use {dataset}, so its "
            "reference classifier needs settings (epochs, batch_size, lr, seed)"
        )
    return config["classifiers"][dataset]


def after_training(exp, key, default):
    """A setting read after training (a probe's): only its own rule reruns on an edit."""
    return experiment_settings.after_training(config, exp, key, default)


def probes_of(exp):
    """The probes beyond the notebook that the experiment's config asks for."""
    text = merged_experiment(exp)["conditioning"] == "text"
    wanted = {
        "morph": bool(after_training(exp, "morphs", [])),
        "prompts": text and bool(after_training(exp, "prompts", [])),
        "captions": text and after_training(exp, "heldout_captions", None) is not None,
    }
    return [probe for probe, on in wanted.items() if on]


def check_probes(exp):
    settings = merged_experiment(exp)
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


def check_config():
    """Every experiment's settings and classifier, at the start rather than when a job runs;
    a problem stops the workflow with its one message (no traceback)."""
    try:
        datasets = sorted({merged_experiment(exp)["dataset"] for exp in EXPERIMENTS})
        for dataset in datasets:
            classifier_settings(dataset)
        for exp in EXPERIMENTS:
            check_probes(exp)
    except ExpectedError as err:
        sys.exit(f"error: {err}")
    return datasets


DATASETS = check_config()


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
        exp,
        experiment_settings.Settings.of(training_settings(exp)).seed,
        merged_experiment(exp)["dataset"],
        config.get("seeds"),
    )
    for exp in EXPERIMENTS
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
    settings = training_settings(run.experiment)
    if config.get("seeds"):
        settings["seed"] = run.seed
    return settings


def noise_pairs():
    """(experiment, its noise variant): entries `based_on` another, with more noise."""
    pairs = []
    for exp in EXPERIMENTS:
        base = config["experiments"][exp].get("based_on")
        if (
            base
            and merged_experiment(exp)["noise_dim"]
            > merged_experiment(base)["noise_dim"]
        ):
            pairs.append([base, exp])
    return pairs


def dataset_of(wildcards):
    name = getattr(wildcards, "run", None) or wildcards.exp
    return RUN[name].dataset


def classifier_file(suffix):
    """The reference classifier of a job's data set (suffix: .pt or .json): an input function."""
    return lambda wildcards: f"results/classifiers/{dataset_of(wildcards)}{suffix}"


def dataset_file(kind):
    """The fetched data set of a job's run (kind: images or manifest): an input function."""
    return lambda wildcards: runs.dataset_files(dataset_of(wildcards))[kind]


# The notebook's scale of each experiment: the workflow's own config/config.yaml (the notebook's
# batch sizes and epochs) on the complete data sets; None for experiments it does not have (and
# for all, where the workflow's files are not on disk: a module from a remote source).
NOTEBOOK_CONFIG = SOURCE / "config" / "config.yaml"
NOTEBOOK_EXPERIMENTS = (
    yaml.safe_load(NOTEBOOK_CONFIG.read_text())["experiments"]
    if NOTEBOOK_CONFIG.is_file()
    else {}
)


def notebook_scale(exp):
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
    jobs["plot_metrics"] = "benchmarks/plot_metrics.tsv"
    jobs["report"] = "benchmarks/report.tsv"
    return jobs


def report_inputs():
    """What the report and the results page read back (through embedgan.runs)."""
    return dict(
        histories=[run.path("history") for run in FIRST_RUNS],
        manifests=[runs.dataset_files(run.dataset)["manifest"] for run in FIRST_RUNS],
        metrics=[run.path("metrics") for run in RUN.values()],
        classifiers=expand("results/classifiers/{dataset}.json", dataset=DATASETS),
        metrics_png="results/metrics.png",
        pictures=[run.path(picture) for run in FIRST_RUNS for picture in runs.PICTURES],
        probes=[
            run.path(probe) for run in FIRST_RUNS for probe in probes_of(run.experiment)
        ],
    )


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    run=f"({'|'.join(EXPERIMENTS)})(/seed[0-9]+)?",
    dataset="|".join(DATASETS),
