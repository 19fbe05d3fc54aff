"""An experiment's settings: its config entry laid over `experiment_defaults`."""

from __future__ import annotations

import copy

from .errors import ConfigError

# Keys a merged experiment must have; the config schema checks their types and values.
REQUIRED_SETTINGS = ("dataset", "generator", "objective", "batch_size", "epochs")
# Presentation only: editing them rewrites the report, not the trained model.
PRESENTATION_KEYS = ("title", "description")


def deep_merge(base: dict, override: dict) -> dict:
    """A copy of `base` with `override` laid over it, nested dicts merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def own_entry(config: dict, exp: str, seen: tuple[str, ...] = ()) -> dict:
    """The entry, laid over the entry it names in `based_on` (itself resolved the same way)."""
    entry = config["experiments"][exp]
    base = entry.get("based_on")
    if base is None:
        return entry
    if base not in config["experiments"]:
        raise ConfigError(f"config: experiments.{exp}.based_on names unknown experiment {base!r}")
    if base in seen or base == exp:
        raise ConfigError(f"config: experiments.{exp}.based_on forms a cycle: {' -> '.join((*seen, exp, base))}")
    merged = deep_merge(own_entry(config, base, (*seen, exp)), entry)
    del merged["based_on"]
    return merged


def merged_experiment(config: dict, exp: str) -> dict:
    settings = deep_merge(config["experiment_defaults"], own_entry(config, exp))
    missing = [key for key in REQUIRED_SETTINGS if key not in settings]
    if missing:
        raise ConfigError(
            f"config: experiments.{exp} lacks {', '.join(missing)} "
            "(set it there or in experiment_defaults)"
        )
    return settings


def training_settings(config: dict, exp: str) -> dict:
    """The experiment's own config slice: what its training depends on."""
    settings = {
        k: v for k, v in merged_experiment(config, exp).items() if k not in PRESENTATION_KEYS
    }
    if settings["conditioning"] == "text":
        settings["text_encoder"] = config["text_encoder"]
    else:  # text-only settings: changing them must not rerun label-conditioned experiments
        settings.pop("caption", None)
        settings.pop("encoder_dropout", None)
    return settings


def presentation(config: dict, exp: str) -> dict:
    settings = merged_experiment(config, exp)
    return {key: settings.get(key, "") for key in PRESENTATION_KEYS}
