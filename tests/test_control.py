"""The positive control's remedies for a generator that ignores its noise, by hand: conditional
BatchNorm, mode seeking, the moving average of the whole generator (conditioner included), and
caption codes the cGAN can follow (pooling, scaling, a discriminator's own projection)."""

import math

import pytest
import torch
from torch import nn

from conftest import OFFLINE_ENCODER
from embedgan.config.settings import Settings
from embedgan.errors import ConfigError
from embedgan.networks import conditioners, sampling
from embedgan.networks.conditioners import mean_state
from embedgan.networks.generators import ConditionalBatchNorm2d, ConditionalDCGANGenerator, build_generator
from embedgan.networks.inputs import InputLayout
from embedgan.training.objectives import MODE_SEEKING_EPS, mode_seeking_term
from embedgan.training.train import Trainer
from test_beyond import text_settings, tiny_dataset
from test_objectives import trainer_for

CPU = torch.device("cpu")
CONTROL = dict(generator="dcgan", discriminator="projection", objective="hinge", noise_dim=8, width=8,
               batch_size=8, generator_conditioning="batchnorm")


def test_conditional_batchnorm_sets_each_classs_gain_and_bias():
    norm = ConditionalBatchNorm2d(channels=2, code_dim=3)
    with torch.no_grad():  # class c's code is the c-th unit vector: gain and bias per class
        norm.gain.weight.copy_(torch.tensor([[1.0, 0.0, -0.5], [0.0, 2.0, 0.0]]))
        norm.bias.weight.copy_(torch.tensor([[0.0, 3.0, 0.0], [1.0, 0.0, 0.0]]))
    x = torch.randn(6, 2, 4, 4)
    normalised = nn.functional.batch_norm(x, None, None, training=True)
    codes = torch.eye(3).repeat(2, 1)  # classes 0, 1, 2, 0, 1, 2
    gain = torch.tensor([[2.0, 1.0], [1.0, 3.0], [0.5, 1.0]]).repeat(2, 1)  # 1 + W_g c
    bias = torch.tensor([[0.0, 1.0], [3.0, 0.0], [0.0, 0.0]]).repeat(2, 1)
    torch.testing.assert_close(norm(x, codes), normalised * gain[:, :, None, None] + bias[:, :, None, None])
    fresh = ConditionalBatchNorm2d(channels=2, code_dim=3)  # starts as plain BatchNorm
    torch.testing.assert_close(fresh(x, codes), normalised)


def test_with_batchnorm_conditioning_the_noise_alone_enters_and_the_class_acts_through_the_norms():
    settings = Settings.of({"dataset": "mnist", "objective": "hinge", "batch_size": 8, "epochs": 1, **CONTROL})
    generator = build_generator(settings, InputLayout(100, 8), (1, 28, 28)).eval()
    assert isinstance(generator, ConditionalDCGANGenerator) and generator.linear.in_features == 8
    noise = torch.randn(1, 8).repeat(2, 1)
    codes = torch.randn(2, 100)
    with torch.no_grad():
        for norm in generator.norms:  # untrained, the norms ignore the class; make them see it
            nn.init.normal_(norm.gain.weight, std=0.1)
        a, b = generator(torch.cat([codes, noise], 1))
        same_code = generator(torch.cat([codes[:1], noise[:1]], 1))[0]
    assert not torch.allclose(a, b)  # the same noise, two classes: different images
    torch.testing.assert_close(a, same_code)
    without_noise = build_generator(Settings.of({**settings.__dict__, "noise_dim": 0}), InputLayout(100, 0), (1, 28, 28))
    assert without_noise.linear.in_features == 100  # no noise: the code is the input, as in the notebook
    with pytest.raises(ConfigError, match="generator_conditioning 'batchnorm' needs a generator with BatchNorm"):
        build_generator(Settings.of({**settings.__dict__, "generator": "deconv"}), InputLayout(100, 8), (1, 28, 28))


