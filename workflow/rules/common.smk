import ast
import sys
from pathlib import Path

from snakemake.io import strip_wildcard_constraints
from snakemake.utils import min_version, validate

min_version("9.0")

# The workflow's own files are found from this file: used as a module in another project,
# workflow.basedir is that project's folder. (A module from a remote source, github(...), needs
# the package installed: see the README, "Use it in your own project".)
SOURCE = Path(str(workflow.current_basedir)).parents[1]
SCRIPTS = SOURCE / "scripts"
if (SCRIPTS / "embedgan").is_dir():
    sys.path.insert(0, str(SCRIPTS))
import embedgan  # noqa: E402
from embedgan.config import arms, paths, runs, scheduling  # noqa: E402
from embedgan.datasets import data  # noqa: E402
from embedgan.documents import files, plan  # noqa: E402
from embedgan.config import settings as experiment_settings  # noqa: E402
from embedgan.errors import ConfigError, ExpectedError  # noqa: E402


configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

PACKAGE = Path(embedgan.__file__).parent

# The notebook's experiments in its order, each followed by its variants (those `run_only` names);
# the KL sweeps' runs (config `kl_sweeps`) are experiments too, each based on its arm.
try:
    config["experiments"].update(arms.sweep_experiments(config))
    EXPERIMENTS = experiment_settings.experiments_run(config, list(plan.NOTEBOOK))
except ExpectedError as err:
    sys.exit(f"error: {err}")


def classifier_settings(dataset):
    if dataset not in config.get("classifiers", {}):
        raise ConfigError(
            f"config: classifiers.{dataset} is missing; experiments use {dataset}, so its "
            "reference classifier needs settings (epochs, batch_size, lr, seed)"
        )
    return experiment_settings.canonical(config["classifiers"][dataset])


def probes_of(experiment):
    """The probes beyond the notebook that the experiment's config asks for and its
    conditioning can answer."""
    wanted = {
        "morph": bool(experiment.after_training("morphs", [])),
        "prompts": bool(experiment.after_training("prompts", [])),
        "captions": experiment.after_training("heldout_captions", None) is not None,
    }
    allowed = experiment.settings.conditioning_kind.probes
    return [probe for probe, on in wanted.items() if on and probe in allowed]


def resolve_config():
    """Every data set the config can name described and every experiment resolved, once, its
    settings (with its data set's facts) and classifier checked, at the start rather than when
    a job runs; a problem stops the workflow with its one message."""
    try:
        described = data.described(config.get("datasets") or {})
        resolved = {
            exp: experiment_settings.resolve(config, exp, described)
            for exp in EXPERIMENTS
        }
        datasets = sorted({e.settings.dataset for e in resolved.values()})
        for dataset in datasets:
            classifier_settings(dataset)
            data.check_evaluation_size(
                dataset, described[dataset], config["eval_samples_per_class"]
            )
        ladders = experiment_settings.check_ladders(config)
        ablations = experiment_settings.check_ablations(config)
        arms_of = arms.check_arms(config, resolved)
        sweeps = {
            name: sweep
            for name, sweep in arms.sweep_runs(config).items()
            if name in arms_of
            and all(e in resolved for w in sweep["runs"].values() for e in w.values())
        }
    except ExpectedError as err:
        sys.exit(f"error: {err}")
    return described, resolved, datasets, ladders, ablations, arms_of, sweeps


# DATASET_INFO: the facts (datasets.data.DatasetInfo) of every data set the config can name.
DATASET_INFO, RESOLVED, DATASETS, LADDERS, ABLATIONS, ARMS, SWEEPS = resolve_config()
PROBES = {exp: probes_of(experiment) for exp, experiment in RESOLVED.items()}
PAGE = "docs/results.md"  # the publish target's results page


def tradeoff_experiments(name):
    """The experiments of a set of arms' trade-off figure: its arms, then its KL sweep's runs."""
    sweep = SWEEPS.get(name, {"runs": {}})
    swept = [e for by_weight in sweep["runs"].values() for e in by_weight.values()]
    return [*ARMS[name].values(), *swept]


def report_group(wildcards):
    """The category of a job's pictures in Snakemake's HTML report (plan.report_group)."""
    name = getattr(wildcards, "run", None) or wildcards.exp
    return plan.report_group(RUN[name].experiment, LADDERS, ABLATIONS)


def after_training(exp, key, default):
    """A setting read after training (a probe's): only its own rule reruns on an edit."""
    return RESOLVED[exp].after_training(key, default)


