localrules:
    fetch_dataset,
    fetch_inception,


rule fetch_dataset:
    input:
        package_modules("fetch_dataset.py"),
    output:
        **runs.dataset_files("{dataset}"),
    log:
        "logs/fetch_dataset/{dataset}.log",
    benchmark:
        "benchmarks/fetch_dataset/{dataset}.tsv"
    conda:
        "../../environment.yaml"
    params:
        mirror=config["mirror"],
        download_dir=config["download_dir"],
    script:
        "../../scripts/fetch_dataset.py"


# The standard FID Inception-v3 weights (torch-fidelity's), for inception_metrics: true.
rule fetch_inception:
    output:
        weights=INCEPTION_WEIGHTS,
    log:
        "logs/fetch_inception.log",
    conda:
        "../../environment.yaml"
    script:
        "../../scripts/fetch_inception.py"
