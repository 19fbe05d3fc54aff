"""What a generator is fed: the class codes, drawn around by conditioning augmentation where the
run has it, followed by Gaussian noise where it has noise."""

from __future__ import annotations

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


def generator_input(
    codes: torch.Tensor,
    noise_dim: int,
    rng: torch.Generator | None = None,
    augmentation: ConditioningAugmentation | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """What a generator is fed, and the augmentation's KL term (None without one): the class
    codes (with conditioning augmentation, a draw around each), followed by `noise_dim` fresh
    Gaussian noise values per row where noise_dim > 0 (0: the notebook, one image per class).
    Random values come from `rng`, or else torch's global RNG on the codes' device."""
    kl = None
    if augmentation is not None:
        codes, kl = augmentation(codes, rng)
    if not noise_dim:
        return codes, kl
    return torch.cat([codes, gaussian((len(codes), noise_dim), codes.device, rng)], dim=1), kl
