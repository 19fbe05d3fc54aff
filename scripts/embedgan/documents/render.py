"""Pictures: class grids (generated, real, history) and loss curves.

Pixels are shown as stored (uint8, no per-image contrast stretching): a grey background
the generator drew stays grey.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from embedgan.datasets.images import nhwc_to_nchw  # noqa: E402

if TYPE_CHECKING:
    from embedgan.documents.tables import Row

PADDING = 2
INCHES_PER_IMAGE = 0.75


def tile(images: np.ndarray, columns: int, pad_value: int) -> np.ndarray:
    """uint8 images (N x C x H x W) tiled `columns` to a row into one H' x W' x 3 image, each
    framed by PADDING pixels of pad_value: the layout of torchvision.utils.make_grid, which
    tests/test_render.py checks it against. Written here because importing torchvision
    costs each rendering job about 2 s (it imports torch's compiler), more than the drawing."""
    count, _, height, width = images.shape
    columns = min(columns, count)
    rows = math.ceil(count / columns)
    grid = np.full(
        (rows * (height + PADDING) + PADDING, columns * (width + PADDING) + PADDING, 3),
        pad_value,
        np.uint8,
    )
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = PADDING + row * (height + PADDING), PADDING + column * (width + PADDING)
        grid[top : top + height, left : left + width] = image.transpose(1, 2, 0)  # grey: to RGB
    return grid


def class_grid(
    images: np.ndarray,
    class_names: tuple[str, ...],
    row_labels: list[str],
    title: str,
    out_path: str,
) -> None:
    """Save a grid of uint8 images (rows x classes x C x H x W): one column per class."""
    rows, columns, _, height, width = images.shape
    grid = tile(images.reshape(rows * columns, *images.shape[2:]), columns, pad_value=255)
    # Room for the row labels on the left and for the title.
    label_width = 0.6 + 0.09 * max(map(len, row_labels))
    figure_width = max(columns * INCHES_PER_IMAGE + label_width, 0.1 * len(title))
    figure, axes = plt.subplots(figsize=(figure_width, rows * INCHES_PER_IMAGE + 0.9))
    axes.imshow(grid, interpolation="nearest")
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


def sample_sheet(images: np.ndarray, rows: int, out_path: str) -> None:
    """The plain sheet of samples GAN papers show, of uint8 images draws x classes x C x H x W:
    class c in column c, one draw per row (at least `rows`: a generator without noise has one
    draw, repeated), written exactly as torchvision.utils.save_image(images in [0, 1],
    nrow=classes, padding=2) writes it: no axes, no labels, no scaling."""
    if len(images) < rows:
        images = np.concatenate([images] * math.ceil(rows / len(images)))[:rows]
    draws, classes = images.shape[:2]
    sheet = tile(images.reshape(draws * classes, *images.shape[2:]), classes, pad_value=0)
    Image.fromarray(sheet).save(out_path)


def real_per_class(x: np.ndarray, y: np.ndarray, rows: int, num_classes: int) -> np.ndarray:
    """The first `rows` images of every class, rows x classes x C x H x W."""
    picked = [np.flatnonzero(y == c)[:rows] for c in range(num_classes)]
    if min(len(p) for p in picked) < rows:
        raise ValueError(f"fewer than {rows} images in some class of the split")
    order = np.stack(picked, axis=1).reshape(-1)  # row-major: row r holds one per class
    return nhwc_to_nchw(x[order]).numpy().reshape(rows, num_classes, *x.shape[3:], *x.shape[1:3])


def loss_curve(history: dict, title: str, out_path: str) -> None:
    rows = history["loss"]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    for key, label in (("loss_d", "discriminator / classifier"), ("loss_g", "generator")):
        points = [(row["epoch"], row[key]) for row in rows if key in row]
        if points:
            axes.plot(*zip(*points, strict=True), label=label, linewidth=1)
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss (mean per logging interval)")
    axes.set_title(title, fontsize=10)
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)


