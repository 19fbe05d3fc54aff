rule plot_metrics:
    input:
        package_modules("plot_metrics.py"),
        metrics=[run.path("metrics") for run in RUN.values()],
        cas=[run.path("cas") for run in RUN.values()],
        cas_real=[runs.cas_real_file(dataset) for dataset in DATASETS],
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
        runs=run_records(),
        probes=PROBES,
    script:
        "../../scripts/plot_metrics.py"


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
        experiments={exp: e.presentation for exp, e in RESOLVED.items()},
        runs=run_records(),
        probes=PROBES,
        noise_pairs=noise_pairs(),
        ladders=ladder_rungs(),
    script:
        "../../scripts/write_report.py"
