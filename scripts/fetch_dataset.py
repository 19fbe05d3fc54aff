"""Snakemake script: fetch one data set into its canonical .npz and manifest."""

from embedgan.datasets.data import define, fetch
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    if snakemake.params.source is not None:  # a data set of your own (config key `datasets`)
        define({snakemake.wildcards.dataset: snakemake.params.source})
    record = fetch(
        snakemake.wildcards.dataset,
        output=snakemake.output.images,
        manifest=snakemake.output.manifest,
        mirror=snakemake.params.mirror,
        download_dir=snakemake.params.download_dir,
    )
    print(f"wrote {snakemake.output.images}: {record['counts']} from {record['source']}")
