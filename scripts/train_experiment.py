"""Snakemake script: train one experiment (its settings are the rule's params)."""

import torch

from embedgan.machine.devices import select_device
from embedgan.runtime import log_to
from embedgan.training.train import train_experiment

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    train_experiment(
        snakemake.wildcards.run,
        snakemake.params.settings,
        dataset_path=snakemake.input.images,
        manifest_path=snakemake.input.manifest,
        device=select_device(snakemake.config["device"]),
        checkpoint=snakemake.params.checkpoint,
        model_out=snakemake.output.model,
        history_out=snakemake.output.history,
        snapshots_out=snakemake.output.snapshots,
        speedups=snakemake.config["speedups"],
        checkpoint_interval_s=snakemake.config["checkpoint_interval_s"],
        precision=snakemake.params.precision,
    )
