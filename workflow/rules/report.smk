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
        runs=STUDY["runs"],
        probes=PROBES,
    script:
        "../../scripts/plot_metrics.py"


rule report:
    input:
        package_modules("write_document.py"),
        **DOCUMENT_INPUTS,
    output:
        document="results/report.md",
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../environment.yaml"
    params:
        document="report",
        study=STUDY,
    script:
        "../../scripts/write_document.py"