def test_the_mode_seeking_term_of_a_known_pair():
    fake_1, fake_2 = torch.zeros(2, 1, 2, 2), torch.full((2, 1, 2, 2), 0.5)
    noise_1, noise_2 = torch.zeros(2, 4), torch.full((2, 4), 2.0)
    # image distance 0.5 per noise distance 2: the term is 1 / (0.25 + eps)
    assert mode_seeking_term(fake_1, fake_2, noise_1, noise_2).item() == pytest.approx(1 / (0.25 + MODE_SEEKING_EPS))


def test_mode_seeking_draws_each_code_twice_and_adds_its_weighted_term(monkeypatch):
    trainer = trainer_for("exp4", **CONTROL, mode_seeking=2.0)
    seen = []
    trainer.nets.generator.register_forward_hook(lambda m, inputs, out: seen.append((inputs[0].detach(), out.detach())))
    monkeypatch.setattr("embedgan.training.train.mode_seeking_term", lambda *pair: torch.tensor(5.0))
    real = trainer.images[:8].float().div(127.5).sub(1)
    labels = trainer.labels[:8]
    loss = trainer.train_step(real, labels, "generator")["loss_g"]
    (first, fake_1), (second, fake_2) = seen
    torch.testing.assert_close(first[:, :100], second[:, :100])  # the same class codes
    assert not torch.allclose(first[:, 100:], second[:, 100:])  # other noise
    # The hinge loss of each draw by hand (a generator step leaves D as it was), averaged, plus 2 x 5.
    d = trainer.nets.discriminator
    with torch.no_grad():
        by_hand = [-d(fake, labels).mean().item() for fake in (fake_1, fake_2)]
    assert loss.item() == pytest.approx((by_hand[0] + by_hand[1]) / 2 + 10.0, rel=1e-5)
    with pytest.raises(ConfigError, match="mode_seeking 2.0 needs noise"):
        trainer_for("exp4", **{**CONTROL, "noise_dim": 0}, mode_seeking=2.0)


def test_without_mode_seeking_two_noise_draws_give_the_same_generator_batch(monkeypatch):
    """The arm without mode seeking draws each code twice as the control does, its loss the mean
    of the two draws' and no term: mode seeking is the only change between them."""
    assert Settings.of({"dataset": "mnist", "objective": "hinge", "batch_size": 8, "epochs": 1, **CONTROL,
                        "mode_seeking": 1.0}).noise_draws == 2
    assert Settings.of({"dataset": "mnist", "objective": "hinge", "batch_size": 8, "epochs": 1, **CONTROL}).noise_draws == 1
    trainer = trainer_for("exp4", **CONTROL, noise_draws=2)
    seen = []
    trainer.nets.generator.register_forward_hook(lambda m, inputs, out: seen.append(out.detach()))
    monkeypatch.setattr("embedgan.training.train.mode_seeking_term", lambda *pair: torch.tensor(5.0))
    real = trainer.images[:8].float().div(127.5).sub(1)
    labels = trainer.labels[:8]
    loss = trainer.train_step(real, labels, "generator")["loss_g"]
    assert len(seen) == 2 and not torch.allclose(*seen)
    d = trainer.nets.discriminator
    with torch.no_grad():
        by_hand = [-d(fake, labels).mean().item() for fake in seen]
    assert loss.item() == pytest.approx((by_hand[0] + by_hand[1]) / 2, rel=1e-5)
    with pytest.raises(ConfigError, match="noise_draws 2 needs noise"):
        trainer_for("exp4", **{**CONTROL, "noise_dim": 0}, noise_draws=2)
    with pytest.raises(ConfigError, match="mode_seeking 1.0 compares two noise draws: noise_draws must be 2"):
        trainer_for("exp4", **CONTROL, mode_seeking=1.0, noise_draws=1)


