rule plot_metrics:
    input:
        package_modules("plot_metrics.py"),
        metrics=[run.path("metrics") for run in RUN.values()],
        cas=[run.path("cas") for run in RUN.values()],
        curves=[run.path("curve") for run in RUN.values()],
        cas_real=[runs.cas_real_file(dataset) for dataset in DATASETS],
        classifiers=[runs.classifier_file(dataset, "summary") for dataset in DATASETS],
    output:
        chart=report(
            runs.METRICS_CHART,
            caption="../report/metrics.rst",
            category="0. The report",
            labels={"picture": "metrics"},
        ),
        curves=report(
            runs.CURVES_CHART,
            caption="../report/curves.rst",
            category="0. The report",
            labels={"picture": "curves"},
        ),
    log:
        runs.log_file("plot_metrics"),
    benchmark:
        runs.benchmark_file("plot_metrics")
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
        document=runs.REPORT,
        page=report(
            runs.REPORT_PAGE,
            caption="../report/report.rst",
            category="0. The report",
            labels={"document": "results/report.md, as one page"},
        ),
    log:
        runs.log_file("report"),
    benchmark:
        runs.benchmark_file("report")
    conda:
        "../../environment.yaml"
    params:
        document="report",
        study=STUDY,
    script:
        "../../scripts/write_document.py"
