import ast
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

# The workflow's own files are found from this file: used as a module in another project,
# workflow.basedir is that project's folder. (A module from a remote source, github(...), needs
# the package installed: see the README, "Use it in your own project".)
SOURCE = Path(str(workflow.current_basedir)).parents[1]
SCRIPTS = SOURCE / "scripts"
if (SCRIPTS / "embedgan").is_dir():
    sys.path.insert(0, str(SCRIPTS))
from embedgan import plan, runs  # noqa: E402
from embedgan import settings as experiment_settings  # noqa: E402
from embedgan.errors import ConfigError, ExpectedError  # noqa: E402
from embedgan.publish import page_files  # noqa: E402


configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

PACKAGE = Path(experiment_settings.__file__).parent

# The notebook's experiments in its order, each followed by its variants.
EXPERIMENTS = experiment_settings.reading_order(
    config["experiments"], list(plan.NOTEBOOK)
)


def classifier_settings(dataset):
    if dataset not in config.get("classifiers", {}):
        raise ConfigError(
            f"config: classifiers.{dataset} is missing; experiments use {dataset}, so its "
            "reference classifier needs settings (epochs, batch_size, lr, seed)"
        )
    return experiment_settings.canonical(config["classifiers"][dataset])


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
        ladders = experiment_settings.check_ladders(config)
        ablations = experiment_settings.check_ablations(config)
    except ExpectedError as err:
        sys.exit(f"error: {err}")
    return resolved, datasets, ladders, ablations


RESOLVED, DATASETS, LADDERS, ABLATIONS = resolve_config()
PROBES = {exp: probes_of(experiment) for exp, experiment in RESOLVED.items()}
PAGE = "docs/results.md"  # the publish target's results page


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


def run_settings(name):
    """A run's training settings: its experiment's, with the run's seed where `seeds` sets it."""
    run = RUN[name]
    settings = dict(RESOLVED[run.experiment].training)
    if config.get("seeds"):
        settings["seed"] = run.seed
    return settings


def dataset_of(wildcards):
    name = getattr(wildcards, "run", None) or wildcards.exp
    return RUN[name].dataset


def classifier_file(kind):
    """A file of the reference classifier of a job's data set (kind: model or summary): an
    input function."""
    return lambda wildcards: runs.classifier_file(dataset_of(wildcards), kind)


def dataset_file(kind):
    """The fetched data set of a job's run (kind: images or manifest): an input function."""
    return lambda wildcards: runs.dataset_files(dataset_of(wildcards))[kind]


def run_command():
    """The snakemake command line of this run, as far as it shapes the results."""
    return plan.run_command(
        workflow.config_settings.configfiles, workflow.config_settings.config
    )


# What both documents are written from: the plan of the study, and the files they read.
STUDY = plan.study_params(RESOLVED, RUNS_OF, PROBES, LADDERS, ABLATIONS)
DOCUMENT_INPUTS = plan.document_inputs(RUNS_OF, PROBES, DATASETS)


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    run=f"({'|'.join(EXPERIMENTS)})(/seed[0-9]+)?",
    dataset="|".join(DATASETS),
