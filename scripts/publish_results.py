"""Snakemake script: docs/results.md and its pictures from a finished run."""

from embedgan.publish import write_page
from embedgan.report import gather
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    experiments, classifiers = gather(
        snakemake.params.experiments,
        snakemake.params.runs,
        snakemake.input.classifiers,
        snakemake.params.probes,
    )
    write_page(
        experiments,
        classifiers,
        snakemake.params.noise_pairs,
        snakemake.params.notebook,
        snakemake.params.benchmarks,
        snakemake.params.command,
        snakemake.input.metrics_png,
        snakemake.output.page,
    )
