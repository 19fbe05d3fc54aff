"""The pictures' grids are torchvision's: the same pixels, the same sample sheet file."""

import numpy as np
import pytest
import torch
from torchvision.utils import make_grid, save_image

from embedgan.documents.render import PADDING, sample_sheet, tile


@pytest.mark.parametrize("shape, columns", [((20, 1, 5, 4), 10), ((7, 3, 4, 6), 3), ((2, 3, 4, 4), 5)])
def test_the_tiling_is_make_grids(shape, columns):
    """Grey images become RGB; a short last row stays padding; fewer images than columns
    make a narrower grid."""
    images = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    for pad_value in (0, 255):
        expected = make_grid(torch.from_numpy(images), nrow=columns, padding=PADDING, pad_value=pad_value)
        np.testing.assert_array_equal(tile(images, columns, pad_value), expected.permute(1, 2, 0).numpy())


def test_the_sample_sheet_is_the_file_save_image_writes(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, size=(10, 10, 3, 8, 8), dtype=np.uint8)
    sample_sheet(images, 10, tmp_path / "ours.png")
    flat = torch.from_numpy(images.reshape(100, 3, 8, 8)).float().div(255)
    save_image(flat, tmp_path / "torchvision.png", nrow=10, padding=PADDING)
    assert (tmp_path / "ours.png").read_bytes() == (tmp_path / "torchvision.png").read_bytes()
