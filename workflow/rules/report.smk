rule plot_metrics:
    input:
        package_modules("plot_metrics.py"),
        # the judgements of every run the documents read (documents.plan.document_inputs)
        **{
            key: DOCUMENT_INPUTS[key]
            for key in ("metrics", "judged_apart", "curves", "cas_real", "classifiers")
        },
    output:
        chart=report(
            files.METRICS_CHART,
            caption="../report/metrics.rst",
            category="0. The report",
            labels={"picture": "metrics"},
        ),
        curves=report(
            files.CURVES_CHART,
            caption="../report/curves.rst",
            category="0. The report",
            labels={"picture": "curves"},
        ),
    log:
        paths.log_file("plot_metrics"),
    benchmark:
        paths.benchmark_file("plot_metrics")
    conda:
        "../../environment.yaml"
    params:
        runs=STUDY["runs"],
        probes=PROBES,
        study={key: STUDY[key] for key in ("ladders", "arms", "ablations")},
    script:
        "../../scripts/plot_metrics.py"


# A set of arms side by side (config `arms`): the sample sheet of each arm's first run; and its
# trade-off: class fidelity against variety within a class, each arm's seeds and its KL sweep.
rule plot_arms:
    input:
        package_modules("plot_arms.py"),
        sheets=lambda w: [
            files.picture("sheet", exp, exp) for exp in ARMS[w.arms].values()
        ],
        metrics=lambda w: [
            paths.run_file(run, "metrics")
            for exp in tradeoff_experiments(w.arms)
            for run in RUNS_OF[exp]
        ],
        classifier=lambda w: paths.classifier_file(
            RESOLVED[next(iter(ARMS[w.arms].values()))].settings.dataset, "summary"
        ),
    output:
        figure=report(
            files.ARMS_FIGURE,
            caption="../report/arms.rst",
            category="0. The report",
            labels={"picture": "arms {arms}"},
        ),
        tradeoff=report(
            files.TRADEOFF_FIGURE,
            caption="../report/tradeoff.rst",
            category="0. The report",
            labels={"picture": "trade-off {arms}"},
        ),
    log:
        paths.log_file("plot_arms", "{arms}"),
    benchmark:
        paths.benchmark_file("plot_arms", "{arms}")
    conda:
        "../../environment.yaml"
    params:
        roles=lambda w: ARMS[w.arms],
        sweep=lambda w: STUDY["kl_sweeps"].get(w.arms, {}),
        runs=lambda w: {
            exp: [run.record() for run in RUNS_OF[exp]]
            for exp in tradeoff_experiments(w.arms)
        },
    script:
        "../../scripts/plot_arms.py"


rule report:
    input:
        package_modules("write_document.py"),
        **DOCUMENT_INPUTS,
    output:
        document=files.REPORT,
        page=report(
            files.REPORT_PAGE,
            caption="../report/report.rst",
            category="0. The report",
            labels={"document": "results/report.md, as one page"},
        ),
    log:
        paths.log_file("report"),
    benchmark:
        paths.benchmark_file("report")
    conda:
        "../../environment.yaml"
    params:
        document="report",
        study=STUDY,
    script:
        "../../scripts/write_document.py"
