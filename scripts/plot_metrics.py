"""Snakemake script: the bar chart of every experiment's metrics."""

import json

from embedgan.render import metrics_chart
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    metrics = {}
    for name, path in zip(snakemake.params.experiments, snakemake.input.metrics):
        metrics[name] = {"mean": json.loads(open(path).read()), "std": None}
    metrics_chart(metrics, snakemake.output.chart)
