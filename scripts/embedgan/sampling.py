"""Draw images from a trained model file (written by train.train_experiment)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .images import to_uint8
from .models import ConditioningAugmentation, averaged_weights, build_generator, generator_input
from .runs import Run, check_made_for
from .runtime import load_tensors
from .settings import Settings


@dataclass
class TrainedGenerator:
    """A trained generator in eval mode with what makes its input."""

    generator: nn.Module
    class_codes: torch.Tensor  # the conditioner's code of each class
    augmentation: ConditioningAugmentation | None
    settings: Settings
    classes: tuple[str, ...]
    saved: dict  # the whole model record (the conditioner's weights, for text prompts)

    @torch.no_grad()
    def images(self, codes: torch.Tensor, rng: torch.Generator | None = None) -> np.ndarray:
        """uint8 images, one per row of `codes`, with noise or augmentation drawn from `rng`."""
        inputs, _ = generator_input(codes, self.settings.noise_dim, rng, self.augmentation)
        return to_uint8(self.generator(inputs))


def load_generator(model_path: str, device: torch.device, run: Run) -> TrainedGenerator:
    """The generator of `run` from its model file (refused where the file is another run's)."""
    saved = load_tensors(model_path)
    check_made_for(model_path, saved.get("run"), run)
    settings = Settings.of(saved["settings"])
    codes = saved["class_codes"]
    generator = build_generator(settings, codes.shape[1] + settings.noise_dim, tuple(saved["image_shape"]))
    # The moving average of the generator's weights draws, where the run kept one.
    networks = saved["networks"]
    generator.load_state_dict(
        averaged_weights(networks["generator_ema"]) if "generator_ema" in networks else networks["generator"]
    )
    augmentation = None
    if settings.conditioning_augmentation is not None:
        augmentation = ConditioningAugmentation(codes.shape[1])
        augmentation.load_state_dict(saved["networks"]["augmentation"])
        augmentation = augmentation.to(device).eval()
    return TrainedGenerator(
        generator.to(device).eval(), codes.to(device), augmentation, settings,
        tuple(saved["classes"]), saved,
    )


def draw(model_path: str, per_class: int, device: torch.device, run: Run, seed: int = 0):
    """uint8 images per_class x classes x C x H x W, the class names, and whether the
    generator draws many images per class (noise or conditioning augmentation).

    Otherwise the generator is deterministic: its `per_class` draws of a class are one
    image, repeated (and computed once).
    """
    trained = load_generator(model_path, device, run)
    if not trained.settings.stochastic:
        images = trained.images(trained.class_codes)
        return np.repeat(images[None], per_class, axis=0), trained.classes, False
    rng = torch.Generator().manual_seed(seed)
    rows = [trained.images(trained.class_codes, rng) for _ in range(per_class)]
    return np.stack(rows), trained.classes, True
