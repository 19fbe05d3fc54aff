localrules:
    publish,


# The results page of a finished run (committed to the repository after the study):
#   snakemake --configfile config/study.yaml --config ... publish
rule publish:
    input:
        package_modules("publish_results.py"),
        **report_inputs(),
    output:
        page="docs/results.md",
        pictures=page_pictures(EXPERIMENTS, "docs/results"),
    log:
        "logs/publish.log",
    conda:
        "../../environment.yaml"
    params:
        experiments={exp: presentation(exp) for exp in EXPERIMENTS},
        runs=run_records(),
        probes={exp: probes_of(exp) for exp in EXPERIMENTS},
        noise_pairs=noise_pairs(),
        notebook={exp: notebook_scale(exp) for exp in EXPERIMENTS},
        benchmarks=job_benchmarks(),
        command=run_command(),
    script:
        "../../scripts/publish_results.py"