def test_with_conditioning_augmentation_mode_seeking_measures_the_whole_random_input(monkeypatch):
    """The augmented code differs between the two draws as the noise does: the term's input
    distance covers both (without augmentation, the noise alone: the codes are equal)."""
    seen = []
    monkeypatch.setattr("embedgan.training.train.mode_seeking_term", lambda *pair: seen.append(pair) or torch.tensor(0.0))
    for augmentation, width in ((None, 8), ({"kl_weight": 2.0}, 100 + 8)):
        trainer = trainer_for("exp4", **CONTROL, mode_seeking=1.0, conditioning_augmentation=augmentation)
        real = trainer.images[:8].float().div(127.5).sub(1)
        trainer.train_step(real, trainer.labels[:8], "generator")
        _, _, first, second = seen.pop()
        assert first.shape[1] == width and not torch.allclose(first, second)


def test_the_moving_average_covers_the_conditioner_and_the_sampler_draws_from_it():
    trainer = trainer_for("exp4", **CONTROL, g_ema=0.5)
    live, average = trainer.nets.conditioner, trainer.nets.conditioner_ema.average
    start = live.embedding.weight.detach().clone()
    with torch.no_grad():
        live.embedding.weight.add_(1.0)
    trainer.nets.update_averages()  # decay min(0.5, 2 / 11) = 2 / 11
    torch.testing.assert_close(average.embedding.weight, start * 2 / 11 + (start + 1) * 9 / 11)
    codes = sampling.class_codes(trainer.nets)
    torch.testing.assert_close(codes, average.embedding.weight)
    assert not torch.allclose(codes, live.embedding.weight)
    assert "conditioner_ema" in trainer.nets.modules()


def test_mean_pooling_leaves_the_padding_out():
    states = torch.tensor([[[1.0, 0.0], [3.0, 2.0], [100.0, 100.0]]])
    assert mean_state(states, torch.tensor([[1, 1, 0]])).tolist() == [[2.0, 1.0]]
    assert conditioners.POOLINGS["cls"](states, torch.tensor([[1, 1, 0]])).tolist() == [[1.0, 0.0]]


@pytest.fixture(scope="module")
def text_control():
    chosen = text_settings(**{**CONTROL, "generator_conditioning": "input"}, freeze_encoder=True,
                           text_pooling="mean", scale_codes=True, discriminator_condition="states",
                           caption_templates=["{name}", "a photo of a {name}"])
    return Trainer(chosen, tiny_dataset("cifar10"), CPU)


def test_text_codes_pool_the_tokens_and_weigh_as_much_as_the_noise(text_control):
    conditioner = text_control.nets.conditioner
    tokens = conditioner.tokenizer(["cat"], return_tensors="pt")
    with torch.no_grad():
        last = conditioner.bert(**tokens).last_hidden_state
        code = conditioner.encode_texts(["cat"])
    torch.testing.assert_close(conditioner.states_of(tokens["input_ids"], tokens["attention_mask"]), last.mean(1))
    assert code.norm().item() == pytest.approx(math.sqrt(8), rel=1e-5)  # the 8-d noise's expected norm
    assert conditioner.projection.in_features == 384 and OFFLINE_ENCODER


def test_a_text_discriminator_with_its_own_projection_judges_the_encoder_states(text_control):
    discriminator = text_control.nets.discriminator
    assert isinstance(discriminator.embed, nn.Linear) and discriminator.embed.in_features == 384
    seen = []
    hook = discriminator.register_forward_hook(lambda m, inputs, out: seen.append(inputs[1]))
    real = text_control.images[:8].float().div(127.5).sub(1)
    labels = text_control.labels[:8]
    before = discriminator.embed.weight.detach().clone()
    text_control.train_step(real, labels, "both")
    hook.remove()
    assert all(c.shape[1] == 384 and not c.requires_grad for c in seen)
    # the states of the captions drawn for the batch: rows of the encoder's states of every caption
    states = text_control.nets.conditioner.all_states()
    assert all(any(torch.equal(row, s) for s in states) for row in seen[-1])
    assert not torch.equal(discriminator.embed.weight, before)  # D trains its own projection