def metrics_chart(metrics: dict[str, Row], out_path: str) -> None:
    """Horizontal bars, a row per experiment (mean ± std over its seeds), each beside what a
    perfect generator scores on the same sample sizes (± its spread over draws or seeds): the
    class-aware numbers (classifier accuracy; per-class recall and the classification accuracy
    score), then the Frechet distance (with class-mean points). The width is the page's, the
    height grows with the experiments."""
    names = list(metrics)
    y = np.arange(len(names))
    figure, (left, middle, right) = plt.subplots(
        1, 3, figsize=(12, 0.32 * len(names) + 1.8), sharey=True, gridspec_kw={"width_ratios": [1, 1.3, 1.3]}
    )

    def bars(axes, key, offset, height, label, color, hatch=None, perfect=False):
        if perfect:
            values = [metrics[n].perfect(key) for n in names]
        else:
            values = [(metrics[n].value(key), metrics[n].spread(key) or 0.0) for n in names]
        values = [(0.0, 0.0) if np.isnan(mean) else (mean, spread) for mean, spread in values]
        errors = [spread for _, spread in values]
        axes.barh(y + offset, [mean for mean, _ in values], height, xerr=errors if any(errors) else None,
                  capsize=2, label=label, color=color, hatch=hatch)

    bars(left, "accuracy", -0.2, 0.4, "generated", "tab:blue")
    bars(left, "accuracy", 0.2, 0.4, "real images", "tab:gray", perfect=True)
    left.set_xlim(0, 1)
    left.set_xlabel("classifier accuracy")
    bars(middle, "class_recall", -0.3, 0.2, "per-class recall", "tab:green")
    bars(middle, "class_recall", -0.1, 0.2, "per-class recall, perfect", "tab:gray", perfect=True)
    bars(middle, "cas", 0.1, 0.2, "CAS", "tab:purple")
    bars(middle, "cas", 0.3, 0.2, "CAS, real images", "tab:gray", "//", perfect=True)
    middle.set_xlim(0, 1)
    middle.set_xlabel("per-class recall; classification accuracy score")
    bars(right, "frechet_distance", -0.27, 0.27, "generated", "tab:orange")
    bars(right, "frechet_distance", 0, 0.27, "perfect generator (± std over draws)", "tab:gray", perfect=True)
    bars(right, "frechet_class_means", 0.27, 0.27, "class-mean points", "tab:olive")
    right.set_xscale("log")  # MNIST and CIFAR-10 distances differ by orders of magnitude
    right.set_xlabel("Frechet distance to the reference")
    left.set_yticks(y)
    left.set_yticklabels(names, fontsize=7)
    left.invert_yaxis()
    for axes in (left, middle, right):
        axes.grid(axis="x", alpha=0.3)
        axes.tick_params(axis="x", labelsize=7)
        axes.legend(fontsize=6, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    figure.suptitle(
        "Generated images judged by each data set's reference classifier, beside a perfect generator "
        "on the same sample sizes (error bars on generated: std over seeds)",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)


LINES_PER_PANEL = 8  # distinct colours and markers per panel of the curves
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def curve_families(study: dict, curves: dict[str, dict]) -> list[tuple[str, list[str]]]:
    """The panels of the curves chart: each family of runs of the study (`study`: the plan's
    study params) with a curve, each ladder, set of arms and ablation, then the experiments of
    none, by data set; at most LINES_PER_PANEL runs a panel (a larger family over several)."""
    families = [(f"ladder {name}", [rung["experiment"] for rung in rungs]) for name, rungs in study["ladders"].items()]
    families += [(f"arms {name}", list(roles.values())) for name, roles in study["arms"].items()]
    families += [(f"ablation {name}", [a["control"], *(r["experiment"] for r in a["rows"])])
                 for name, a in study["ablations"].items()]
    placed = {exp for _, members in families for exp in members}
    by_dataset: dict[str, list[str]] = {}
    for exp, curve in curves.items():
        if exp not in placed:
            by_dataset.setdefault(curve["run"]["dataset"], []).append(exp)
    families += [(f"other {dataset}", members) for dataset, members in by_dataset.items()]
    panels = []
    for title, members in families:
        members = [exp for exp in members if exp in curves]
        chunks = [members[i : i + LINES_PER_PANEL] for i in range(0, len(members), LINES_PER_PANEL)]
        panels += [(title if len(chunks) == 1 else f"{title} ({i + 1} of {len(chunks)})", chunk)
                   for i, chunk in enumerate(chunks)]
    return panels


def curves_chart(curves: dict[str, dict], families: list[tuple[str, list[str]]], out_path: str) -> None:
    """Small multiples: a row per family of runs (curve_families; curves: experiment -> its first
    run's curve.json), a column per metric (accuracy, per-class recall, Frechet distance) against
    the share of its steps done, each run in its own colour and marker, a perfect generator's
    (grey, dashed) where it has one; a run the trend test does not call converged is marked."""
    metrics = (
        ("accuracy", None, "classifier accuracy"),
        ("class_recall", "class_recall_perfect", "per-class recall"),
        ("frechet_distance", "frechet_floor", "Frechet distance"),
    )
    figure, axes = plt.subplots(len(families), 3, figsize=(12, 2.6 * len(families)), squeeze=False)
    colours = plt.get_cmap("tab10").colors
    for row, (title, members) in enumerate(families):
        for column, (key, perfect, label) in enumerate(metrics):
            ax = axes[row][column]
            for i, name in enumerate(members):
                curve = curves[name]
                if not curve["points"]:
                    continue
                done = [step / max(curve["steps"][-1], 1) for step in curve["steps"]]
                values = [np.nan if p.get(key) is None else p[key] for p in curve["points"]]
                status = "" if curve["status"] == "converged" else f" ({curve['status']})"
                ax.plot(done, values, marker=MARKERS[i], markersize=3, linewidth=1, color=colours[i],
                        label=name + status)
                if perfect and i == 0:
                    ax.plot(done, [np.nan if p.get(perfect) is None else p[perfect] for p in curve["points"]],
                            color="0.6", linestyle="--", linewidth=0.8, label="perfect generator")
            if key == "frechet_distance":
                ax.set_yscale("log")
            ax.set_title(f"{title}: {label}", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        axes[row][-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.02, 0.5))
    for ax in axes[-1]:
        ax.set_xlabel("share of the run's steps", fontsize=8)
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)


