"""The losses, by name: the notebook's (docs/experiments.md; BCE is nn.BCELoss on probabilities)
and, beyond it, those of conditional GANs whose discriminator judges real against fake for
the given condition (hinge, ACGAN)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from embedgan.config.kinds import OBJECTIVES as KINDS


@dataclass(frozen=True)
class Targets:
    """What a batch's losses compare against: the labels, their one-hot rows, and the
    condition the discriminator is given with each image (labels, or the caption codes)."""

    labels: torch.Tensor
    onehot: torch.Tensor
    condition: torch.Tensor


def judge_both(discriminator, real, fake, *condition: torch.Tensor, joint: bool = False):
    """The discriminator's answers on the real and on the generated images (each with
    `condition`, where it takes one). `joint`: one call on both batches stacked, as BigGAN
    calls it, which runs fewer, larger products; the same answers to float rounding, for a
    discriminator whose answer on an image does not depend on the rest of its batch (no
    BatchNorm: the Trainer asks for it only then)."""
    if not joint:
        return discriminator(real, *condition), discriminator(fake, *condition)
    answers = discriminator(torch.cat([real, fake]), *(torch.cat([c, c]) for c in condition))
    n = len(real)
    if isinstance(answers, tuple):
        return tuple(a[:n] for a in answers), tuple(a[n:] for a in answers)
    return answers[:n], answers[n:]


@dataclass(frozen=True)
class Objective:
    """One experiment's losses. What it needs of its discriminator, and whether that sees
    fakes, is its kind's (kinds.OBJECTIVES); `uses_discriminator` is False for exp2's pixel loss."""

    name: str

    @property
    def needs(self) -> str | None:
        return KINDS[self.name].needs

    @property
    def d_sees_fakes(self) -> bool:
        return KINDS[self.name].d_sees_fakes

    @property
    def uses_discriminator(self) -> bool:
        return self.needs is not None

    def discriminator_loss(self, discriminator, real, fake, targets: Targets, joint: bool = False) -> torch.Tensor:
        """`fake`: None for an objective whose discriminator never sees fakes; `joint`: one
        discriminator call on real and fake images together (judge_both)."""
        raise NotImplementedError

    def generator_loss(self, discriminator, fake, real, targets: Targets) -> torch.Tensor:
        raise NotImplementedError


@dataclass(frozen=True)
class NotebookObjective(Objective):
    """The notebook's BCE on class probabilities. fake_target: what the discriminator is taught
    to answer on generated images: "zeros" (exp1), "complement" = 1 - onehot (exp3), or None
    when it never sees them (exp4/exp5: a classifier trained on real images only)."""

    fake_target: str | None = None

    def discriminator_loss(self, discriminator, real, fake, targets: Targets, joint: bool = False) -> torch.Tensor:
        onehot = targets.onehot
        if self.fake_target is None:
            return F.binary_cross_entropy(discriminator(real), onehot)
        on_real, on_fake = judge_both(discriminator, real, fake, joint=joint)
        fake_target = torch.zeros_like(onehot) if self.fake_target == "zeros" else 1 - onehot
        return F.binary_cross_entropy(on_real, onehot) + F.binary_cross_entropy(on_fake, fake_target)

    def generator_loss(self, discriminator, fake, real, targets: Targets) -> torch.Tensor:
        return F.binary_cross_entropy(discriminator(fake), targets.onehot)


@dataclass(frozen=True)
class PixelMSE(Objective):
    """exp2: the generated image against the real image of its label."""

    def generator_loss(self, discriminator, fake, real, targets: Targets) -> torch.Tensor:
        return F.mse_loss(fake, real)


@dataclass(frozen=True)
class Hinge(Objective):
    """The hinge loss of SNGAN and the projection discriminator (Lim and Ye 2017; Miyato et al.
    2018): D minimises mean relu(1 - D(x, y)) + mean relu(1 + D(G(z, y), y)), G minimises
    -mean D(G(z, y), y)."""

    def discriminator_loss(self, discriminator, real, fake, targets: Targets, joint: bool = False) -> torch.Tensor:
        on_real, on_fake = judge_both(discriminator, real, fake, targets.condition, joint=joint)
        return F.relu(1 - on_real).mean() + F.relu(1 + on_fake).mean()

    def generator_loss(self, discriminator, fake, real, targets: Targets) -> torch.Tensor:
        return -discriminator(fake, targets.condition).mean()


@dataclass(frozen=True)
class ACGAN(Objective):
    """ACGAN (Odena et al. 2017): a real/fake term (BCE on the logit) plus the cross-entropy of
    the class logits to the label, on real and on generated images for D, on generated ones
    for G. The cross-entropy takes logits (PyTorch-GAN's ACGAN applies it after a softmax)."""

    def discriminator_loss(self, discriminator, real, fake, targets: Targets, joint: bool = False) -> torch.Tensor:
        (real_score, real_classes), (fake_score, fake_classes) = judge_both(discriminator, real, fake, joint=joint)
        return (
            F.binary_cross_entropy_with_logits(real_score, torch.ones_like(real_score))
            + F.binary_cross_entropy_with_logits(fake_score, torch.zeros_like(fake_score))
            + F.cross_entropy(real_classes, targets.labels)
            + F.cross_entropy(fake_classes, targets.labels)
        )

    def generator_loss(self, discriminator, fake, real, targets: Targets) -> torch.Tensor:
        score, classes = discriminator(fake)
        return F.binary_cross_entropy_with_logits(
            score, torch.ones_like(score)
        ) + F.cross_entropy(classes, targets.labels)


OBJECTIVES = {
    objective.name: objective
    for objective in (
        NotebookObjective("bce_fake_zeros", "zeros"),
        NotebookObjective("bce_fake_complement", "complement"),
        NotebookObjective("bce_classifier", None),
        PixelMSE("pixel_mse"),
        Hinge("hinge"),
        ACGAN("acgan"),
    )
}


def get_objective(name: str) -> Objective:
    return OBJECTIVES[name]  # a name the settings' rules admitted


MODE_SEEKING_EPS = 1e-5  # MSGAN's


def mode_seeking_term(fake_1, fake_2, noise_1, noise_2, eps: float = MODE_SEEKING_EPS) -> torch.Tensor:
    """MSGAN's mode-seeking term (Mao et al. 2019) for two draws of the same conditions: the
    inverse of (mean |G(c, z1) - G(c, z2)| / mean |z1 - z2| + eps), which the generator
    minimises, so that two noise vectors give images as far apart as they are."""
    ratio = (fake_1 - fake_2).abs().mean() / (noise_1 - noise_2).abs().mean()
    return 1 / (ratio + eps)


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
