rule plot_metrics:
    input:
        package_modules("plot_metrics.py"),
        metrics=run_outputs("results/{run}/metrics.json"),
    output:
        chart=report(
            "results/metrics.png",
            caption="../report/metrics.rst",
            category="Summary",
            labels={"picture": "metrics"},
        ),
    log:
        "logs/plot_metrics.log",
    benchmark:
        "benchmarks/plot_metrics.tsv"
    conda:
        "../../environment.yaml"
    params:
        runs={exp: runs_of(exp) for exp in EXPERIMENTS},
    script:
        "../../scripts/plot_metrics.py"


def report_inputs():
    """What the report and the results page are made from, by name (report.gather)."""
    return dict(
        histories=experiment_outputs("results/{exp}/history.json"),
        manifests=[
            f"resources/datasets/{merged_experiment(exp)['dataset']}.json"
            for exp in EXPERIMENTS
        ],
        metrics=run_outputs("results/{run}/metrics.json"),
        classifiers=expand("results/classifiers/{dataset}.json", dataset=DATASETS),
        metrics_png="results/metrics.png",
        fakes=experiment_outputs("results/{exp}/{exp}_fake.png"),
        reals=experiment_outputs("results/{exp}/{exp}_real.png"),
        history_pngs=experiment_outputs("results/{exp}/{exp}.png"),
        loss_pngs=experiment_outputs("results/{exp}/{exp}_loss.png"),
        nearest_pngs=experiment_outputs("results/{exp}/nearest.png"),
    )


rule report:
    input:
        package_modules("write_report.py"),
        **report_inputs(),
    output:
        report="results/report.md",
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../environment.yaml"
    params:
        experiments={exp: presentation(exp) for exp in EXPERIMENTS},
        runs={exp: runs_of(exp) for exp in EXPERIMENTS},
        noise_pairs=noise_pairs(),
    script:
        "../../scripts/write_report.py"
