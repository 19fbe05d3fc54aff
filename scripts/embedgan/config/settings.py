"""An experiment's settings: its config entry laid over `experiment_defaults`, and the typed
`Settings` the trainer reads, where every optional setting has its one default."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from embedgan.config.kinds import ConditioningKind
from embedgan.config.rules import (
    check_image_size,
    check_probes,
    check_settings,
    conditioning_kind,
    noise_draws,
)
from embedgan.datasets.data import DatasetInfo, lookup
from embedgan.errors import ConfigError

# Keys a merged experiment must have; the config schema checks their types and values.
REQUIRED_SETTINGS = ("dataset", "generator", "objective", "batch_size", "epochs")
# Presentation only: editing them rewrites the report, not the trained model.
PRESENTATION_KEYS = ("title", "description")
# How often it trains: its own seeds (one run per seed), not its base's (a run based on an arm
# trained over three seeds is trained once unless it says otherwise).
RUN_KEYS = ("seeds",)
# Read after training, by a picture or an evaluation: editing them reruns only that.
AFTER_TRAINING_KEYS = ("prompts", "morphs", "heldout_captions")
# Text conditioning only.
TEXT_KEYS = (
    "caption", "encoder_dropout", "caption_templates", "freeze_encoder", "text_pooling", "scale_codes",
    "discriminator_condition",
)
# Options that act on the noise (Settings checks that they have some): a run without noise has
# them off, so turning the noise off turns them off too (a noise pair, embedgan.documents.plan).
NOISE_OPTIONS = ("mode_seeking", "noise_draws", "scale_codes")


# The workflow's own folder (the package lives in its scripts/): its default config and schema.
WORKFLOW_DIR = Path(__file__).resolve().parents[3]


def deep_merge(base: dict, override: dict) -> dict:
    """A copy of `base` with `override` laid over it, nested dicts merged key by key."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_config(
    configfiles=(), overrides: dict | None = None, workflow_dir: Path = WORKFLOW_DIR, validate: bool = True
) -> dict:
    """The config of `snakemake --configfile ... --config ...` run in `workflow_dir`: its
    config/config.yaml, each configfile laid over it key by key, then `overrides`, validated
    against the workflow's schema (which fills in its defaults), as the workflow does. For the
    scripts that train outside the workflow (benchmarks, timings). `validate=False` for a
    machine without Snakemake (the GPU check's), on the repository's own presets."""
    import yaml

    config = yaml.safe_load((workflow_dir / "config" / "config.yaml").read_text())
    for path in configfiles:
        config = deep_merge(config, yaml.safe_load(Path(path).read_text()))
    config = deep_merge(config, overrides or {})
    if validate:
        from snakemake.utils import validate as against_schema

        against_schema(config, str(workflow_dir / "workflow" / "schemas" / "config.schema.yaml"))
    return config


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


def training_slice(merged: dict, text_encoder: str) -> dict:
    """What a merged experiment's training depends on (no titles, no probes)."""
    settings = {k: v for k, v in merged.items() if k not in PRESENTATION_KEYS + AFTER_TRAINING_KEYS + RUN_KEYS}
    if conditioning_kind(settings["conditioning"]).uses_text:
        settings["text_encoder"] = text_encoder
    else:  # text-only settings: changing them must not rerun label-conditioned experiments
        for key in TEXT_KEYS:
            settings.pop(key, None)
    return settings


