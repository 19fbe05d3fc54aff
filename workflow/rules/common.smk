import copy
from pathlib import Path

from snakemake.utils import min_version, update_config, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, schema="../schemas/config.schema.yaml")

EXPERIMENTS = list(config["experiments"])
# Keys a merged experiment must have; the schema checks their types and values.
REQUIRED_SETTINGS = ("dataset", "generator", "objective", "batch_size", "epochs")
# Presentation only: editing them rewrites the report, not the trained model.
PRESENTATION_KEYS = ("title", "description")
PACKAGE = Path(workflow.basedir) / "scripts" / "embedgan"


def merged_experiment(exp):
    settings = copy.deepcopy(config["experiment_defaults"])
    update_config(settings, copy.deepcopy(config["experiments"][exp]))
    missing = [key for key in REQUIRED_SETTINGS if key not in settings]
    if missing:
        raise ValueError(
            f"config: experiments.{exp} lacks {', '.join(missing)} "
            "(set it there or in experiment_defaults)"
        )
    return settings


def training_settings(exp):
    """The experiment's own config slice: the training rule's params."""
    settings = {
        k: v for k, v in merged_experiment(exp).items() if k not in PRESENTATION_KEYS
    }
    if settings["conditioning"] == "text":
        settings["text_encoder"] = config["text_encoder"]
    else:
        settings.pop("caption", None)
    return settings


def presentation(exp):
    settings = merged_experiment(exp)
    return {key: settings.get(key, "") for key in PRESENTATION_KEYS}


DATASETS = sorted({merged_experiment(exp)["dataset"] for exp in EXPERIMENTS})


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
