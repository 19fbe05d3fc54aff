"""Snakemake script: the bar chart of every experiment's metrics (mean and spread over seeds)."""

from embedgan.render import metrics_chart
from embedgan.report import metrics_by_experiment, seed_statistics
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    runs = metrics_by_experiment(snakemake.params.runs, snakemake.input.metrics)
    metrics_chart({exp: seed_statistics(metrics) for exp, metrics in runs.items()}, snakemake.output.chart)
