"""Pictures: class grids (generated, real, history) and loss curves.

Pixels are shown as stored (uint8, no per-image contrast stretching): a grey background
the generator drew stays grey.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

from .images import nhwc_to_nchw  # noqa: E402

PADDING = 2
INCHES_PER_IMAGE = 0.75


def class_grid(
    images: np.ndarray,
    class_names: tuple[str, ...],
    row_labels: list[str],
    title: str,
    out_path: str,
) -> None:
    """Save a grid of uint8 images (rows x classes x C x H x W): one column per class."""
    rows, columns, _, height, width = images.shape
    grid = make_grid(
        torch.from_numpy(images.reshape(rows * columns, *images.shape[2:])),
        nrow=columns,
        padding=PADDING,
        pad_value=255,
    )
    figure, axes = plt.subplots(
        figsize=(columns * INCHES_PER_IMAGE + 1.2, rows * INCHES_PER_IMAGE + 0.9)
    )
    axes.imshow(grid.permute(1, 2, 0).numpy(), interpolation="nearest")
    axes.set_xticks([PADDING + c * (width + PADDING) + width / 2 for c in range(columns)])
    axes.set_xticklabels(class_names, rotation=45 if max(map(len, class_names)) > 3 else 0)
    axes.set_yticks([PADDING + r * (height + PADDING) + height / 2 for r in range(rows)])
    axes.set_yticklabels(row_labels)
    axes.tick_params(length=0, labelsize=8)
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)


def real_per_class(x: np.ndarray, y: np.ndarray, rows: int) -> np.ndarray:
    """The first `rows` images of every class, rows x classes x C x H x W."""
    picked = [np.flatnonzero(y == c)[:rows] for c in range(10)]
    if min(len(p) for p in picked) < rows:
        raise ValueError(f"fewer than {rows} images in some class of the split")
    order = np.stack(picked, axis=1).reshape(-1)  # row-major: row r holds one per class
    return nhwc_to_nchw(x[order]).numpy().reshape(rows, 10, *x.shape[3:], *x.shape[1:3])


def loss_curve(history: dict, title: str, out_path: str) -> None:
    rows = history["loss"]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for key, label in (("loss_d", "discriminator / classifier"), ("loss_g", "generator")):
        points = [(row["epoch"], row[key]) for row in rows if key in row]
        if points:
            axes.plot(*zip(*points), label=label, linewidth=1)
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (mean per logging interval)")
    axes.set_title(title, fontsize=10)
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)
