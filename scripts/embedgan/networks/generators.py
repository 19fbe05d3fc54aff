"""Generators, by name: each maps its input (a class code, with noise where the run has it) to
an image in [-1, 1] of the data set's shape (C, H, W)."""

from __future__ import annotations

import math

import torch
from torch import nn

from embedgan.networks.inputs import InputLayout


class ProjectionConvTranspose2d(nn.ConvTranspose2d):
    """A ConvTranspose2d (stride 1, no padding) whose 1x1 inputs are computed as one matmul.

    On a 1x1 input every output pixel is a linear map of the input vector: the layer is
    x @ W.view(C_in, C_out*k*k) plus the bias per channel. At batch size 4 PyTorch's CPU
    transposed-convolution backward takes ~10x the time of that matmul. Same parameters,
    same state_dict, same function (to float rounding); other inputs take the usual path.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__(in_channels, out_channels, kernel_size, stride=1, padding=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (1, 1):
            return super().forward(x)
        out = x.flatten(1) @ self.weight.flatten(1)
        return out.view(len(x), self.out_channels, *self.kernel_size) + self.bias.view(-1, 1, 1)


class DeconvGenerator(nn.Module):
    """exp1 / exp4 / exp5: three ConvTranspose2d from a 1x1 input (8->16->32 or 7->14->28)."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int]):
        super().__init__()
        channels, height, _ = image_shape
        self.net = nn.Sequential(
            nn.Unflatten(1, (in_dim, 1, 1)),
            ProjectionConvTranspose2d(in_dim, 256, kernel_size=height // 4),
            nn.ReLU(),
            nn.ConvTranspose2d(256, 128, 4, 2, 1),
            nn.ReLU(),
            nn.ConvTranspose2d(128, channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


class LinearDeconvGenerator(nn.Module):
    """exp2 / exp3: Linear to 256x4x4, then three ConvTranspose2d with BatchNorm (4->32)."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int]):
        super().__init__()
        channels = image_shape[0]  # 32x32 (kinds.GENERATOR_SIDES)
        self.net = nn.Sequential(
            nn.Linear(in_dim, 256 * 4 * 4),
            nn.ReLU(),
            nn.Unflatten(1, (256, 4, 4)),
            nn.ConvTranspose2d(256, 128, 4, 2, 1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.ConvTranspose2d(128, 64, 4, 2, 1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.ConvTranspose2d(64, channels, 4, 2, 1),
            nn.Tanh(),
        )

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


def dcgan_start(image_shape: tuple[int, int, int], width: int) -> tuple[int, int, int]:
    """The shape a dcgan generator's first layer makes (4w x H/4 x W/4), for sides divisible by
    4 (kinds.GENERATOR_SIDES)."""
    _, height, width_px = image_shape
    return 4 * width, height // 4, width_px // 4


class DCGANGenerator(nn.Module):
    """A DCGAN-style generator (Radford et al. 2016) for the conditional GANs beyond the
    notebook: Linear to 4w x H/4 x W/4, BatchNorm and ReLU, two 4x4 stride-2 transposed
    convolutions (to 2w, then w channels) with BatchNorm and ReLU, a 3x3 convolution, tanh.
    28x28 (7 -> 14 -> 28) and 32x32 (8 -> 16 -> 32); w: the setting `width`."""

    def __init__(self, in_dim: int, image_shape: tuple[int, int, int], width: int):
        super().__init__()
        start = dcgan_start(image_shape, width)
        self.net = nn.Sequential(
            nn.Linear(in_dim, math.prod(start)),
            nn.Unflatten(1, start),
            nn.BatchNorm2d(4 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, image_shape[0], 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return self.net(code)


class ConditionalBatchNorm2d(nn.Module):
    """BatchNorm whose gain and bias are set by the condition (Miyato and Koyama 2018; BigGAN's
    shared embedding): BatchNorm without its own affine map, then (1 + gain(c)) x + bias(c),
    each a linear map of the class (or caption) code c, starting at the identity."""

    def __init__(self, channels: int, code_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Linear(code_dim, channels)
        self.bias = nn.Linear(code_dim, channels)
        for layer in (self.gain, self.bias):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        gain, bias = 1 + self.gain(code), self.bias(code)
        return self.norm(x) * gain[:, :, None, None] + bias[:, :, None, None]


class ConditionalDCGANGenerator(nn.Module):
    """The DCGAN generator with the condition in its BatchNorm layers (`generator_conditioning:
    batchnorm`), as the projection cGAN's generator takes it: the noise alone is the first
    layer's input (with no noise, the code is, as in the notebook), and the code sets the gain
    and bias of every BatchNorm. It is fed the same rows as every generator and splits them by
    their layout."""

    def __init__(self, layout: InputLayout, image_shape: tuple[int, int, int], width: int):
        super().__init__()
        self.input_layout = layout
        self.start = dcgan_start(image_shape, width)
        self.linear = nn.Linear(layout.noise_dim or layout.code_dim, math.prod(self.start))
        self.norms = nn.ModuleList(
            ConditionalBatchNorm2d(c, layout.code_dim) for c in (4 * width, 2 * width, width)
        )
        self.ups = nn.ModuleList(
            nn.ConvTranspose2d(c, c // 2, 4, 2, 1) for c in (4 * width, 2 * width)
        )
        self.out = nn.Conv2d(width, image_shape[0], 3, 1, 1)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        code, noise = self.input_layout.split(inputs)
        x = self.linear(noise if self.input_layout.noise_dim else code).view(len(inputs), *self.start)
        x = torch.relu(self.norms[0](x, code))
        for up, norm in zip(self.ups, self.norms[1:], strict=True):
            x = torch.relu(norm(up(x), code))
        return torch.tanh(self.out(x))


def dcgan_generator(layout: InputLayout, shape: tuple[int, int, int], settings) -> nn.Module:
    """`generator_conditioning`: input (code and noise into the first layer) or batchnorm."""
    if settings.generator_conditioning == "batchnorm":
        return ConditionalDCGANGenerator(layout, shape, settings.width)
    return DCGANGenerator(layout.width, shape, settings.width)


GENERATORS = {
    "deconv": lambda layout, shape, settings: DeconvGenerator(layout.width, shape),
    "linear_deconv": lambda layout, shape, settings: LinearDeconvGenerator(layout.width, shape),
    "dcgan": dcgan_generator,
}


def build_generator(settings, layout: InputLayout, image_shape: tuple[int, int, int]) -> nn.Module:
    """The generator of a run's Settings (checked by embedgan.config.rules), fed rows of `layout`."""
    return GENERATORS[settings.generator](layout, image_shape, settings)
