"""Snakemake script: results/<exp>/morph.png, images along the line between two classes'
conditioning vectors, one row per class pair of the experiment's `morphs`."""

import torch

from embedgan.config.runs import Run
from embedgan.documents.render import class_grid
from embedgan.evaluation.probes import MORPH_STEPS, morph_images
from embedgan.machine.devices import select_device
from embedgan.networks.sampling import load_generator
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    trained = load_generator(
        snakemake.input.model, select_device(snakemake.config["device"]), Run.from_record(snakemake.params.run)
    )
    pairs = snakemake.params.morphs
    images = morph_images(trained, pairs, MORPH_STEPS)
    weights = [f"{i / (MORPH_STEPS - 1):.2f}" for i in range(MORPH_STEPS)]
    class_grid(images, weights, [f"{a} → {b}" for a, b in pairs],
               f"{snakemake.wildcards.exp}: morphs (weight of the second class)",
               snakemake.output.morph)
