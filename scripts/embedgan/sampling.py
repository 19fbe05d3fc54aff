"""Draw images from a trained model file (written by train.train_experiment)."""

from __future__ import annotations

import numpy as np
import torch

from .images import to_uint8
from .models import build_generator


def load_generator(model_path: str, device: torch.device):
    """(generator in eval mode, class codes, the saved model record)."""
    saved = torch.load(model_path, map_location="cpu", weights_only=False)
    codes = saved["class_codes"]
    generator = build_generator(
        saved["settings"]["generator"], codes.shape[1], tuple(saved["image_shape"])
    )
    generator.load_state_dict(saved["networks"]["generator"])
    return generator.to(device).eval(), codes.to(device), saved


@torch.no_grad()
def generate_per_class(model_path: str, device: torch.device) -> tuple[np.ndarray, tuple[str, ...]]:
    """uint8 images, samples x classes x C x H x W, and the class names.

    Without a noise input the generator is deterministic: one image per class.
    """
    generator, codes, saved = load_generator(model_path, device)
    images = to_uint8(generator(codes))
    return images[None], tuple(saved["classes"])
