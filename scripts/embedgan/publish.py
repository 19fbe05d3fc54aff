"""The results page of a finished run (docs/results.md), with its pictures copied beside it.

The page holds the report's numbers and pictures, the scale of each experiment beside the
notebook's, the wall time of each job, the command that made the run, and a short answer to
the notebook's question in words, each sentence computed from numbers on the page (so it stays
true when the page is remade from another run). It holds nothing that changes between two
makings from the same run (no dates), so remaking it changes no byte.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
from statistics import fmean
from pathlib import Path

from . import report
from .runtime import atomic_path

# Picture of an experiment (report entry key) -> its file name on the page.
PAGE_PICTURES = {
    "fake": "{exp}_fake.png",
    "real": "{exp}_real.png",
    "history_png": "{exp}.png",
    "loss_png": "{exp}_loss.png",
    "nearest": "{exp}_nearest.png",
}
RECOGNISED = 0.5  # a class counts as recognised when the classifier names it in half its draws


def page_pictures(experiments: list[str], picture_dir: str) -> list[str]:
    """Every picture file the page holds (the publish rule's outputs)."""
    names = [form.format(exp=exp) for exp in experiments for form in PAGE_PICTURES.values()]
    return [str(Path(picture_dir) / name) for name in [*names, "metrics.png"]]


def copy_pictures(experiments: dict[str, dict], metrics_png: str, picture_dir: Path) -> str:
    """Copy every picture beside the page and point the entries at the copies."""
    picture_dir.mkdir(parents=True, exist_ok=True)
    for name, entry in experiments.items():
        for key, form in PAGE_PICTURES.items():
            target = picture_dir / form.format(exp=name)
            shutil.copyfile(entry[key], target)
            entry[key] = str(target)
    shutil.copyfile(metrics_png, picture_dir / "metrics.png")
    return str(picture_dir / "metrics.png")


def benchmark_seconds(path: str) -> float | None:
    """Wall time of a job from its Snakemake benchmark file (None where it has none)."""
    if not Path(path).is_file():
        return None
    with open(path) as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return float(rows[-1]["s"]) if rows else None


def scale_table(experiments: dict[str, dict], notebook: dict[str, dict | None]) -> list[str]:
    lines = [
        "| experiment | training images | batch | epochs | steps | notebook: images | batch "
        "| epochs | steps |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in experiments.items():
        history, settings = entry["history"], entry["history"]["settings"]
        ours = (
            f"{history['train_images']:,} | {settings['batch_size']} | {settings['epochs']} "
            f"| {history['steps']:,}"
        )
        scale = notebook.get(name)
        if scale is None:
            theirs = "not in the notebook | | |"
        else:
            steps = scale["epochs"] * math.ceil(scale["images"] / scale["batch_size"])
            theirs = f"{scale['images']:,} | {scale['batch_size']} | {scale['epochs']} | {steps:,}"
        lines.append(f"| {name} | {ours} | {theirs} |")
    return lines


def wall_time_table(
    experiments: dict[str, dict], classifiers: dict[str, dict], benchmarks: dict[str, str]
) -> list[str]:
    """Training: the loop's own time over every attempt (a resumed job's benchmark holds its
    last attempt only); other jobs: Snakemake's benchmark files."""
    lines = ["| job | wall time |", "| --- | --- |"]
    for name, entry in experiments.items():
        lines.append(
            f"| train {name} (training loop, all attempts) "
            f"| {report.format_seconds(entry['history']['wall_time_s'])} |"
        )
    for name, summary in classifiers.items():
        lines.append(
            f"| train_classifier {name} (training loop, all attempts) "
            f"| {report.format_seconds(summary['wall_time_s'])} |"
        )
    for job, path in benchmarks.items():
        seconds = benchmark_seconds(path)
        if seconds is not None:
            lines.append(f"| {job} | {report.format_seconds(seconds)} |")
    return lines


def answer(
    experiments: dict[str, dict], classifiers: dict[str, dict], noise_pairs: list[list[str]]
) -> list[str]:
    """The notebook's question answered in sentences, each computed from the page's numbers."""
    lines = ["Which experiments draw images of the intended class (reference classifier):", ""]
    for name, entry in experiments.items():
        metrics = entry["metrics"][0]
        recognised = sum(c["accuracy"] >= RECOGNISED for c in metrics["per_class"])
        real = classifiers[entry["history"]["settings"]["dataset"]]["test_accuracy"]
        lines.append(
            f"- {name}: {metrics['accuracy']:.0%} of its generated images are classified as "
            f"the intended class, {recognised} of 10 classes in at least half their draws "
            f"(the classifier is right on {real:.0%} of real test images)."
        )
    single = [name for name, e in experiments.items() if not e["metrics"][0]["has_noise"]]
    if single:
        lines += [
            "",
            "What a generator without noise can and cannot do: it draws exactly one image per "
            "class, so the diversity of "
            + ", ".join(single)
            + " is 0 by construction (real images of one class: "
            + ", ".join(
                f"{experiments[n]['metrics'][0]['diversity_real']:.2f}" for n in single
            )
            + "). One point per class can at best sit at the class's mean feature: per class, "
            "its Frechet distance cannot fall below the best single point's, however good the "
            "image. Mean over the classes, generated / best single point / perfect generator:",
            "",
        ]
        for name in single:
            per_class = experiments[name]["metrics"][0]["per_class"]
            lines.append(
                f"- {name}: {fmean(c['frechet_distance'] for c in per_class):.2f} / "
                f"{fmean(c['frechet_best_point'] for c in per_class):.2f} / "
                f"{fmean(c['frechet_floor'] for c in per_class):.2f}"
            )
    if noise_pairs:
        lines += ["", "What adding 100-d Gaussian noise to the embedding changes:", ""]
        for base, noisy in noise_pairs:
            before, after = experiments[base]["metrics"][0], experiments[noisy]["metrics"][0]
            lines.append(
                f"- {base} -> {noisy}: diversity {before['diversity']:.2f} -> "
                f"{after['diversity']:.2f} (real: {after['diversity_real']:.2f}), accuracy "
                f"{before['accuracy']:.2f} -> {after['accuracy']:.2f}, Frechet distance "
                f"{before['frechet_distance']:.2f} -> {after['frechet_distance']:.2f} (a "
                f"perfect generator's: {report.floor(after)})."
            )
    lines += ["", "Is any generated image a copy of a training image?", ""]
    for name, entry in experiments.items():
        metrics = entry["metrics"][0]
        nearest = metrics["nearest_train_distances"]
        copies = sum(d < 1e-6 for d in nearest)
        lines.append(
            f"- {name}: "
            + (f"{copies} of {len(nearest)} draws equal a training image; " if copies else "no; ")
            + f"the nearest training image lies at a mean pixel distance of "
            f"{metrics['nearest_train_distance']:.2f} (smallest {min(nearest):.2f}), real test "
            f"images at {metrics['nearest_train_distance_real_test']:.2f}."
        )
    return lines


def write_page(
    experiments: dict[str, dict],
    classifiers: dict[str, dict],
    noise_pairs: list[list[str]],
    notebook: dict[str, dict | None],
    benchmarks: dict[str, str],
    command: str,
    metrics_png: str,
    out_path: str,
) -> None:
    """experiments, classifiers: as report.gather gives them; notebook: experiment -> the
    notebook's scale (images, batch_size, epochs) or None; benchmarks: job -> its benchmark
    file (all but the training jobs, whose loop times come from their records); command: the
    snakemake command of the run."""
    page_dir = Path(out_path).parent
    metrics_png = copy_pictures(experiments, metrics_png, page_dir / Path(out_path).stem)
    rel = lambda path: os.path.relpath(path, page_dir)  # noqa: E731
    headline = max(experiments, key=lambda name: experiments[name]["metrics"][0]["accuracy"])
    lines = [
        "# Results: generators fed an embedding instead of noise",
        "",
        report.QUESTION,
        "",
        "Made by the workflow's `publish` target from one finished run:",
        "",
        f"    {command}",
        "",
        f"![{headline} generated]({rel(experiments[headline]['fake'])})",
        "",
        "## The answer",
        "",
        *answer(experiments, classifiers, noise_pairs),
        "",
        "## Scale of each experiment, beside the notebook's",
        "",
        *scale_table(experiments, notebook),
        "",
        "## Metrics",
        "",
        report.METRICS_NOTE,
        "",
        "Reference classifiers:",
        "",
        *report.classifier_lines(classifiers),
        "",
        *report.metrics_table(experiments),
        "",
        f"![metrics]({rel(metrics_png)})",
        "",
    ]
    if noise_pairs:
        lines += [
            "## Embedding only, and embedding + noise",
            "",
            *report.noise_table(experiments, noise_pairs),
            "",
        ]
    lines += ["## Wall time of each job", "", *wall_time_table(experiments, classifiers, benchmarks), ""]
    for name, entry in experiments.items():
        lines += report.experiment_section(name, entry, page_dir)
    with atomic_path(out_path) as tmp:
        Path(tmp).write_text("\n".join(lines))
