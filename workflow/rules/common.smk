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


def check_config():
    """Every experiment's settings and classifier, at the start rather than when a job runs;
    a problem stops the workflow with its one message (no traceback)."""
    try:
        datasets = sorted({merged_experiment(exp)["dataset"] for exp in EXPERIMENTS})
        for dataset in datasets:
            classifier_settings(dataset)
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


# Replicates: with `seeds`, each experiment trains once per seed. The first seed's run is the
# experiment itself (results/<exp>/, with its pictures); the others are results/<exp>/seed<N>/.
SEEDS = config.get("seeds")


def runs_of(exp):
    if not SEEDS:
        return [exp]
    return [exp] + [f"{exp}/seed{seed}" for seed in SEEDS[1:]]


RUNS = [run for exp in EXPERIMENTS for run in runs_of(exp)]


def experiment_of(run):
    return run.split("/")[0]


def run_settings(run):
    """A run's training settings: its experiment's, with the run's seed."""
    settings = training_settings(experiment_of(run))
    if SEEDS:
        exp = experiment_of(run)
        settings["seed"] = SEEDS[0] if run == exp else int(run.rsplit("seed", 1)[1])
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
    return merged_experiment(experiment_of(name))["dataset"]


def experiment_outputs(pattern):
    return expand(pattern, exp=EXPERIMENTS)


def run_outputs(pattern):
    return expand(pattern, run=RUNS)


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
    for run in RUNS:
        jobs[f"evaluate {run}"] = f"benchmarks/evaluate/{run}.tsv"
    jobs["plot_metrics"] = "benchmarks/plot_metrics.tsv"
    jobs["report"] = "benchmarks/report.tsv"
    return jobs


def report_inputs():
    """What the report and the results page are made from, by name (report.gather)."""
    return dict(
        histories=experiment_outputs("results/{exp}/history.json"),
        manifests=[
            f"resources/datasets/{merged_experiment(exp)['dataset']}.json"
            for exp in EXPERIMENTS
        ],
        metrics=run_outputs("results/{run}/metrics.json"),
        classifiers=expand("results/classifiers/{dataset}.json", dataset=DATASETS),
        metrics_png="results/metrics.png",
        fakes=experiment_outputs("results/{exp}/{exp}_fake.png"),
        reals=experiment_outputs("results/{exp}/{exp}_real.png"),
        history_pngs=experiment_outputs("results/{exp}/{exp}.png"),
        loss_pngs=experiment_outputs("results/{exp}/{exp}_loss.png"),
        nearest_pngs=experiment_outputs("results/{exp}/nearest.png"),
    )


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    run=f"({'|'.join(EXPERIMENTS)})(/seed[0-9]+)?",
    dataset="|".join(DATASETS),
