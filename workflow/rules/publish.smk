localrules:
    publish,


# The results page of a finished run (committed to the repository after the study), and the
# README's results table (between its markers; a README without them is left alone):
#   snakemake --configfile config/study.yaml --config ... publish
rule publish:
    input:
        package_modules("write_document.py"),
        **DOCUMENT_INPUTS,
        snapshots=[run.path("snapshots") for run in FIRST_RUNS],
    output:
        document=PAGE,
        details=runs.details_page(PAGE),
        pictures=runs.page_files(
            EXPERIMENTS, PROBES, PAGE, STUDY["side_runs"], list(ARMS)
        )[2:],
    log:
        runs.log_file("publish"),
    conda:
        "../../environment.yaml"
    params:
        document="page",
        study=STUDY,
        page=plan.page_params(
            RUNS_OF,
            DATASETS,
            run_command(),
            PROBES,
            config["inception_metrics"],
            list(ARMS),
        ),
    script:
        "../../scripts/write_document.py"
