"""The heart of the reproduction: each objective's numbers, what each step updates, the heads.

Losses are checked against values computed by hand from the BCE and MSE formulas; steps by
which parameters they change (and which they leave bit-identical); networks by the layer
lists of the experiments (docs/experiments.md).
"""

import math

import pytest
import torch
from torch import nn

from conftest import EXPERIMENT_KINDS, TRAIN_SETTINGS, class_images, settings_of
from embedgan.datasets import data
from embedgan.networks.discriminators import build_discriminator
from embedgan.networks.generators import ProjectionConvTranspose2d, build_generator
from embedgan.networks.inputs import InputLayout
from embedgan.training.objectives import Targets, get_objective
from embedgan.training.setup import epoch_phase
from embedgan.training.train import Trainer

CPU = torch.device("cpu")


def bce(probabilities, targets):
    """nn.BCELoss by hand: mean of -(t log p + (1 - t) log(1 - p)) over every entry."""
    terms = [
        -(t * math.log(p) + (1 - t) * math.log(1 - p))
        for row_p, row_t in zip(probabilities, targets, strict=True)
        for p, t in zip(row_p, row_t, strict=True)
    ]
    return sum(terms) / len(terms)


# Two images, three "classes": the discriminator below returns its input, so these are its
# answers on real and on generated images.
REAL_P = [[0.8, 0.1, 0.3], [0.2, 0.6, 0.5]]
FAKE_P = [[0.4, 0.7, 0.1], [0.9, 0.25, 0.6]]
ONEHOT = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def identity(x):
    return x


def tensor(rows):
    return torch.tensor(rows, dtype=torch.float64)


def targets(onehot) -> Targets:
    labels = tensor(onehot).argmax(1)
    return Targets(labels, tensor(onehot), labels)


@pytest.mark.parametrize(
    "objective, fake_targets",
    [
        ("bce_fake_zeros", [[0.0] * 3] * 2),  # exp1: fakes -> zeros
        ("bce_fake_complement", [[0.0, 1.0, 1.0], [1.0, 1.0, 0.0]]),  # exp3: 1 - one-hot
        ("bce_classifier", None),  # exp4/5: the classifier never sees a fake
    ],
)
def test_discriminator_loss_by_hand(objective, fake_targets):
    expected = bce(REAL_P, ONEHOT) + (bce(FAKE_P, fake_targets) if fake_targets else 0.0)
    loss = get_objective(objective).discriminator_loss(
        identity, tensor(REAL_P), tensor(FAKE_P), targets(ONEHOT)
    )
    assert loss.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("objective", ["bce_fake_zeros", "bce_fake_complement", "bce_classifier"])
def test_generator_loss_by_hand_asks_the_discriminator_for_the_label(objective):
    loss = get_objective(objective).generator_loss(
        identity, tensor(FAKE_P), tensor(REAL_P), targets(ONEHOT)
    )
    assert loss.item() == pytest.approx(bce(FAKE_P, ONEHOT), rel=1e-12)


def test_pixel_mse_by_hand():
    fake = tensor([[0.5, -1.0], [0.0, 0.25]])
    real = tensor([[1.0, -1.0], [-0.5, 0.75]])
    expected = (0.5**2 + 0.0 + 0.5**2 + 0.5**2) / 4
    objective = get_objective("pixel_mse")
    assert objective.generator_loss(None, fake, real, None).item() == pytest.approx(expected)
    assert not objective.uses_discriminator


def test_the_classifier_of_exp4_and_exp5_is_never_shown_a_fake():
    seen = []

    def spy(x):
        seen.append(x)
        return x

    get_objective("bce_classifier").discriminator_loss(
        spy, tensor(REAL_P), tensor(FAKE_P), targets(ONEHOT)
    )
    assert len(seen) == 1 and torch.equal(seen[0], tensor(REAL_P))


# -- which parameters a step changes ------------------------------------------------------

def trainer_for(kind: str, **changes) -> Trainer:
    settings = {**TRAIN_SETTINGS, **EXPERIMENT_KINDS[kind], **changes}
    x_train, y_train = class_images(settings["dataset"], 4, seed=1)
    if x_train.ndim == 3:
        x_train = x_train[..., None]
    dataset = data.Dataset(
        x_train, y_train.astype("int64"), x_train[:10], y_train[:10].astype("int64"),
        data.DATASETS[settings["dataset"]].classes,
    )
    return Trainer(settings, dataset, CPU)


def parameters_of(trainer: Trainer) -> dict[str, dict[str, torch.Tensor]]:
    return {
        name: {k: p.detach().clone() for k, p in module.named_parameters()}
        for name, module in trainer.nets.modules().items()
    }


def changed(before, after) -> dict[str, bool]:
    """Per network: did any parameter change at all?"""
    return {
        net: any(not torch.equal(before[net][k], after[net][k]) for k in before[net])
        for net in before
    }


def one_step(trainer: Trainer, phase: str):
    batch = torch.arange(8)
    real = trainer.images[batch].float().div(127.5).sub(1)
    before = parameters_of(trainer)
    trainer.train_step(real, trainer.labels[batch], phase)
    return changed(before, parameters_of(trainer))


@pytest.mark.parametrize("kind", list(EXPERIMENT_KINDS))
def test_a_discriminator_step_changes_only_the_discriminator(kind):
    trainer = trainer_for(kind)
    assert one_step(trainer, "discriminator") == {
        "conditioner": False, "generator": False, "discriminator": True,
    }
    # The generated batch it judged was detached: no gradient reached the generator.
    for module in (trainer.nets.generator, trainer.nets.conditioner):
        assert all(p.grad is None for p in module.parameters())