def module_file(dotted):
    """The file of module `dotted` (embedgan.a.b: a/b.py, or a package's a/b/__init__.py) in
    the package, or None (a name defined in a module)."""
    path = PACKAGE.joinpath(*dotted.split(".")[1:])
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return path / "__init__.py" if (path / "__init__.py").is_file() else None


def runtime_imports(node):
    """The `from embedgan... import` statements under `node` that run: not those under
    `if TYPE_CHECKING:` (a type's import does not change what a script does)."""
    for child in ast.iter_child_nodes(node):
        if (
            isinstance(child, ast.If)
            and getattr(child.test, "id", None) == "TYPE_CHECKING"
        ):
            yield from runtime_imports(ast.Module(body=child.orelse, type_ignores=[]))
            continue
        if (
            isinstance(child, ast.ImportFrom)
            and (child.module or "").split(".")[0] == "embedgan"
        ):
            yield child
        yield from runtime_imports(child)


def imported_files(path):
    """The package files `path` imports itself (from embedgan.a.b import c: a's and a.b's
    __init__.py, a/b.py, and c where c is a module), and embedgan's own __init__.py."""
    found = {PACKAGE / "__init__.py"}
    for node in runtime_imports(ast.parse(Path(path).read_text())):
        named = [f"{node.module}.{alias.name}" for alias in node.names]
        for dotted in [node.module, *named]:
            parts = dotted.split(".")
            found |= {
                module_file(".".join(parts[:i])) for i in range(2, len(parts) + 1)
            }
    return found - {None}


def package_modules(script):
    """The package files `script` imports, directly or through each other: rule inputs, since
    Snakemake does not track imports (so editing one reruns the rules that use it)."""
    if not (SCRIPTS / script).is_file():  # a remote module: its scripts are not on disk
        return sorted(str(path) for path in PACKAGE.rglob("*.py"))
    seen, todo = set(), imported_files(SCRIPTS / script)
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo |= imported_files(path)
    return sorted(str(path) for path in seen)


# Each experiment's runs (one per seed of its own `seeds`, else of the config's; see
# embedgan.config.runs), and each run by name.
RUNS_OF = {
    exp: runs.runs_of(
        exp,
        experiment.settings.seed,
        experiment.settings.dataset,
        experiment.seeds or config.get("seeds"),
    )
    for exp, experiment in RESOLVED.items()
}
RUN = {run.name: run for exp_runs in RUNS_OF.values() for run in exp_runs}
FIRST_RUNS = [exp_runs[0] for exp_runs in RUNS_OF.values()]


def run_settings(name):
    """A run's training settings: its experiment's, with the run's seed."""
    run = RUN[name]
    return {**RESOLVED[run.experiment].training, "seed": run.seed}


def training_priority(wildcards):
    """A training job's priority: from its run's settings and its data set's facts."""
    run = RUN[wildcards.run]
    return scheduling.training_priority(
        RESOLVED[run.experiment].settings, DATASET_INFO[run.dataset]
    )


def dataset_of(wildcards):
    name = getattr(wildcards, "run", None) or wildcards.exp
    return RUN[name].dataset


def classifier_file(kind):
    """A file of the reference classifier of a job's data set (kind: model or summary): an
    input function."""
    return lambda wildcards: paths.classifier_file(dataset_of(wildcards), kind)


def dataset_file(kind):
    """The fetched data set of a job's run (kind: images or manifest): an input function."""
    return lambda wildcards: paths.dataset_files(dataset_of(wildcards))[kind]


def run_command():
    """The snakemake command line of this run, as far as it shapes the results."""
    return plan.run_command(
        workflow.config_settings.configfiles, workflow.config_settings.config
    )


# What both documents are written from: the plan of the study, and the files they read.
STUDY = plan.study_params(RESOLVED, RUNS_OF, PROBES, LADDERS, ABLATIONS, ARMS, SWEEPS)
DOCUMENT_INPUTS = plan.document_inputs(RUNS_OF, PROBES, DATASETS, list(ARMS))


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    run=f"({'|'.join(EXPERIMENTS)})(/seed[0-9]+)?",
    dataset="|".join(DATASETS),
    arms="|".join(ARMS) or "no arms",


def benchmark_patterns():
    """Each of this workflow's rules' benchmark pattern (the wall-time table's jobs): called by
    the publish rule, included after every rule with a benchmark; a project that uses the
    workflow as a module keeps its own rules' benchmarks out of the page."""
    own = SOURCE / "workflow"
    return [
        strip_wildcard_constraints(str(rule.benchmark))
        for rule in workflow.rules
        if rule.benchmark and Path(rule.snakefile).resolve().is_relative_to(own)
    ]
