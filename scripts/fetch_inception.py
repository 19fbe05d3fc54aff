"""Snakemake script: download the standard FID Inception-v3 weights once into resources/."""

import torch

from embedgan.evaluation.inception import INCEPTION_URL
from embedgan.runtime import atomic_path, log_to

with log_to(snakemake.log[0]):
    with atomic_path(snakemake.output.weights) as tmp:
        torch.hub.download_url_to_file(INCEPTION_URL, tmp, progress=False)
    print(f"wrote {snakemake.output.weights} from {INCEPTION_URL}")
