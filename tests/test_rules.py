"""The rules between an experiment's settings (embedgan.config.rules), without Snakemake: each rule
broken on purpose once, named by its keys; a run's settings are checked when they are made, and
with its data set's facts when its experiment is resolved from the config."""

import dataclasses
import re
from types import SimpleNamespace

import pytest

from conftest import TRAIN_SETTINGS
from embedgan.config import rules
from embedgan.config.settings import Settings, load_config, resolve
from embedgan.datasets.data import DATASETS
from embedgan.errors import ConfigError

# (rule, changes to an exp4-like run, what the message says)
BROKEN = [
    (rules.check_names, {"generator": "gan"}, "unknown generator 'gan'; known: deconv, linear_deconv, dcgan"),
    (rules.check_names, {"text_pooling": "max"}, "unknown text_pooling 'max'; known: cls, mean"),
    (rules.check_generator, {"generator": "deconv", "generator_conditioning": "batchnorm"},
     "generator_conditioning 'batchnorm' needs a generator with BatchNorm layers to condition (dcgan); "
     "generator 'deconv' takes the code at its input"),
    (rules.check_discriminator, {"discriminator": None, "objective": "hinge"},
     "objective 'hinge' needs a discriminator; discriminator is null"),
    (rules.check_discriminator, {"discriminator": "projection", "objective": "bce_classifier"},
     "objective 'bce_classifier' needs a discriminator giving class probabilities; discriminator "
     "'projection' does not (one that does: mlp_sigmoid, mlp_softmax, cnn_softmax)"),
    (rules.check_discriminator, {"objective": "bce_fake_zeros", "schedule": "classifier_first"},
     "schedule 'classifier_first' needs a discriminator that never sees fakes; objective 'bce_fake_zeros' trains it on fakes"),
    (rules.check_noise, {"mode_seeking": 1.0}, "mode_seeking 1.0 needs noise (noise_dim > 0)"),
    (rules.check_noise, {"scale_codes": True}, "scale_codes rescales the caption code to the noise's norm: it needs noise_dim > 0"),
    (rules.check_noise, {"noise_draws": 2}, "noise_draws 2 needs noise (noise_dim > 0)"),
    (rules.check_noise, {"noise_dim": 8, "mode_seeking": 1.0, "noise_draws": 1},
     "mode_seeking 1.0 compares two noise draws: noise_draws must be 2"),
    (rules.check_text, {"discriminator_condition": "states"},
     "discriminator_condition 'states' needs text conditioning (the encoder's states); conditioning is 'label'"),
]


def fields(**changes) -> dict:
    defaults = {f.name: f.default for f in dataclasses.fields(Settings) if f.default is not dataclasses.MISSING}
    return {**defaults, **TRAIN_SETTINGS, **changes}


@pytest.mark.parametrize("rule, changes, message", BROKEN)
def test_each_rule_refuses_its_broken_pair_by_name(rule, changes, message):
    with pytest.raises(ConfigError) as refused:
        rule(SimpleNamespace(**fields(**changes)))
    assert message in str(refused.value)
    with pytest.raises(ConfigError, match="needs|unknown|draws"):  # and so do the settings made of them
        Settings.of(fields(**changes))
    for other in rules.RULES:  # the good settings pass every rule
        other(SimpleNamespace(**fields()))


def test_every_rule_is_broken_once_above():
    assert {rule for rule, _, _ in BROKEN} | {rules.check_generator} == set(rules.RULES)


def test_the_generator_draws_its_data_sets_image_size():
    with pytest.raises(ConfigError, match="generator 'linear_deconv' draws 32x32 images; dataset 'mnist' has 28x28"):
        rules.check_image_size(SimpleNamespace(**fields(generator="linear_deconv")), DATASETS["mnist"])
    odd = dataclasses.replace(DATASETS["cifar10"], image_shape=(3, 30, 30))
    with pytest.raises(ConfigError, match="generator 'dcgan' needs sides divisible by 4; dataset 'cifar30' has 30x30"):
        rules.check_image_size(SimpleNamespace(**fields(generator="dcgan", dataset="cifar30")), odd)
    rules.check_image_size(SimpleNamespace(**fields()), DATASETS["mnist"])
    # checked where the experiment is resolved from the config, named by it
    config = load_config(overrides={"experiments": {"exp4": {"generator": "linear_deconv"}}})
    with pytest.raises(ConfigError, match="^config: experiments.exp4: generator 'linear_deconv' draws 32x32"):
        resolve(config, "exp4", DATASETS)


def test_settings_are_made_without_their_data_sets_facts():
    """A job rebuilds a run's Settings from its history or model file: a data set of your own,
    which it was not told about, is no reason to refuse them."""
    assert Settings.of(fields(dataset="squares")).dataset == "squares"


@pytest.mark.parametrize(
    "exp, merged, message",
    [
        ("exp4", {"conditioning": "label", "dataset": "mnist", "prompts": ["a seven"]},
         "config: experiments.exp4.prompts needs text conditioning (the experiment's conditioning is label)"),
        ("exp4", {"conditioning": "label", "dataset": "mnist", "morphs": [["1", "eleven"]]},
         "config: experiments.exp4 names class 'eleven', which mnist lacks"),
    ],
)
def test_probes_that_do_not_fit_the_experiment_are_refused(exp, merged, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        rules.check_probes(exp, merged, DATASETS[merged["dataset"]])
    rules.check_probes("exp2", {"conditioning": "text", "dataset": "cifar10", "prompts": ["a kitten"],
                                "morphs": [["cat", "dog"]]}, DATASETS["cifar10"])
