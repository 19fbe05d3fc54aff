localrules:
    publish,


# The results page of a finished run (committed to the repository after the study), and the
# README's results table (between its markers; a README without them is left alone):
#   snakemake publish --configfile config/ladder.yaml config/study.yaml config/ablation.yaml --config ...
rule publish:
    input:
        package_modules("write_document.py"),
        **DOCUMENT_INPUTS,
        snapshots=[paths.run_file(run, "snapshots") for run in FIRST_RUNS],
    output:
        document=PAGE,
        details=files.details_page(PAGE),
        pictures=files.page_files(
            EXPERIMENTS, PROBES, PAGE, STUDY["side_runs"], list(ARMS)
        )[2:],
    log:
        paths.log_file("publish"),
    conda:
        "../../environment.yaml"
    params:
        document="page",
        study=STUDY,
        page=plan.page_params(
            RUNS_OF,
            DATASETS,
            run_command(),
            benchmark_patterns(),
            list(ARMS),
            PROBES,
            config["inception_metrics"],
            plan.cuts_left(config["cuts"], list(RUN)),
        ),
    script:
        "../../scripts/write_document.py"
