"""Snakemake script: the bar chart of every experiment's metrics (mean and spread over seeds)."""

from embedgan.render import metrics_chart
from embedgan.report import seed_statistics
from embedgan.runs import Run, read_metrics
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    metrics = {
        exp: [read_metrics(Run.from_record(record)) for record in records]
        for exp, records in snakemake.params.runs.items()
    }
    metrics_chart({exp: seed_statistics(runs) for exp, runs in metrics.items()}, snakemake.output.chart)
