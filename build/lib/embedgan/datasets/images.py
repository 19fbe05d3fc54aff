"""Conversions between stored uint8 images and the generators' [-1, 1] tensors."""

from __future__ import annotations

import numpy as np
import torch


def to_model_range(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 N x C x H x W -> float in [-1, 1]."""
    return images_u8.float().div_(127.5).sub_(1.0)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Float in [-1, 1] -> uint8 0-255, a fixed linear map (no per-image stretching)."""
    return images.detach().add(1.0).mul(127.5).round().clamp(0, 255).to(torch.uint8).cpu().numpy()


def nhwc_to_nchw(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
