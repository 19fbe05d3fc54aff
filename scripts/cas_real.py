"""Snakemake script: results/classifiers/<dataset>_cas_real.json, the classification accuracy
score of real training images (the perfect generator's) over several seeds."""

from pathlib import Path

import torch

from embedgan.datasets import data
from embedgan.evaluation.cas import checkpoint_of, real_score
from embedgan.machine.devices import select_device
from embedgan.runtime import log_to, write_json

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    result = real_score(
        snakemake.wildcards.dataset,
        data.load_verified(snakemake.input.images, snakemake.input.manifest),
        snakemake.params.classifier,
        snakemake.params.cas,
        select_device(snakemake.config["device"]),
        snakemake.params.checkpoint,
        snakemake.input.manifest,
    )
    write_json(snakemake.output.cas, result)
    for seed in range(result["seeds"]):
        Path(checkpoint_of(snakemake.params.checkpoint, seed)).unlink(missing_ok=True)
    print(f"CAS of real images {result['test_accuracy']:.4f} ± {result['test_accuracy_std']:.4f}")
