"""Snakemake script: the bar chart of every experiment's metrics (mean and spread over seeds)."""

import json

from embedgan.render import metrics_chart
from embedgan.report import seed_statistics
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    by_run = dict(zip([r for runs in snakemake.params.runs.values() for r in runs], snakemake.input.metrics))
    metrics = {
        exp: seed_statistics([json.loads(open(by_run[run]).read()) for run in runs])
        for exp, runs in snakemake.params.runs.items()
    }
    metrics_chart(metrics, snakemake.output.chart)
