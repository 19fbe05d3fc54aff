localrules:
    publish,


def benchmark_patterns():
    """Each rule's benchmark pattern, as the workflow defines it (the wall-time table's jobs):
    the rules defined before this file is included, which is every rule with a benchmark.
    """
    return [
        strip_wildcard_constraints(str(rule.benchmark))
        for rule in workflow.rules
        if rule.benchmark
    ]


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
        details=files.details_page(PAGE),
        pictures=files.page_files(
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
            RUNS_OF, DATASETS, run_command(), benchmark_patterns(), list(ARMS)
        ),
    script:
        "../../scripts/write_document.py"