def canonical(value):
    """`value` with every dict's keys sorted, recursively: rule params in one form whatever the
    key order of the config files (Snakemake compares params by their text, so another order
    of the same settings would rerun the jobs)."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def reading_order(experiments: dict, first: list[str]) -> list[str]:
    """The experiments in the order the documents list them: those based on no other in the
    order of `first` (the notebook's), then the others by name; each followed by the
    experiments based on it, depth first by name (so a chain of rungs reads in order). The
    config's key order plays no part: the same settings in another order plan no job."""
    children: dict[str, list[str]] = {name: [] for name in experiments}
    roots = []
    for name, entry in sorted(experiments.items()):
        base = entry.get("based_on")
        (children[base] if base in children and base != name else roots).append(name)
    roots.sort(key=lambda name: first.index(name) if name in first else len(first))  # stable
    order: list[str] = []

    def visit(name: str) -> None:
        if name not in order:
            order.append(name)
            for child in children[name]:
                visit(child)

    for name in roots:
        visit(name)
    return order + sorted(set(experiments) - set(order))  # a based_on cycle, refused later


def flat(settings: dict, prefix: str = "") -> dict:
    """Nested settings as dotted keys (optimizer.lr)."""
    found = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            found.update(flat(value, f"{prefix}{key}."))
        else:
            found[f"{prefix}{key}"] = value
    return found


def changes(below: Settings, rung: Settings) -> list[dict]:
    """What a rung's settings change from the rung below's: one record per dotted key, sorted by
    key, {"key", "old", "new"}, without "old" or "new" where that side lacks the key (an option
    switched on or off). Each optional setting stands at its default where the config leaves
    it out. Plain data: rule params carry it, and only the documents format it."""
    old, new = flat(dataclasses.asdict(below)), flat(dataclasses.asdict(rung))
    return [
        {"key": key, **({"old": old[key]} if key in old else {}), **({"new": new[key]} if key in new else {})}
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def experiments_run(config: dict, first: list[str]) -> list[str]:
    """The experiments the workflow runs, in reading order: every one of `experiments`, or
    those `run_only` names (a ConfigError names the first it does not know)."""
    chosen = config.get("run_only")
    for missing in [exp for exp in chosen or () if exp not in config["experiments"]][:1]:
        raise ConfigError(f"config: run_only names unknown experiment {missing!r}")
    return [exp for exp in reading_order(config["experiments"], first) if chosen is None or exp in chosen]


def named_experiments(config: dict, key: str) -> dict[str, list[str]]:
    """A config entry of named lists of experiments (`ladders`, `ablations`), but those naming an
    experiment `run_only` leaves out; a ConfigError names the first unknown experiment."""
    groups = config.get(key) or {}
    chosen = config.get("run_only")
    for name, members in groups.items():
        for missing in [exp for exp in members if exp not in config["experiments"]][:1]:
            raise ConfigError(f"config: {key}.{name} names unknown experiment {missing!r}")
    return {name: members for name, members in groups.items() if chosen is None or set(members) <= set(chosen)}


def check_ladders(config: dict) -> dict[str, list[str]]:
    """The config's ladders (name -> experiments, bottom rung first), each rung `based_on` the
    rung below; a ConfigError names the first that is not."""
    ladders = named_experiments(config, "ladders")
    for name, rungs in ladders.items():
        for below, rung in itertools.pairwise(rungs):
            if config["experiments"][rung].get("based_on") != below:
                raise ConfigError(
                    f"config: ladders.{name}: experiments.{rung} must be based_on {below!r}, the "
                    f"rung below it (it is based_on {config['experiments'][rung].get('based_on')!r})"
                )
    return ladders


def check_ablations(config: dict) -> dict[str, list[str]]:
    """The config's ablations (name -> the full control first, then its rows), each row
    `based_on` the control; a ConfigError names the first that is not."""
    ablations = named_experiments(config, "ablations")
    for name, (control, *rows) in ablations.items():
        for row in rows:
            if config["experiments"][row].get("based_on") != control:
                raise ConfigError(
                    f"config: ablations.{name}: experiments.{row} must be based_on {control!r}, the "
                    f"full control (it is based_on {config['experiments'][row].get('based_on')!r})"
                )
    return ablations


@dataclass(frozen=True)
class Experiment:
    """An experiment's config entry, resolved once (at planning time): `merged`, laid over
    what it is based on and `experiment_defaults`; `training`, the slice its training depends
    on in canonical form (the train rule's params); `settings`, that slice typed."""

    name: str
    based_on: str | None
    merged: dict
    training: dict
    settings: Settings
    presentation: dict
    seeds: list[int] | None = None  # its own `seeds`: one run per seed (None: the config's `seeds`)
    # what it changes from the experiment it is based on (change records; none without a base),
    # whether or not that one runs (run_only)
    changes: list[dict] = field(default_factory=list)

    def after_training(self, key: str, default):
        """A setting read after training (a picture's, an evaluation's): its rule's params."""
        return canonical(self.merged.get(key, default))


def resolve(config: dict, exp: str, datasets: dict[str, DatasetInfo]) -> Experiment:
    """An experiment's entry resolved, and checked: its settings by every rule between them and
    with its data set's facts (`datasets`: every data set the config can name, described once:
    datasets.data.described), its probes against its conditioning and data set (a broken rule
    names the experiment)."""
    merged = merged_experiment(config, exp)
    try:
        training = canonical(training_slice(merged, config["text_encoder"]))
        settings = Settings.of(training)
        info = lookup(datasets, settings.dataset)  # unknown: a DataSourceError, its message unprefixed
        check_image_size(settings, info)
    except ConfigError as err:
        raise ConfigError(f"config: experiments.{exp}: {err}") from None
    check_probes(exp, merged, info)
    own = config["experiments"][exp]
    base = own.get("based_on")
    return Experiment(
        name=exp,
        based_on=own.get("based_on"),
        merged=merged,
        training=training,
        settings=settings,
        # a run's own words: a derived run does not take its base's title and description (the
        # documents say what it changes instead)
        presentation={key: (own if own.get("based_on") else merged).get(key, "") for key in PRESENTATION_KEYS},
        seeds=own.get("seeds"),
        changes=changes(resolve(config, base, datasets).settings, settings) if base else [],
    )


@dataclass(frozen=True)
class Optimizer:
    lr: float = 2.0e-4
    betas: tuple[float, float] = (0.5, 0.999)

    def __post_init__(self):
        object.__setattr__(self, "betas", tuple(self.betas))  # a list in YAML


@dataclass(frozen=True)
class Augmentation:
    """Conditioning augmentation (StackGAN): the generator's loss adds kl_weight * KL, the KL in
    nats per dimension of the code (networks.inputs); StackGAN's weight is 2.0."""

    kl_weight: float = 2.0


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
    history_points: int = 13  # the generation record's rows; the curve's trend test needs 12
    curve_samples: int = 50  # images per class at each point of the record, judged for the run's curve
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
    # The conditional GANs beyond the notebook:
    spectral_norm: bool = False  # every layer of the discriminator spectrally normalised
    d_steps: int = 1  # discriminator steps (each on its own batch) per generator step
    g_ema: float | None = None  # decay of a moving average of G's weights, which then draws
    width: int = 64  # channels of the dcgan generator and the projection discriminator
    # The positive control's remedies for a generator that ignores its noise:
    generator_conditioning: str = "input"  # dcgan: the code at the input, or in its BatchNorms
    mode_seeking: float = 0.0  # weight of MSGAN's mode-seeking term in the generator's loss
    # Noise draws per code in a generator step, its loss their mean: mode seeking compares two, so
    # an arm without it that draws two too sees the same generator batch (None: 2 with mode
    # seeking, else 1).
    noise_draws: int | None = None
    # Text conditioning: BERT's state pooled at [CLS] (the notebook) or over the tokens; each
    # code rescaled to the noise's expected norm; the discriminator judging with the caption
    # code (the generator's projection) or with the encoder's states (a projection of its own).
    text_pooling: str = "cls"
    scale_codes: bool = False
    discriminator_condition: str = "code"

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

    def __post_init__(self):
        object.__setattr__(self, "noise_draws", noise_draws(self))  # frozen: its default resolved once, here
        check_settings(self)  # every rule on the settings alone (embedgan.config.rules)

    @property
    def conditioning_kind(self) -> ConditioningKind:
        """What its `conditioning` means (embedgan.config.kinds)."""
        return conditioning_kind(self.conditioning)

    @property
    def templates(self) -> tuple[str, ...]:
        """The training captions' templates (text conditioning)."""
        return self.caption_templates or (self.caption,)

    @property
    def stochastic(self) -> bool:
        """Whether one class gives many images (noise or conditioning augmentation)."""
        return self.noise_dim > 0 or self.conditioning_augmentation is not None
