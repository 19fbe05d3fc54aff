import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))
from embedgan import settings as experiment_settings  # noqa: E402


configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

EXPERIMENTS = list(config["experiments"])
PACKAGE = Path(workflow.basedir) / "scripts" / "embedgan"


def merged_experiment(exp):
    return experiment_settings.merged_experiment(config, exp)


def training_settings(exp):
    """The experiment's own config slice: the training rule's params."""
    return experiment_settings.training_settings(config, exp)


def presentation(exp):
    return experiment_settings.presentation(config, exp)


DATASETS = sorted({merged_experiment(exp)["dataset"] for exp in EXPERIMENTS})


def classifier_settings(dataset):
    if dataset not in config.get("classifiers", {}):
        raise ValueError(
            f"config: classifiers.{dataset} is missing; experiments use {dataset}, so its "
            "reference classifier needs settings (epochs, batch_size, lr, seed)"
        )
    return config["classifiers"][dataset]


for dataset in DATASETS:
    classifier_settings(dataset)  # fail at the start, not when a job runs


def package_modules(*names):
    """Package modules a script imports: inputs, since Snakemake does not track imports."""
    return [str(PACKAGE / f"{name}.py") for name in ("__init__", *names)]


def dataset_of(wildcards):
    return merged_experiment(wildcards.exp)["dataset"]


def experiment_outputs(pattern):
    return expand(pattern, exp=EXPERIMENTS)


wildcard_constraints:
    exp="|".join(EXPERIMENTS),
    dataset="|".join(DATASETS),
