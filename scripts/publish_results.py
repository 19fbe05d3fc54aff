"""Snakemake script: docs/results.md and its pictures from a finished run, and the README's
results table."""

from pathlib import Path

from embedgan.publish import write_page
from embedgan.report import Study, gather, read_cas_real
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    experiments, classifiers = gather(
        snakemake.params.experiments,
        snakemake.params.runs,
        snakemake.input.classifiers,
        snakemake.params.probes,
    )
    study = Study(
        experiments,
        classifiers,
        snakemake.params.noise_pairs,
        snakemake.input.metrics_png,
        Path(snakemake.output.page).parent,
        cas_real=read_cas_real(snakemake.input.cas_real),
        ladders=snakemake.params.ladders,
        notebook=snakemake.params.notebook,
        benchmarks=snakemake.params.benchmarks,
        command=snakemake.params.command,
    )
    write_page(study, snakemake.output.page, snakemake.params.readme)
