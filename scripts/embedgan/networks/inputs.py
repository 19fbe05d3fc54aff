"""What a generator is fed: the class codes, drawn around by conditioning augmentation where the
run has it, followed by Gaussian noise where it has noise."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


class ConditioningAugmentation(nn.Module):
    """StackGAN's conditioning augmentation (Zhang et al. 2017): a code is turned into the mean
    and log-variance of a Gaussian, and the generator gets a draw mu + sigma * eps from it, so
    one class is a distribution of inputs, not a point. Linear(dim, 2 * dim), no activation
    (StackGAN puts a ReLU before the split, which keeps every sigma >= 1). Its KL term is
    StackGAN's: averaged over the rows and the code's dimensions (kl_to_standard_normal), so a
    code of any width feels the same pressure per dimension."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, 2 * dim)

    def forward(
        self, codes: torch.Tensor, rng: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(a draw per row, KL(N(mu, sigma^2) || N(0, I)) in nats per dimension, averaged over
        the rows)."""
        mu, log_variance = self.linear(codes).chunk(2, dim=1)
        eps = gaussian(mu.shape, mu.device, rng)
        return mu + (0.5 * log_variance).exp() * eps, kl_to_standard_normal(mu, log_variance)


def kl_to_standard_normal(mu: torch.Tensor, log_variance: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(log_variance)) || N(0, I)) in nats per dimension: the mean over rows and
    dimensions, as StackGAN's KL_loss takes it (its weight, 2.0 there, multiplies this mean)."""
    return 0.5 * (mu.square() + log_variance.exp() - 1 - log_variance).mean()


def gaussian(shape, device: torch.device, rng: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal values from `rng` (drawn where it lives, then moved) or else from
    torch's global RNG on `device`."""
    if rng is None:
        return torch.randn(shape, device=device)
    return torch.randn(shape, generator=rng, device=rng.device).to(device)


@dataclass(frozen=True)
class InputLayout:
    """What a generator is fed, row by row: the class code (`code_dim` values; with conditioning
    augmentation, a draw around it), followed by `noise_dim` Gaussian noise values (0: none, the
    notebook: one image per class). Made from a run's settings by `of`; every network and loop
    that builds, sizes or splits a generator's input asks it."""

    code_dim: int
    noise_dim: int

    @classmethod
    def of(cls, settings, code_dim: int) -> InputLayout:
        """The layout of a run's Settings for its conditioner's codes of `code_dim` values."""
        return cls(code_dim, settings.noise_dim)

    @property
    def width(self) -> int:
        """Values per row: what the generator's first layer takes."""
        return self.code_dim + self.noise_dim

    def split(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the codes, the noise) of a batch of inputs; the noise has no columns without noise."""
        return inputs[:, : self.code_dim], inputs[:, self.code_dim :]

    def draw(
        self,
        codes: torch.Tensor,
        augmentation: ConditioningAugmentation | None = None,
        rng: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """A batch of inputs for `codes` (with conditioning augmentation, a draw around each),
        and the augmentation's KL term (None without one). Random values come from `rng`, or
        else torch's global RNG on the codes' device."""
        kl = None
        if augmentation is not None:
            codes, kl = augmentation(codes, rng)
        if not self.noise_dim:
            return codes, kl
        return torch.cat([codes, gaussian((len(codes), self.noise_dim), codes.device, rng)], dim=1), kl
