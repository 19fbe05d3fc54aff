"""What a Trainer is set up with: the phases of its schedule (one registry of schedules), its
training images on the device, its networks placed and its optimisers built, whether its
discriminator judges real and fake images in one call, its random generators, its precision."""

from __future__ import annotations

import functools
import logging

import torch
from torch import nn

from embedgan.config.settings import Optimizer, Settings
from embedgan.datasets import data as datasets
from embedgan.datasets.images import nhwc_to_nchw
from embedgan.errors import ConfigError
from embedgan.machine import host
from embedgan.networks.generators import ProjectionConvTranspose2d
from embedgan.networks.run_networks import Networks
from embedgan.training.capture import GraphedStep
from embedgan.training.objectives import Objective, get_objective

log = logging.getLogger("embedgan.training.train")


def alternating(objective: Objective, epochs: int) -> list[tuple[str, int]]:
    """Per batch a discriminator step, then a generator step (with d_steps > 1: a generator
    step after every d_steps-th discriminator step)."""
    return [("both", epochs)]


def classifier_first(objective: Objective, epochs: int) -> list[tuple[str, int]]:
    """The classifier trained for all its epochs on real images, then the generator (for an
    objective whose discriminator never sees fakes: embedgan.config.rules)."""
    return [("discriminator", epochs), ("generator", epochs)]


SCHEDULES = {"alternating": alternating, "classifier_first": classifier_first}


def phases(settings: Settings) -> list[tuple[str, int]]:
    """(which networks a step updates, epochs) in order."""
    objective = get_objective(settings.objective)
    if not objective.uses_discriminator:
        return [("generator", settings.epochs)]
    return SCHEDULES[settings.schedule](objective, settings.epochs)


def epoch_phase(schedule: list[tuple[str, int]], epoch: int) -> str:
    """The phase of a schedule (phases()) that epoch `epoch` (from 0) belongs to."""
    for phase, epochs in schedule:
        if epoch < epochs:
            return phase
        epoch -= epochs
    raise IndexError(epoch)


def step_kind(phase: str, step: int, d_steps: int) -> str:
    """What step `step` (from 0) of a phase updates: with d_steps = n, n - 1 discriminator steps
    come before each step of both (so n discriminator steps per generator step)."""
    if phase == "both" and d_steps > 1 and (step + 1) % d_steps:
        return "discriminator"
    return phase


def snapshot_steps(total_steps: int, points: int) -> list[int]:
    """`points` steps from 0 (untrained) to the last, evenly spaced."""
    if points < 2:
        return [total_steps]
    return sorted({round(total_steps * i / (points - 1)) for i in range(points)})


def graphed_steps(train_step, schedule: list[tuple[str, int]], d_steps: int, device) -> dict[str, GraphedStep]:
    """A CUDA-graph replay of `train_step` for each kind of step a run of `schedule` takes."""
    kinds = {phase for phase, _ in schedule}
    if "both" in kinds and d_steps > 1:
        kinds.add("discriminator")
    return {kind: GraphedStep(functools.partial(train_step, kind=kind), device, kind) for kind in sorted(kinds)}


def training_images(
    dataset: datasets.Dataset, settings: Settings, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The run's training images (uint8 N x C x H x W) and labels, on `device`."""
    keep = datasets.balanced_indices(dataset.y_train, settings.train_per_class)
    if settings.batch_size > len(keep):
        raise ConfigError(
            f"batch_size {settings.batch_size} is larger than the {len(keep)} training "
            f"images of {settings.dataset} (train_per_class: {settings.train_per_class})"
        )
    images = nhwc_to_nchw(dataset.x_train[keep]).to(device)
    return images, torch.from_numpy(dataset.y_train[keep]).to(device)


def training_precision(requested: str, device: torch.device) -> str:
    """The precision a run trains in: bf16 where it is asked for and `device` computes it
    natively, else fp32 (with a log line where bf16 was asked for)."""
    if requested == "bf16" and not host.bf16_native(device):
        log.warning("precision bf16 asked for, but %s has no native bfloat16: training in fp32", host.host_kind(device))
        return "fp32"
    return requested


def place_networks(nets: Networks, device: torch.device, channels_last: bool) -> torch.memory_format:
    """Every network on `device` in training mode, its convolutions in NHWC (the fast layout of
    oneDNN and cuDNN) where `channels_last`; the memory format its input batches take. A
    transposed convolution of a 1x1 input stays as it is: it runs as one matmul of its weight,
    which NHWC would copy every step."""
    for module in nets.modules().values():
        module.to(device).train()
    if not channels_last:
        return torch.contiguous_format
    for network in nets.modules().values():
        for layer in network.modules():
            if isinstance(layer, nn.modules.conv._ConvNd) and not isinstance(layer, ProjectionConvTranspose2d):
                layer.to(memory_format=torch.channels_last)
    return torch.channels_last


def judges_jointly(speedups: dict, objective: Objective, discriminator: nn.Module | None) -> bool:
    """Whether the discriminator judges real and fake images in one call: where the switch is
    on, it judges both, and no BatchNorm makes an image's answer depend on the rest of its batch."""
    has_batchnorm = discriminator is not None and any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in discriminator.modules()
    )
    return speedups["joint_discriminator"] and objective.d_sees_fakes and not has_batchnorm


def run_generators(settings: Settings, device: torch.device) -> tuple[torch.Generator, torch.Generator | None]:
    """The run's own random generators: of the batch order, and of the template each image's
    caption is drawn from, where there are several (text conditioning)."""
    several = len(settings.templates) > 1 and settings.conditioning_kind.uses_text
    permutation = torch.Generator(device=device).manual_seed(settings.seed)
    return permutation, torch.Generator(device=device).manual_seed(settings.seed + 1) if several else None


def in_precision(network: nn.Module | None, precision: str, device: torch.device):
    """`network` itself in fp32; in bf16, a call of it under autocast whose answers come back in
    float32, so that every loss is computed in float32."""
    if network is None or precision == "fp32":
        return network

    def forward(*inputs):
        with torch.autocast(device.type, dtype=torch.bfloat16):
            answers = network(*inputs)
        return tuple(a.float() for a in answers) if isinstance(answers, tuple) else answers.float()

    return forward


def build_optimizers(
    nets: Networks, optimizer: Optimizer, device: torch.device, fused: bool, capturable: bool
) -> tuple[torch.optim.Adam, torch.optim.Adam | None]:
    """Adam for the generator (with what makes its input) and for the discriminator: fused
    (the whole update in one kernel, on the CPU too) where `fused`, else per-tensor lists
    (foreach: the default Adam's numbers, faster). `capturable`: step counts on the device,
    updated inside a CUDA graph."""

    def adam(params):
        return torch.optim.Adam(
            params, lr=optimizer.lr, betas=optimizer.betas, foreach=None if fused else True,
            fused=True if fused else None, capturable=capturable,
        )

    discriminator = nets.discriminator
    return adam(nets.generator_parameters()), adam(discriminator.parameters()) if discriminator else None
