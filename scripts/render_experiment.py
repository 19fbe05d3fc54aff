"""Snakemake script: the pictures of one experiment (generated, real, history, losses, each
class's first draw beside its nearest training image)."""

import json

import numpy as np

from embedgan.config.runs import Run, check_made_for, npz_run
from embedgan.datasets import data
from embedgan.documents.files import SHEET_ROWS
from embedgan.documents.render import class_grid, loss_curve, real_per_class, sample_sheet
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    name = snakemake.wildcards.exp
    run = Run.from_record(snakemake.params.run)
    samples = np.load(snakemake.input.samples)
    snapshots = np.load(snakemake.input.snapshots)
    history = json.loads(open(snakemake.input.history).read())
    check_made_for(snakemake.input.samples, npz_run(samples), run)
    check_made_for(snakemake.input.snapshots, npz_run(snapshots), run)
    check_made_for(snakemake.input.history, history.get("run"), run)
    nearest = np.load(snakemake.input.nearest)
    check_made_for(snakemake.input.nearest, npz_run(nearest), run)
    classes = tuple(str(c) for c in samples["classes"])
    fakes = samples["images"]
    sample_sheet(fakes, SHEET_ROWS, snakemake.output.sheet)
    fakes = fakes[: snakemake.params.real_rows]
    class_grid(fakes, classes, [f"sample {i + 1}" for i in range(len(fakes))],
               f"{name}: generated", snakemake.output.fake)

    dataset = data.load(snakemake.input.images)
    real = real_per_class(dataset.x_test, dataset.y_test, snakemake.params.real_rows, len(dataset.classes))
    class_grid(real, classes, [f"test {i + 1}" for i in range(len(real))],
               f"{name}: real test images", snakemake.output.real)

    per_epoch = history["steps_per_epoch"]
    class_grid(snapshots["images"], classes,
               [f"epoch {s / per_epoch:.3g}" for s in snapshots["steps"]],
               f"{name}: generation record", snakemake.output.history)
    loss_curve(history, f"{name}: losses", snakemake.output.loss)
    distances = nearest["distances"]
    class_grid(nearest["images"], classes, ["generated", "nearest train"],
               f"{name}: nearest training image (L2 {distances.min():.2f}-{distances.max():.2f})",
               snakemake.output.nearest)
