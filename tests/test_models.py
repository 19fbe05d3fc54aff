"""Layer shapes and parameter counts of the networks against docs/experiments.md."""

import pytest
import torch
from torch import nn

from conftest import settings_of
from embedgan.config.rules import check_image_size
from embedgan.datasets.data import DATASETS
from embedgan.networks.conditioners import LabelConditioner
from embedgan.networks.discriminators import build_discriminator
from embedgan.networks.generators import ProjectionConvTranspose2d, build_generator
from embedgan.networks.inputs import InputLayout

CIFAR, MNIST = (3, 32, 32), (1, 28, 28)


def linear(n_in, n_out):
    return n_in * n_out + n_out


def deconv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def conv(c_in, c_out, k):
    return c_in * c_out * k * k + c_out


def batchnorm(c):
    return 2 * c


def count(module):
    return sum(p.numel() for p in module.parameters())


def linear_deconv_params(in_dim):
    """exp2 (in 256) and exp3 (in 100): Linear to 256x4x4, then three deconvs, two BatchNorms."""
    return (
        linear(in_dim, 256 * 4 * 4)
        + deconv(256, 128, 4)
        + batchnorm(128)
        + deconv(128, 64, 4)
        + batchnorm(64)
        + deconv(64, 3, 4)
    )


# Parameter counts written out from the spec's layer lists.
GENERATOR_PARAMS = {
    ("deconv", 100, CIFAR): deconv(100, 256, 8) + deconv(256, 128, 4) + deconv(128, 3, 4),
    ("deconv", 100, MNIST): deconv(100, 256, 7) + deconv(256, 128, 4) + deconv(128, 1, 4),
    ("linear_deconv", 256, CIFAR): linear_deconv_params(256),
    ("linear_deconv", 100, CIFAR): linear_deconv_params(100),
}
DISCRIMINATOR_PARAMS = {
    ("mlp_sigmoid", CIFAR): linear(3072, 1024) + linear(1024, 512) + linear(512, 128) + linear(128, 10),
    ("cnn_softmax", CIFAR): conv(3, 12, 3)
    + batchnorm(12)
    + conv(12, 48, 3)
    + batchnorm(48)
    + conv(48, 192, 3)
    + batchnorm(192)
    + linear(3072, 1024)
    + linear(1024, 512)
    + linear(512, 10),
    ("mlp_softmax", MNIST): linear(784, 512) + linear(512, 256) + linear(256, 10),
}


@pytest.mark.parametrize("name, in_dim, shape", list(GENERATOR_PARAMS))
def test_generator_shape_range_and_parameters(name, in_dim, shape):
    dataset = "cifar10" if shape == CIFAR else "mnist"
    generator = build_generator(settings_of(generator=name, dataset=dataset), InputLayout(in_dim, 0), shape)
    images = generator(torch.randn(5, in_dim))
    assert images.shape == (5, *shape)
    assert images.min() >= -1 and images.max() <= 1  # Tanh output
    assert count(generator) == GENERATOR_PARAMS[(name, in_dim, shape)]


def test_deconv_generator_intermediate_sizes():
    """exp1: 8x8 -> 16x16 -> 32x32; exp4: 7 -> 14 -> 28."""
    for shape, sizes in ((CIFAR, [8, 16, 32]), (MNIST, [7, 14, 28])):
        generator = build_generator(settings_of(generator="deconv"), InputLayout(100, 0), shape)
        x, seen = torch.randn(2, 100), []
        for layer in generator.net:
            x = layer(x)
            if isinstance(layer, nn.ConvTranspose2d):
                seen.append(x.shape[-1])
        assert seen == sizes


@pytest.mark.parametrize("kernel", [7, 8])
def test_projection_layer_is_the_transposed_convolution_it_replaces(kernel):
    """Same parameters, values and gradients as nn.ConvTranspose2d on a 1x1 input (float64)."""
    torch.manual_seed(0)
    fast = ProjectionConvTranspose2d(100, 256, kernel).double()
    stock = nn.ConvTranspose2d(100, 256, kernel).double()
    stock.load_state_dict(fast.state_dict())
    x = torch.randn(4, 100, 1, 1, dtype=torch.float64, requires_grad=True)
    out_fast, out_stock = fast(x), stock(x)
    torch.testing.assert_close(out_fast, out_stock, rtol=1e-12, atol=1e-12)
    upstream = torch.randn_like(out_stock)
    grads_fast = torch.autograd.grad(out_fast, [x, fast.weight, fast.bias], upstream)
    grads_stock = torch.autograd.grad(out_stock, [x, stock.weight, stock.bias], upstream)
    for a, b in zip(grads_fast, grads_stock, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    wider = torch.randn(2, 100, 3, 3, dtype=torch.float64)  # not 1x1: the stock path
    torch.testing.assert_close(fast(wider), stock(wider), rtol=0, atol=0)


def test_linear_deconv_generator_refuses_28x28():
    # refused with the data set's facts (the builder trusts its settings, checked with them)
    with pytest.raises(ValueError, match="32x32"):
        check_image_size(settings_of(generator="linear_deconv"), DATASETS["mnist"])


@pytest.mark.parametrize("name, shape", list(DISCRIMINATOR_PARAMS))
def test_discriminator_outputs_and_parameters(name, shape):
    discriminator = build_discriminator(settings_of(discriminator=name), shape, 10).eval()
    probabilities = discriminator(torch.rand(6, *shape) * 2 - 1)
    assert probabilities.shape == (6, 10)
    assert probabilities.min() >= 0 and probabilities.max() <= 1
    if name.endswith("softmax"):
        torch.testing.assert_close(probabilities.sum(1), torch.ones(6))
    assert count(discriminator) == DISCRIMINATOR_PARAMS[(name, shape)]


def test_discriminator_dropout_rates_follow_the_spec():
    rates = {
        name: {m.p for m in build_discriminator(settings_of(discriminator=name), shape, 10).modules() if isinstance(m, nn.Dropout)}
        for name, shape in DISCRIMINATOR_PARAMS
    }
    assert rates == {"mlp_sigmoid": {0.1}, "cnn_softmax": {0.4}, "mlp_softmax": {0.1}}


def test_label_conditioner_is_an_embedding_of_10_by_100():
    conditioner = LabelConditioner(10)
    assert conditioner(torch.arange(10)).shape == (10, 100)
    assert count(conditioner) == 10 * 100


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="unknown generator 'gan'"):
        build_generator(settings_of(generator="gan"), InputLayout(100, 0), CIFAR)
    with pytest.raises(ValueError, match="unknown discriminator 'transformer'"):
        build_discriminator(settings_of(discriminator="transformer"), CIFAR, 10)
    assert build_discriminator(settings_of(discriminator=None, objective="pixel_mse"), CIFAR, 10) is None
