"""The networks of one run, built from its settings: conditioner, generator, discriminator,
conditioning augmentation and the moving averages, and what draws the generator's input."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from embedgan.networks.conditioners import build_conditioner
from embedgan.networks.discriminators import build_discriminator
from embedgan.networks.generators import build_generator
from embedgan.networks.inputs import ConditioningAugmentation, InputLayout


class MovingAverage(nn.Module):
    """An exponential moving average of a network's weights (the generator's, and its
    conditioner's: the pair draws the pictures, as the strong GAN baselines sample), warmed up: after t updates its decay is
    min(decay, (1 + t) / (10 + t)), so that the untrained weights do not linger (TensorFlow's
    ExponentialMovingAverage with num_updates). Its BatchNorm statistics are its own, measured
    on its own draws before it samples (standing statistics, as in BigGAN): the live
    generator's running statistics do not fit the averaged weights."""

    def __init__(self, generator: nn.Module, decay: float):
        super().__init__()
        self.average = copy.deepcopy(generator).requires_grad_(False)
        self.decay = decay
        self.register_buffer("updates", torch.zeros(()))

    @torch.no_grad()
    def update(self, live: nn.Module) -> None:
        """One step of the average towards `live`'s trainable weights (a frozen encoder's stay
        as they are; tensors only: capturable)."""
        self.updates += 1
        decay = torch.clamp((1 + self.updates) / (10 + self.updates), max=self.decay)
        pairs = [(a, p) for a, p in zip(self.average.parameters(), live.parameters(), strict=True) if p.requires_grad]
        average = [a for a, _ in pairs]
        torch._foreach_mul_(average, decay)
        torch._foreach_add_(average, torch._foreach_mul([p for _, p in pairs], 1 - decay))

    @torch.no_grad()
    def measure_statistics(self, inputs: list[torch.Tensor]) -> None:
        """BatchNorm's running statistics as the average of its batch statistics on `inputs`."""
        norms = [m for m in self.average.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        momenta = [m.momentum for m in norms]
        for norm in norms:
            norm.reset_running_stats()
            norm.momentum = None  # a cumulative average over the batches
        self.average.train()
        for batch in inputs:
            self.average(batch)
        for norm, momentum in zip(norms, momenta, strict=True):
            norm.momentum = momentum


def averaged_weights(state: dict) -> dict:
    """A generator's state_dict from a MovingAverage's."""
    prefix = "average."
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}


@dataclass
class Networks:
    conditioner: nn.Module
    generator: nn.Module
    input_layout: InputLayout  # of the generator's input
    discriminator: nn.Module | None
    augmentation: ConditioningAugmentation | None = None
    generator_ema: MovingAverage | None = None  # of the generator's weights
    conditioner_ema: MovingAverage | None = None  # of the conditioner's, with the generator's

    def draw_inputs(self, codes: torch.Tensor, rng: torch.Generator | None = None):
        """What the generator is fed for `codes`, and the augmentation's KL term (InputLayout.draw)."""
        return self.input_layout.draw(codes, self.augmentation, rng)

    def modules(self) -> dict[str, nn.Module]:
        found = {"conditioner": self.conditioner, "generator": self.generator}
        for name in ("discriminator", "augmentation", "generator_ema", "conditioner_ema"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        return found

    def update_averages(self) -> None:
        """One step of the moving averages (where there are any) after a generator step."""
        if self.generator_ema is not None:
            self.generator_ema.update(self.generator)
            self.conditioner_ema.update(self.conditioner)

    def generator_parameters(self) -> list[nn.Parameter]:
        """What the generator's optimiser trains: the generator and what makes its input
        (a frozen text encoder's weights stay as pretrained)."""
        modules = [self.conditioner, self.generator, self.augmentation]
        return [p for m in modules if m is not None for p in m.parameters() if p.requires_grad]

    @property
    def sampler(self) -> nn.Module:
        """The generator that draws pictures: the moving average where there is one."""
        return self.generator if self.generator_ema is None else self.generator_ema.average

    @property
    def sampling_conditioner(self) -> nn.Module:
        """The conditioner whose codes the sampler draws from: averaged with it, where it is."""
        return self.conditioner if self.conditioner_ema is None else self.conditioner_ema.average


def build_networks(settings, image_shape: tuple[int, int, int], classes) -> Networks:
    """Build (untrained) networks; the seed must be set before for reproducible weights."""
    conditioner = build_conditioner(settings, classes)
    layout = InputLayout.of(settings, conditioner.out_dim)
    generator = build_generator(settings, layout, image_shape)
    # A text discriminator judges with the caption code, or with the encoder's states.
    states = settings.discriminator_condition == "states"
    judged = conditioner.state_dim if states else conditioner.out_dim
    discriminator = build_discriminator(settings, image_shape, len(classes), judged)
    augmentation = (
        ConditioningAugmentation(conditioner.out_dim) if settings.conditioning_augmentation else None
    )
    if settings.g_ema is None:
        return Networks(conditioner, generator, layout, discriminator, augmentation)
    averages = (MovingAverage(generator, settings.g_ema), MovingAverage(conditioner, settings.g_ema))
    return Networks(conditioner, generator, layout, discriminator, augmentation, *averages)
