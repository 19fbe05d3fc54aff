"""Draw images from a trained model file (written by train.train_experiment)."""

from __future__ import annotations

import numpy as np
import torch

from .images import to_uint8
from .models import build_generator, generator_input


def load_generator(model_path: str, device: torch.device):
    """(generator in eval mode, class codes, the saved model record)."""
    saved = torch.load(model_path, map_location="cpu", weights_only=False)
    codes = saved["class_codes"]
    generator = build_generator(
        saved["settings"]["generator"],
        codes.shape[1] + saved["noise_dim"],
        tuple(saved["image_shape"]),
    )
    generator.load_state_dict(saved["networks"]["generator"])
    return generator.to(device).eval(), codes.to(device), saved


@torch.no_grad()
def draw(model_path: str, per_class: int, device: torch.device, seed: int = 0):
    """uint8 images per_class x classes x C x H x W, the class names, and the noise size.

    Without a noise input the generator is deterministic: its `per_class` draws of a class
    are one image, repeated (and computed once).
    """
    generator, codes, saved = load_generator(model_path, device)
    noise_dim = saved["noise_dim"]
    if not noise_dim:
        images = to_uint8(generator(codes))
        return np.repeat(images[None], per_class, axis=0), tuple(saved["classes"]), 0
    rng = torch.Generator().manual_seed(seed)
    rows = [to_uint8(generator(generator_input(codes, noise_dim, rng))) for _ in range(per_class)]
    return np.stack(rows), tuple(saved["classes"]), noise_dim
