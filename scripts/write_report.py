"""Snakemake script: results/report.md from every experiment's outputs."""

from embedgan.report import gather, write_report
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    experiments, classifiers = gather(
        snakemake.params.experiments,
        snakemake.params.runs,
        snakemake.input.classifiers,
        snakemake.params.probes,
    )
    write_report(
        experiments,
        classifiers,
        snakemake.params.noise_pairs,
        snakemake.input.metrics_png,
        snakemake.output.report,
    )
