"""Snakemake script: results/<run>/cas.json, the classification accuracy score of one run."""

from pathlib import Path

import torch

from embedgan.config.runs import Run
from embedgan.datasets import data
from embedgan.evaluation.cas import generated_score
from embedgan.machine.devices import select_device
from embedgan.runtime import log_to, write_json

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    run = Run.from_record(snakemake.params.run)
    result = generated_score(
        snakemake.input.model,
        run,
        data.load_verified(snakemake.input.images, snakemake.input.manifest),
        snakemake.params.classifier,
        snakemake.params.cas,
        select_device(snakemake.config["device"]),
        snakemake.params.checkpoint,
        snakemake.input.manifest,
    )
    write_json(snakemake.output.cas, result)
    Path(snakemake.params.checkpoint).unlink(missing_ok=True)
    print(f"CAS {result['test_accuracy']:.4f} ({result['images_per_class']} generated images per class)")
