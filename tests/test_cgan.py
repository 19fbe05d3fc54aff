"""The conditional GANs beyond the notebook, on known answers: the hinge and ACGAN losses by
hand, the projection discriminator's output by hand, spectral normalisation, which network
each step updates, d_steps, the moving average; and one registry per kind, agreeing with the
config schema."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

from conftest import REPO, settings_of
from embedgan.config import kinds
from embedgan.datasets.images import to_uint8
from embedgan.networks import conditioners, discriminators, generators, run_networks
from embedgan.networks.discriminators import (
    ProjectionDiscriminator,
    WithRealFakeHead,
    build_discriminator,
    with_spectral_norm,
)
from embedgan.networks.generators import DCGANGenerator, build_generator
from embedgan.networks.inputs import InputLayout
from embedgan.networks.run_networks import MovingAverage
from embedgan.networks.sampling import class_codes
from embedgan.training import objectives
from embedgan.training.objectives import Targets, get_objective
from embedgan.training.setup import SCHEDULES
from embedgan.training.train import Trainer
from test_objectives import changed, parameters_of, trainer_for
from test_train import fetched, run, settings  # noqa: F401  (fetched: a fixture)

CIFAR, MNIST = (3, 32, 32), (1, 28, 28)
CGAN = dict(generator="dcgan", discriminator="projection", objective="hinge", spectral_norm=True,
            noise_dim=8, width=8, g_ema=0.9, batch_size=8)


def relu(x):
    return max(x, 0.0)


def softplus_bce(logit, target):
    """BCE with logits by hand: -(t log s(x) + (1 - t) log(1 - s(x)))."""
    s = 1 / (1 + math.exp(-logit))
    return -(target * math.log(s) + (1 - target) * math.log(1 - s))


def cross_entropy(logits, label):
    return -logits[label] + math.log(sum(math.exp(v) for v in logits))


def test_hinge_losses_by_hand():
    real_scores, fake_scores = [1.5, 0.2, -0.4], [-2.0, 0.5, 0.9]

    def discriminator(images, condition):
        return images  # the "images" are the scores

    targets = Targets(torch.tensor([0, 1, 2]), torch.eye(3), torch.tensor([0, 1, 2]))
    hinge = get_objective("hinge")
    d_loss = hinge.discriminator_loss(discriminator, torch.tensor(real_scores, dtype=torch.float64),
                                      torch.tensor(fake_scores, dtype=torch.float64), targets)
    expected = sum(relu(1 - r) for r in real_scores) / 3 + sum(relu(1 + f) for f in fake_scores) / 3
    assert d_loss.item() == pytest.approx(expected, rel=1e-12)
    g_loss = hinge.generator_loss(discriminator, torch.tensor(fake_scores, dtype=torch.float64), None, targets)
    assert g_loss.item() == pytest.approx(-sum(fake_scores) / 3, rel=1e-12)


def test_acgan_losses_by_hand_take_class_logits():
    real = (torch.tensor([0.3, -1.0], dtype=torch.float64), torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], dtype=torch.float64))
    fake = (torch.tensor([-0.5, 1.2], dtype=torch.float64), torch.tensor([[0.0, 1.0, 0.0], [1.5, -0.5, 0.5]], dtype=torch.float64))
    labels = [0, 2]
    answers = {"real": real, "fake": fake}

    def discriminator(images):
        return answers[images]

    targets = Targets(torch.tensor(labels), torch.eye(3)[labels], torch.tensor(labels))
    acgan = get_objective("acgan")
    d_loss = acgan.discriminator_loss(discriminator, "real", "fake", targets)
    expected = (
        sum(softplus_bce(v, 1) for v in real[0].tolist()) / 2
        + sum(softplus_bce(v, 0) for v in fake[0].tolist()) / 2
        + sum(cross_entropy(row, y) for row, y in zip(real[1].tolist(), labels, strict=True)) / 2
        + sum(cross_entropy(row, y) for row, y in zip(fake[1].tolist(), labels, strict=True)) / 2
    )
    assert d_loss.item() == pytest.approx(expected, rel=1e-12)
    g_loss = acgan.generator_loss(discriminator, "fake", None, targets)
    expected_g = sum(softplus_bce(v, 1) for v in fake[0].tolist()) / 2 + sum(
        cross_entropy(row, y) for row, y in zip(fake[1].tolist(), labels, strict=True)
    ) / 2
    assert g_loss.item() == pytest.approx(expected_g, rel=1e-12)


def test_the_projection_output_is_linear_h_plus_the_embedding_dot_h():
    torch.manual_seed(0)
    discriminator = ProjectionDiscriminator(CIFAR, width=4, num_classes=10).double()
    images, labels = torch.randn(5, *CIFAR, dtype=torch.float64), torch.tensor([0, 3, 3, 9, 1])
    h = discriminator.body(images).sum(dim=(2, 3))
    by_hand = [
        (discriminator.linear.weight[0] @ h[i]).item() + discriminator.linear.bias.item()
        + (discriminator.embed.weight[labels[i]] @ h[i]).item()
        for i in range(5)
    ]
    assert discriminator(images, labels).tolist() == pytest.approx(by_hand, rel=1e-10)
    assert discriminator.body(images).shape[-2:] == (8, 8)  # 32 -> 16 -> 8
    text = ProjectionDiscriminator(MNIST, width=4, num_classes=10, code_dim=6).double()
    codes = torch.randn(2, 6, dtype=torch.float64)
    h = text.body(torch.randn(2, *MNIST, dtype=torch.float64))
    assert isinstance(text.embed, nn.Linear) and text.embed(codes).shape == (2, h.shape[1])


def test_spectral_normalisation_brings_every_weights_largest_singular_value_to_one():
    torch.manual_seed(0)
    discriminator = with_spectral_norm(ProjectionDiscriminator(CIFAR, width=8, num_classes=10)).train()
    images, labels = torch.randn(4, *CIFAR), torch.arange(4)
    for _ in range(30):  # power iterations, one per forward pass
        discriminator(images, labels)
    layers = [m for m in discriminator.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert len(layers) == 7
    for layer in layers:
        weight = layer.weight.flatten(1) if layer.weight.dim() > 2 else layer.weight
        assert torch.linalg.matrix_norm(weight, ord=2).item() == pytest.approx(1, abs=0.05)
    assert build_discriminator(settings_of(**CGAN), CIFAR, 10).linear.parametrizations.weight is not None


def test_a_real_fake_head_is_added_to_the_notebooks_discriminators_for_acgan():
    for name, shape in (("cnn_softmax", CIFAR), ("mlp_softmax", MNIST)):
        discriminator = build_discriminator(settings_of(discriminator=name, objective="acgan"), shape, 10)
        assert isinstance(discriminator, WithRealFakeHead)
        score, classes = discriminator.eval()(torch.randn(3, *shape))
        assert score.shape == (3,) and classes.shape == (3, 10)
        assert classes.sum(1).tolist() != pytest.approx([1.0] * 3)  # logits, not softmax
        plain = build_discriminator(settings_of(discriminator=name), shape, 10)
        assert [k for k in discriminator.state_dict() if k.startswith("net.")] == [f"net.{k}" for k in plain.state_dict()]


def test_the_dcgan_generator_draws_both_sizes_in_range():
    for shape in (CIFAR, MNIST):
        generator = build_generator(settings_of(generator="dcgan", width=8), InputLayout(20, 0), shape)
        assert isinstance(generator, DCGANGenerator)
        images = generator.eval()(torch.randn(4, 20))
        assert images.shape == (4, *shape) and images.abs().max() <= 1


@pytest.mark.parametrize("objective, networks", [
    ("hinge", dict(generator="dcgan", discriminator="projection", spectral_norm=True, width=8)),
    ("acgan", dict(discriminator="mlp_softmax")),
])
def test_each_step_updates_only_its_network(objective, networks):
    trainer = trainer_for("exp4", objective=objective, noise_dim=8, **networks)
    batch = torch.arange(8)
    real = trainer.images[batch].float().div(127.5).sub(1)
    for kind, moved in (("discriminator", {"discriminator"}), ("generator", {"generator", "conditioner"})):
        before = parameters_of(trainer)
        trainer.train_step(real, trainer.labels[batch], kind)
        assert {net for net, did in changed(before, parameters_of(trainer)).items() if did} == moved, kind


def test_d_steps_takes_that_many_discriminator_steps_per_generator_step(monkeypatch):
    trainer = trainer_for("exp4", **{**CGAN, "d_steps": 2, "g_ema": None})
    steps = []
    for optimizer, name in ((trainer.d_optimizer, "D"), (trainer.g_optimizer, "G")):
        original = optimizer.step
        monkeypatch.setattr(optimizer, "step", lambda *a, original=original, name=name, **k: steps.append(name) or original(*a, **k))
    trainer.log_every = 100  # the losses stay summed on the device
    order = trainer.draw_epoch_order()
    for i in range(4):
        trainer.advance(order[i * 8 : (i + 1) * 8], "both")
    assert steps == ["D", "D", "G", "D", "D", "G"]
    history_row = trainer.state.loss_sums, trainer.state.loss_counts
    assert history_row[1] == {"loss_d": 4, "loss_g": 2}


def test_the_moving_average_starts_near_the_weights_and_follows_them():
    torch.manual_seed(0)
    live = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    average = MovingAverage(live, decay=0.999)
    with torch.no_grad():
        live[0].weight.add_(1.0)
    average.update(live)  # decay min(0.999, 2 / 11): mostly the new weights
    weight = average.average[0].weight
    assert torch.allclose(weight, live[0].weight - 2 / 11, atol=1e-6)
    average.measure_statistics([torch.full((8, 3), 2.0), torch.full((8, 3), 4.0)])
    expected = live[0](torch.tensor([[3.0, 3.0, 3.0]])).detach()[0]
    measured = average.average[1].running_mean
    assert torch.allclose(measured, average.average[0](torch.full((1, 3), 3.0)).detach()[0], atol=1e-5)
    assert not torch.allclose(measured, expected)  # its own statistics, not the live network's
    assert average.average[1].momentum == 0.1  # restored


def test_a_cgan_run_trains_and_samples_from_the_average(tmp_path, fetched):  # noqa: F811
    from embedgan.config.runs import Run
    from embedgan.networks.sampling import load_generator

    out = run(tmp_path, fetched, "cgan", settings(**CGAN, epochs=2))  # 2 epochs of 15 steps
    trained = load_generator(str(out / "model.pt"), torch.device("cpu"), Run("cgan", 0, "mnist"))
    saved = torch.load(out / "model.pt", weights_only=True)
    assert "generator_ema" in saved["networks"] and saved["networks"]["generator_ema"]["updates"] == 30
    ema_weight = run_networks.averaged_weights(saved["networks"]["generator_ema"])["net.0.weight"]
    assert torch.equal(trained.generator.net[0].weight.cpu(), ema_weight)
    assert not torch.equal(ema_weight, saved["networks"]["generator"]["net.0.weight"])


def schema_enum(key: str) -> set:
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    return set(schema["$defs"]["settings"]["properties"][key]["enum"]) - {None}


def test_each_registry_is_the_schemas_list_of_names():
    assert schema_enum("conditioning") == set(conditioners.CONDITIONERS)
    assert schema_enum("generator") == set(generators.GENERATORS)
    assert schema_enum("discriminator") == set(discriminators.DISCRIMINATORS)
    assert schema_enum("objective") == set(objectives.OBJECTIVES)
    assert schema_enum("schedule") == set(SCHEDULES)
    assert schema_enum("generator_conditioning") == set(kinds.GENERATOR_CONDITIONINGS)
    assert schema_enum("text_pooling") == set(conditioners.POOLINGS) == set(kinds.TEXT_POOLINGS)
    assert schema_enum("discriminator_condition") == set(kinds.DISCRIMINATOR_CONDITIONS)
    # What the rules between settings know of each registry names the same builders.
    assert set(conditioners.CONDITIONERS) == set(kinds.CONDITIONINGS)
    assert set(generators.GENERATORS) == set(kinds.GENERATOR_SIDES)
    assert set(discriminators.DISCRIMINATORS) == set(kinds.DISCRIMINATOR_ANSWERS)
    assert set(objectives.OBJECTIVES) == set(kinds.OBJECTIVES)
    assert set(SCHEDULES) == set(kinds.SCHEDULES)


def test_a_discriminator_that_cannot_answer_its_objective_is_refused_by_name():
    with pytest.raises(ValueError, match="objective 'hinge' needs a discriminator giving a real/fake score for the condition; discriminator 'cnn_softmax' does not \\(one that does: projection\\)"):
        build_discriminator(settings_of(discriminator="cnn_softmax", objective="hinge"), CIFAR, 10)
    with pytest.raises(ValueError, match="objective 'bce_classifier' needs .*'projection' does not"):
        build_discriminator(settings_of(discriminator="projection", objective="bce_classifier"), CIFAR, 10)
    with pytest.raises(ValueError, match="objective 'hinge' needs a discriminator; discriminator is null"):
        build_discriminator(settings_of(discriminator=None, objective="hinge"), CIFAR, 10)


def test_cross_entropy_by_hand_matches_torch():  # the helper the ACGAN test leans on
    logits = [0.2, -1.0, 2.5]
    assert cross_entropy(logits, 2) == pytest.approx(F.cross_entropy(torch.tensor([logits]), torch.tensor([2])).item())


def test_a_text_cgan_judges_images_with_their_caption_codes_and_trains_the_projection():
    """The projection discriminator gets each image's caption code (detached: it trains no
    encoder); with BERT frozen its states are computed once and only the projection trains."""
    from test_beyond import text_settings, tiny_dataset

    chosen = text_settings(**{**CGAN, "dataset": "cifar10"}, freeze_encoder=True,
                           caption_templates=["{name}", "a photo of a {name}"])
    trainer = Trainer(chosen, tiny_dataset("cifar10"), torch.device("cpu"))
    discriminator = trainer.nets.discriminator
    assert isinstance(discriminator.embed, nn.Linear) and discriminator.embed.in_features == 256
    seen = []
    hook = discriminator.register_forward_hook(lambda module, inputs, output: seen.append(inputs[1]))
    batch = torch.arange(8)
    real = trainer.images[batch].float().div(127.5).sub(1)
    conditioner = trainer.nets.conditioner
    projection = conditioner.projection.weight.clone()
    bert = {k: v.clone() for k, v in conditioner.bert.state_dict().items()}
    trainer.train_step(real, trainer.labels[batch], "both")
    hook.remove()
    # The discriminator step judges real and generated images in one call, then the generator's.
    assert [tuple(c.shape) for c in seen] == [(16, 256), (8, 256)] and not any(c.requires_grad for c in seen)
    assert not torch.equal(conditioner.projection.weight, projection)
    assert all(torch.equal(v, bert[k]) for k, v in conditioner.bert.state_dict().items())
    assert conditioner.frozen_states is not None and conditioner.frozen_states.shape[0] == 20


def test_the_generation_record_is_drawn_by_the_moving_average():
    """With g_ema the record's rows are the average's draws: the live generator zeroed (its
    every draw one grey) leaves them as the average draws them; without g_ema it draws them."""
    trainer = trainer_for("exp4", **CGAN)
    with torch.no_grad():
        for parameter in trainer.nets.generator.parameters():
            parameter.zero_()
    trainer.take_snapshot()
    average = trainer.nets.generator_ema.average.eval()
    fixed = torch.Generator().manual_seed(trainer.settings.seed)  # the record's fixed noise
    inputs, _ = trainer.nets.input_layout.draw(class_codes(trainer.nets), rng=fixed)
    with torch.no_grad():
        expected = to_uint8(average(inputs))
    assert np.array_equal(trainer.state.snapshots[-1].numpy(), expected) and expected.std() > 0

    live = trainer_for("exp4", **{**CGAN, "g_ema": None})
    with torch.no_grad():
        for parameter in live.nets.generator.parameters():
            parameter.zero_()
    live.take_snapshot()
    assert live.state.snapshots[-1].float().std() == 0  # the zeroed live generator drew it
