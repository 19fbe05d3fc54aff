"""Snakemake script: the bar chart of every experiment's metrics (mean and spread over seeds),
each beside a perfect generator's."""

from embedgan.config.runs import Run, read_metrics
from embedgan.documents.render import metrics_chart
from embedgan.documents.sections import seed_statistics
from embedgan.documents.study import read_cas_real
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    cas_real = read_cas_real(snakemake.input.cas_real)
    chart = {}
    for exp, records in snakemake.params.runs.items():
        runs = [read_metrics(Run.from_record(record)) for record in records]
        recall = runs[0]["prdc"]
        perfect = recall["perfect"]["recall"] if recall["perfect"] else {"mean": 0, "std": 0}
        real = cas_real[records[0]["dataset"]]
        chart[exp] = {
            **seed_statistics(runs),
            "recall": (recall["recall"] or 0, perfect["mean"], perfect["std"]),
            "cas_real": (real["test_accuracy"], real["test_accuracy_std"]),
        }
    metrics_chart(chart, snakemake.output.chart)
