"""Snakemake script: the bar chart of every experiment's metrics (mean and spread over seeds),
each beside a perfect generator's, and every experiment's curve (its first run's) by family of
runs (ladders, arms, ablations, the rest by data set)."""

from embedgan.config.paths import read_json, read_judgement, read_metrics
from embedgan.config.runs import Run
from embedgan.documents.render import curve_families, curves_chart, metrics_chart
from embedgan.documents.study import read_cas_real
from embedgan.documents.tables import Row
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    cas_real = read_cas_real(snakemake.input.cas_real)
    classifiers = {summary["dataset"]: summary for summary in map(read_json, snakemake.input.classifiers)}
    chart, curves = {}, {}
    for exp, records in snakemake.params.runs.items():
        dataset, runs = records[0]["dataset"], [Run.from_record(record) for record in records]
        chart[exp] = Row([read_metrics(run) for run in runs], classifiers[dataset], cas_real.get(dataset))
        curves[exp] = read_judgement(runs[0], "curve")
    metrics_chart(chart, snakemake.output.chart)
    curves_chart(curves, curve_families(snakemake.params.study, curves), snakemake.output.curves)
