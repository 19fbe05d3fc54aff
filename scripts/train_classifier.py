"""Snakemake script: train the reference classifier of one data set."""

import torch

from embedgan.evaluation.classifier_training import train_classifier
from embedgan.machine.devices import select_device
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    summary = train_classifier(
        snakemake.wildcards.dataset,
        snakemake.params.settings,
        dataset_path=snakemake.input.images,
        manifest_path=snakemake.input.manifest,
        device=select_device(snakemake.config["device"]),
        checkpoint=snakemake.params.checkpoint,
        model_out=snakemake.output.model,
        summary_out=snakemake.output.summary,
    )
    print(f"test accuracy {summary['test_accuracy']:.4f}")
