"""Snakemake script: results/report.md from every experiment's outputs."""

from pathlib import Path

from embedgan.report import REPORT, Study, gather, read_cas_real, write_document
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
        Path(snakemake.output.report).parent,
        cas_real=read_cas_real(snakemake.input.cas_real),
        ladders=snakemake.params.ladders,
    )
    write_document(study, REPORT, snakemake.output.report)