@pytest.mark.parametrize("kind", list(EXPERIMENT_KINDS))
def test_a_generator_step_changes_only_the_generator_and_its_embedding(kind):
    trainer = trainer_for(kind)
    assert one_step(trainer, "generator") == {
        "conditioner": True, "generator": True, "discriminator": False,
    }
    # The discriminator was frozen: the generator's loss left it no gradient.
    assert all(p.grad is None for p in trainer.nets.discriminator.parameters())
    assert all(p.requires_grad for p in trainer.nets.discriminator.parameters())


@pytest.mark.parametrize("kind", list(EXPERIMENT_KINDS))
def test_an_alternating_step_changes_every_network(kind):
    trainer = trainer_for(kind)
    assert trainer.phases == [("both", TRAIN_SETTINGS["epochs"])]
    assert one_step(trainer, "both") == {
        "conditioner": True, "generator": True, "discriminator": True,
    }


def test_classifier_first_trains_the_classifier_then_the_generator():
    trainer = trainer_for("exp4", schedule="classifier_first", epochs=3)
    assert trainer.phases == [("discriminator", 3), ("generator", 3)]
    assert [epoch_phase(trainer.phases, e) for e in range(6)] == ["discriminator"] * 3 + ["generator"] * 3


def test_the_discriminator_step_of_exp1_and_exp3_sees_the_generated_batch():
    for kind in ("exp1", "exp3"):
        trainer = trainer_for(kind)
        shapes = []
        hook = trainer.nets.discriminator.register_forward_hook(
            lambda module, inputs, output, seen=shapes: seen.append(len(inputs[0]))
        )
        one_step(trainer, "discriminator")
        hook.remove()
        # exp1's MLP: the real and the generated batch in one call (joint_discriminator);
        # exp3's CNN has BatchNorm: the real batch, then the generated one.
        assert shapes == ([16] if kind == "exp1" else [8, 8])


# -- heads and activations named by the experiments ------------------------------------------

CIFAR, MNIST = (3, 32, 32), (1, 28, 28)


def layer_types(module: nn.Module) -> list[str]:
    return [type(layer).__name__ for layer in module.modules() if not list(layer.children())]


MLP_BLOCK = ["Linear", "LeakyReLU", "Dropout"]
CONV_BLOCK = ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d"]


@pytest.mark.parametrize(
    "name, shape, layers",
    [
        ("mlp_sigmoid", CIFAR, ["Flatten", *MLP_BLOCK * 3, "Linear", "Sigmoid"]),
        ("mlp_softmax", MNIST, ["Flatten", *MLP_BLOCK * 2, "Linear", "Softmax"]),
        (
            "cnn_softmax",
            CIFAR,
            [*CONV_BLOCK * 3, "Flatten", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout",
             "Linear", "Softmax"],
        ),
    ],
)
def test_discriminator_layers_and_heads(name, shape, layers):
    discriminator = build_discriminator(settings_of(discriminator=name), shape, 10)
    assert layer_types(discriminator) == layers
    for layer in discriminator.modules():
        if isinstance(layer, nn.LeakyReLU):
            assert layer.negative_slope == 0.01  # PyTorch's default: the spec names none
        if isinstance(layer, nn.Softmax):
            assert layer.dim == 1  # over the classes


def test_sigmoid_head_answers_each_class_on_its_own_and_softmax_heads_share_one():
    x = torch.rand(4, *CIFAR) * 2 - 1
    sigmoid = build_discriminator(settings_of(discriminator="mlp_sigmoid"), CIFAR, 10).eval()
    logits = sigmoid[:-1](x)
    torch.testing.assert_close(sigmoid(x), torch.sigmoid(logits))
    softmax = build_discriminator(settings_of(discriminator="cnn_softmax"), CIFAR, 10).eval()
    torch.testing.assert_close(softmax(x), torch.softmax(softmax[:-1](x), dim=1))


@pytest.mark.parametrize(
    "name, in_dim, shape, layers",
    [
        (
            "deconv",
            100,
            MNIST,
            ["Unflatten", "ProjectionConvTranspose2d", "ReLU", "ConvTranspose2d", "ReLU",
             "ConvTranspose2d", "Tanh"],
        ),
        (
            "linear_deconv",
            256,
            CIFAR,
            ["Linear", "ReLU", "Unflatten", "ConvTranspose2d", "BatchNorm2d", "ReLU",
             "ConvTranspose2d", "BatchNorm2d", "ReLU", "ConvTranspose2d", "Tanh"],
        ),
    ],
)
def test_generator_layers_end_in_tanh(name, in_dim, shape, layers):
    dataset = "cifar10" if shape[1] == 32 else "mnist"
    generator = build_generator(settings_of(generator=name, dataset=dataset), InputLayout(in_dim, 0), shape)
    assert layer_types(generator) == layers
    first = next(m for m in generator.modules() if isinstance(m, nn.ConvTranspose2d))
    if isinstance(first, ProjectionConvTranspose2d):
        assert (first.stride, first.padding, first.kernel_size) == ((1, 1), (0, 0), (7, 7))
    strided = [m for m in generator.modules() if type(m) is nn.ConvTranspose2d]
    assert all((m.kernel_size, m.stride, m.padding) == ((4, 4), (2, 2), (1, 1)) for m in strided)
