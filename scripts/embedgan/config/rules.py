"""Every rule between an experiment's settings, in one place, so that a bad pair stops
`snakemake -n` with a message naming its keys; the builders trust their settings. The rules on
the settings alone (RULES) run when settings are made (Settings.of: also in a job that rebuilds
them from a history or a model file); those between the settings and their data set's facts
(check_image_size, check_probes: a DatasetInfo) run where an experiment is resolved from the
config (settings.resolve, when the workflow starts), which knows its data sets. Light (no
torch): the workflow imports it when it starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from embedgan.config import kinds
from embedgan.errors import ConfigError

if TYPE_CHECKING:
    from embedgan.datasets.data import DatasetInfo


def known(key: str, value, names) -> None:
    if value not in names:
        raise ConfigError(f"unknown {key} {value!r}; known: {', '.join(map(str, names))}")


def conditioning_kind(name: str) -> kinds.ConditioningKind:
    """What a `conditioning` name means; a ConfigError for a name that is none."""
    known("conditioning", name, kinds.CONDITIONINGS)
    return kinds.CONDITIONINGS[name]


def check_names(s) -> None:
    """Every name of a registry is one it has (the data set's: datasets.data.lookup)."""
    known("conditioning", s.conditioning, kinds.CONDITIONINGS)
    known("generator", s.generator, kinds.GENERATOR_SIDES)
    known("objective", s.objective, kinds.OBJECTIVES)
    if s.discriminator is not None:
        known("discriminator", s.discriminator, [*kinds.DISCRIMINATOR_ANSWERS, "null"])
    known("schedule", s.schedule, kinds.SCHEDULES)
    known("generator_conditioning", s.generator_conditioning, kinds.GENERATOR_CONDITIONINGS)
    known("text_pooling", s.text_pooling, kinds.TEXT_POOLINGS)
    known("discriminator_condition", s.discriminator_condition, kinds.DISCRIMINATOR_CONDITIONS)


def check_image_size(s, info: DatasetInfo) -> None:
    """The generator draws the image size of the data set (`info`, its facts)."""
    _, height, width = info.image_shape
    sides = kinds.GENERATOR_SIDES[s.generator]
    if sides == "divisible by 4" and (height % 4 or width % 4):
        raise ConfigError(f"generator {s.generator!r} needs sides divisible by 4; dataset {s.dataset!r} has {height}x{width}")
    if isinstance(sides, tuple) and (height, width) != sides:
        raise ConfigError(
            f"generator {s.generator!r} draws {sides[0]}x{sides[1]} images; dataset {s.dataset!r} has {height}x{width}"
        )


def check_generator(s) -> None:
    """The generator takes the code where it is asked to."""
    if s.generator_conditioning == "batchnorm" and s.generator not in kinds.BATCHNORM_CONDITIONED:
        raise ConfigError(
            f"generator_conditioning 'batchnorm' needs a generator with BatchNorm layers to condition "
            f"({', '.join(kinds.BATCHNORM_CONDITIONED)}); generator {s.generator!r} takes the code at its input"
        )


def check_discriminator(s) -> None:
    """The discriminator answers what the objective needs, and is trained as the schedule says."""
    objective = kinds.OBJECTIVES[s.objective]
    if s.discriminator is None:
        if objective.needs is not None:
            raise ConfigError(f"objective {s.objective!r} needs a discriminator; discriminator is null")
        return
    if objective.needs is not None and objective.needs not in kinds.DISCRIMINATOR_ANSWERS[s.discriminator]:
        fitting = [n for n, answers in kinds.DISCRIMINATOR_ANSWERS.items() if objective.needs in answers]
        raise ConfigError(
            f"objective {s.objective!r} needs a discriminator giving {objective.needs}; "
            f"discriminator {s.discriminator!r} does not (one that does: {', '.join(fitting) or 'none'})"
        )
    if s.schedule == "classifier_first" and objective.d_sees_fakes:
        raise ConfigError(
            f"schedule 'classifier_first' needs a discriminator that never sees fakes; "
            f"objective {s.objective!r} trains it on fakes"
        )


def noise_draws(s) -> int:
    """The noise draws per code of a generator step: as set, or by default 2 with mode seeking
    (which compares two draws), else 1."""
    return s.noise_draws if s.noise_draws is not None else (2 if s.mode_seeking else 1)


def check_noise(s) -> None:
    """The options that act on the noise need noise."""
    draws = noise_draws(s)
    if s.mode_seeking and not s.noise_dim:
        raise ConfigError(f"mode_seeking {s.mode_seeking} needs noise (noise_dim > 0): it compares two noise draws")
    if draws not in (1, 2):
        raise ConfigError(f"noise_draws {draws}: a generator step draws the noise once or twice")
    if draws > 1 and not s.noise_dim:
        raise ConfigError(f"noise_draws {draws} needs noise (noise_dim > 0): without it the draws are one")
    if s.mode_seeking and draws != 2:
        raise ConfigError(f"mode_seeking {s.mode_seeking} compares two noise draws: noise_draws must be 2")
    if s.scale_codes and not s.noise_dim:
        raise ConfigError("scale_codes rescales the caption code to the noise's norm: it needs noise_dim > 0")


def check_text(s) -> None:
    """What only text conditioning has (an encoder and its states)."""
    if s.discriminator_condition == "states" and not conditioning_kind(s.conditioning).uses_text:
        raise ConfigError(
            f"discriminator_condition 'states' needs text conditioning (the encoder's states); "
            f"conditioning is {s.conditioning!r}"
        )


# The rules on the settings alone (check_image_size and check_probes need the data set's facts too).
RULES = (check_names, check_generator, check_discriminator, check_noise, check_text)


def check_settings(settings) -> None:
    """Every rule on one run's typed Settings; the first broken one raises ConfigError."""
    for rule in RULES:
        rule(settings)


PROBE_KEYS = ("prompts", "heldout_captions", "caption_templates")


def check_probes(exp: str, merged: dict, info: DatasetInfo) -> None:
    """The probes an experiment's config asks for fit it: the text ones need text conditioning,
    and every class they name is one of its data set's (`info`, its facts)."""
    if not conditioning_kind(merged["conditioning"]).uses_text:
        for key in PROBE_KEYS:
            if key in merged:
                raise ConfigError(
                    f"config: experiments.{exp}.{key} needs text conditioning "
                    f"(the experiment's conditioning is {merged['conditioning']})"
                )
    classes = info.classes
    named = [name for pair in merged.get("morphs", []) for name in pair]
    named += list(merged.get("heldout_captions", {}).get("synonyms", {}))
    for name in named:
        if name not in classes:
            raise ConfigError(
                f"config: experiments.{exp} names class {name!r}, which {merged['dataset']} "
                f"lacks; its classes: {', '.join(classes)}"
            )
