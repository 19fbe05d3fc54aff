"""Snakemake script: a run's curve (accuracy, per-class recall, Frechet distance, recall at each
point of its generation record) and whether it converged by the trend test, into curve.json."""

import json

import numpy as np
import torch

from embedgan.config.runs import Run, check_made_for, npz_run
from embedgan.datasets import data
from embedgan.datasets.images import nhwc_to_nchw
from embedgan.evaluation.classifier import load_classifier
from embedgan.evaluation.curves import judge_record
from embedgan.machine.devices import select_device
from embedgan.runtime import log_to, write_json

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    device = select_device(snakemake.config["device"])
    run = Run.from_record(snakemake.params.run)
    with np.load(snakemake.input.snapshots) as snapshots:
        check_made_for(snakemake.input.snapshots, npz_run(snapshots), run)
        curve, steps = snapshots["curve"], snapshots["steps"].tolist()
    dataset = data.load(snakemake.input.images)
    with open(snakemake.input.classifier_summary) as handle:
        perfect_accuracy = json.load(handle)["test_accuracy"]
    classifier = load_classifier(snakemake.input.classifier, device, run.dataset)
    judged = judge_record(
        classifier,
        curve[:, :, : snakemake.params.samples_per_class],
        steps,
        nhwc_to_nchw(dataset.x_test).to(device),
        torch.from_numpy(dataset.y_test).to(device),
        len(dataset.classes),
        perfect_accuracy,
    )
    write_json(snakemake.output.curve, {
        "run": snakemake.params.run, "device": str(next(classifier.parameters()).device), "steps": steps, **judged,
    })
    print(f"{len(judged['points'])} points; {judged['status']}: " + ", ".join(
        f"{key} {t['verdict']} ({t['change']:+.3g} over another third, [{t['low']:+.3g}, {t['high']:+.3g}])"
        for key, t in judged["trends"].items()
    ))
