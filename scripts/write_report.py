"""Snakemake script: results/report.md from every experiment's outputs."""

import json

from embedgan.report import metrics_by_experiment, write_report
from embedgan.runtime import log_to

with log_to(snakemake.log[0]):
    read = lambda path: json.loads(open(path).read())  # noqa: E731
    metrics = metrics_by_experiment(snakemake.params.runs, snakemake.input.metrics)
    experiments = {}
    for i, (name, presentation) in enumerate(snakemake.params.experiments.items()):
        experiments[name] = {
            "presentation": presentation,
            "history": read(snakemake.input.histories[i]),
            "manifest": read(snakemake.input.manifests[i]),
            "metrics": metrics[name],  # one per seed, this run's first
            "fake": snakemake.input.fakes[i],
            "real": snakemake.input.reals[i],
            "history_png": snakemake.input.history_pngs[i],
            "loss_png": snakemake.input.loss_pngs[i],
            "nearest": snakemake.input.nearest_pngs[i],
        }
    classifiers = {}
    for path in snakemake.input.classifiers:
        summary = read(path)
        classifiers[summary["dataset"]] = summary
    write_report(
        experiments,
        classifiers,
        snakemake.params.noise_pairs,
        snakemake.input.metrics_png,
        snakemake.output.report,
    )
