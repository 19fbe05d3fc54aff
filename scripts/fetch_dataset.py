"""Snakemake script: fetch one data set into its canonical .npz and manifest."""

from embedgan.datasets.data import describe, fetch
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    name = snakemake.wildcards.dataset
    # params.source: a data set of your own's entry under the config key `datasets` (built-in: None)
    record = fetch(
        name,
        describe(name, snakemake.params.source),
        output=snakemake.output.images,
        manifest=snakemake.output.manifest,
        mirror=snakemake.params.mirror,
        download_dir=snakemake.params.download_dir,
    )
    print(f"wrote {snakemake.output.images}: {record['counts']} from {record['source']}")
