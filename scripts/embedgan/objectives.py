"""The losses of docs/experiments.md, by name. BCE is nn.BCELoss on probabilities."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import ConfigError


@dataclass(frozen=True)
class Objective:
    """One experiment's losses.

    fake_target: what the discriminator is taught to answer on generated images:
    "zeros" (exp1), "complement" = 1 - onehot (exp3), or None when it never sees them
    (exp4/exp5: a classifier trained on real images only). uses_discriminator is False
    for the pixel loss of exp2.
    """

    name: str
    uses_discriminator: bool
    fake_target: str | None = None

    def discriminator_loss(self, discriminator, real, fake, onehot) -> torch.Tensor:
        loss = F.binary_cross_entropy(discriminator(real), onehot)
        if self.fake_target == "zeros":
            loss = loss + F.binary_cross_entropy(discriminator(fake), torch.zeros_like(onehot))
        elif self.fake_target == "complement":
            loss = loss + F.binary_cross_entropy(discriminator(fake), 1 - onehot)
        return loss

    def generator_loss(self, discriminator, fake, real, onehot) -> torch.Tensor:
        if not self.uses_discriminator:
            return F.mse_loss(fake, real)
        return F.binary_cross_entropy(discriminator(fake), onehot)


OBJECTIVES = {
    "bce_fake_zeros": Objective("bce_fake_zeros", True, "zeros"),
    "bce_fake_complement": Objective("bce_fake_complement", True, "complement"),
    "bce_classifier": Objective("bce_classifier", True, None),
    "pixel_mse": Objective("pixel_mse", False),
}


def get_objective(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise ConfigError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]


def total_variation(images: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of vertically and of horizontally neighbouring pixels
    (anisotropic total variation, per pixel): 0 for a constant image."""
    vertical = (images[..., 1:, :] - images[..., :-1, :]).abs().mean()
    horizontal = (images[..., :, 1:] - images[..., :, :-1]).abs().mean()
    return vertical + horizontal


def image_prior_penalty(images: torch.Tensor, prior) -> torch.Tensor:
    """An image prior for generators trained against a fixed classifier (as in Mahendran and
    Vedaldi 2015, DeepInversion): weighted total variation and mean squared pixel value."""
    return prior.tv_weight * total_variation(images) + prior.l2_weight * images.square().mean()
