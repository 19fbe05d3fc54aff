"""An experiment's settings: its config entry laid over `experiment_defaults`, and the typed
`Settings` the trainer reads, where every optional setting has its one default."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from .errors import ConfigError

# Keys a merged experiment must have; the config schema checks their types and values.
REQUIRED_SETTINGS = ("dataset", "generator", "objective", "batch_size", "epochs")
# Presentation only: editing them rewrites the report, not the trained model.
PRESENTATION_KEYS = ("title", "description")
# Read after training, by a picture or an evaluation: editing them reruns only that.
AFTER_TRAINING_KEYS = ("prompts", "morphs", "heldout_captions")
# Text conditioning only.
TEXT_KEYS = ("caption", "encoder_dropout", "caption_templates", "freeze_encoder")


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
        k: v
        for k, v in merged_experiment(config, exp).items()
        if k not in PRESENTATION_KEYS + AFTER_TRAINING_KEYS
    }
    if settings["conditioning"] == "text":
        settings["text_encoder"] = config["text_encoder"]
    else:  # text-only settings: changing them must not rerun label-conditioned experiments
        for key in TEXT_KEYS:
            settings.pop(key, None)
    return settings


def after_training(config: dict, exp: str, key: str, default):
    """A setting read after training (a picture's, an evaluation's): its rule's params."""
    return merged_experiment(config, exp).get(key, default)


def presentation(config: dict, exp: str) -> dict:
    settings = merged_experiment(config, exp)
    return {key: settings.get(key, "") for key in PRESENTATION_KEYS}


@dataclass(frozen=True)
class Optimizer:
    lr: float = 2.0e-4
    betas: tuple[float, float] = (0.5, 0.999)

    def __post_init__(self):
        object.__setattr__(self, "betas", tuple(self.betas))  # a list in YAML


@dataclass(frozen=True)
class Augmentation:
    """Conditioning augmentation (StackGAN): the generator's loss adds kl_weight * KL."""

    kl_weight: float = 1.0


@dataclass(frozen=True)
class ImagePrior:
    """Penalties on generated images (in [-1, 1]) added to the generator's loss."""

    tv_weight: float = 0.0  # mean absolute difference of neighbouring pixels
    l2_weight: float = 0.0  # mean squared pixel value


@dataclass(frozen=True)
class Settings:
    """One run's training settings (a validated config slice, see the config schema), with
    the defaults of settings a config may leave out (older configs lack the newer ones).
    The options beyond the notebook are off by default."""

    dataset: str
    generator: str
    objective: str
    batch_size: int
    epochs: int
    discriminator: str | None = None
    conditioning: str = "label"
    schedule: str = "alternating"
    train_per_class: int | None = None
    optimizer: Optimizer = field(default_factory=Optimizer)
    seed: int = 0
    history_points: int = 8
    noise_dim: int = 0  # Gaussian noise values appended to the class code; 0: the notebook
    caption: str = "{name}"
    encoder_dropout: bool = False
    text_encoder: str | None = None
    conditioning_augmentation: Augmentation | None = None
    image_prior: ImagePrior | None = None
    # Text conditioning: captions drawn per image and step from these ({name}: the class);
    # None: `caption` alone. The first is the class's own caption (pictures, metrics).
    caption_templates: tuple[str, ...] | None = None
    freeze_encoder: bool = False  # text conditioning: BERT's weights stay pretrained

    NESTED = {"optimizer": Optimizer, "conditioning_augmentation": Augmentation, "image_prior": ImagePrior}

    @classmethod
    def of(cls, values: Settings | dict) -> Settings:
        """Settings from a config slice (a dict, as rule params carry it)."""
        if isinstance(values, Settings):
            return values
        values = dict(values)
        unknown = sorted(set(values) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise ConfigError(f"unknown experiment settings: {', '.join(unknown)}")
        for key, kind in cls.NESTED.items():
            if isinstance(values.get(key), dict):
                values[key] = kind(**values[key])
        if values.get("caption_templates") is not None:
            values["caption_templates"] = tuple(values["caption_templates"])
        return cls(**values)

    @property
    def templates(self) -> tuple[str, ...]:
        """The training captions' templates (text conditioning)."""
        return self.caption_templates or (self.caption,)

    @property
    def stochastic(self) -> bool:
        """Whether one class gives many images (noise or conditioning augmentation)."""
        return self.noise_dim > 0 or self.conditioning_augmentation is not None
