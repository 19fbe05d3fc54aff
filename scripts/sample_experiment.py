"""Snakemake script: draw the final images of every class from a trained model."""

import numpy as np
import torch

from embedgan.config.runs import Run, write_run_npz
from embedgan.machine.devices import select_device
from embedgan.networks.sampling import draw
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    torch.set_num_threads(snakemake.threads)
    device = select_device(snakemake.config["device"])
    run = Run.from_record(snakemake.params.run)
    images, classes, stochastic = draw(snakemake.input.model, snakemake.params.rows, device, run)
    if not stochastic:
        images = images[:1]  # without noise every draw of a class is the same image
    write_run_npz(snakemake.output.samples, run.made_for(), images=images, classes=np.array(classes))
    print(f"{images.shape[0]} sample(s) per class of {len(classes)} classes")
