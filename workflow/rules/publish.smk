localrules:
    publish,


# The results page of a finished run (committed to the repository after the study), and the
# README's results table (between its markers; a README without them is left alone):
#   snakemake --configfile config/study.yaml --config ... publish
rule publish:
    input:
        package_modules("publish_results.py"),
        **report_inputs(),
        snapshots=[run.path("snapshots") for run in FIRST_RUNS],
    output:
        page=PAGE,
        pictures=page_files(EXPERIMENTS, PROBES, PAGE)[1:],
    log:
        "logs/publish.log",
    conda:
        "../../environment.yaml"
    params:
        experiments={exp: e.presentation for exp, e in RESOLVED.items()},
        runs=run_records(),
        probes=PROBES,
        noise_pairs=noise_pairs(),
        ladders=ladder_rungs(),
        notebook={exp: notebook_scale(exp) for exp in EXPERIMENTS},
        benchmarks=job_benchmarks(),
        command=run_command(),
        readme="README.md",
    script:
        "../../scripts/publish_results.py"