def arms_figure(panels: list[tuple[str, str]], title: str, out_path: str) -> None:
    """Sample sheets side by side (panels: (label, the sheet's path)), each as written (one
    column per class, one draw per row), under its label: the notebook's run and the positive
    control's arms."""
    sheets = [np.asarray(Image.open(path).convert("RGB")) for _, path in panels]
    height = max(sheet.shape[0] for sheet in sheets)
    width = sum(sheet.shape[1] for sheet in sheets)
    figure, axes = plt.subplots(
        1, len(panels), figsize=(max(width / 100 + 0.3 * len(panels), 8), height / 100 + 1.2), squeeze=False,
        gridspec_kw={"width_ratios": [sheet.shape[1] for sheet in sheets]},
    )
    for ax, (label, _), sheet in zip(axes[0], panels, sheets, strict=True):
        ax.imshow(sheet, interpolation="nearest")
        ax.set_title(label, fontsize=8, wrap=True)
        ax.axis("off")
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)


def tradeoff_figure(arms: dict[str, list[tuple[float, float]]], sweep: dict[str, list[tuple[float, float, float]]],
                    picked: dict[str, float], title: str, out_path: str) -> None:
    """Class fidelity against variety within a class, each as a share of a perfect generator's
    (arms: an arm's label -> a point per seed; sweep: an arm's label -> (weight, x, y) per KL
    weight, the `picked` weight ringed), the perfect generator's corner (1, 1) marked."""
    figure, ax = plt.subplots(figsize=(7.5, 5.5))
    colours = plt.get_cmap("tab10").colors
    for i, (label, points) in enumerate(arms.items()):
        xs, ys = zip(*points, strict=True)
        ax.scatter(xs, ys, s=18, color=colours[i], marker=MARKERS[i], alpha=0.7, label=label)
        ax.scatter([np.mean(xs)], [np.mean(ys)], s=90, color=colours[i], marker=MARKERS[i], edgecolors="black")
    for j, (label, points) in enumerate(sweep.items()):
        colour = colours[len(arms) + j]
        weights, xs, ys = zip(*points, strict=True)
        ax.plot(xs, ys, color=colour, linestyle="--", marker="o", markersize=4, label=f"{label}: KL sweep")
        for weight, x, y in points:
            ax.annotate(f"{weight:g}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7, color=colour)
            if weight == picked.get(label):
                ax.scatter([x], [y], s=160, facecolors="none", edgecolors=colour, linewidths=1.5)
    ax.scatter([1], [1], marker="*", s=200, color="gold", edgecolors="black", label="a perfect generator", zorder=5)
    shown = [v for points in arms.values() for p in points for v in p if np.isfinite(v)]
    shown += [v for points in sweep.values() for _, x, y in points for v in (x, y) if np.isfinite(v)]
    top = max([1.1, *(v + 0.05 for v in shown)])  # a share above a perfect generator's stays in view
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("variety within a class: per-class recall / a perfect generator's")
    ax.set_ylabel("class fidelity: accuracy / a perfect generator's")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc="lower left")
    figure.tight_layout()
    figure.savefig(out_path, dpi=100)
    plt.close(figure)
