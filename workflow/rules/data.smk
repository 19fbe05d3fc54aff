localrules:
    fetch_dataset,


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
