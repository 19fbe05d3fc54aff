localrules:
    fetch_dataset,
    fetch_inception,


rule fetch_dataset:
    input:
        package_modules("fetch_dataset.py"),
    output:
        **paths.dataset_files("{dataset}"),
    log:
        paths.log_file("fetch_dataset", "{dataset}"),
    benchmark:
        paths.benchmark_file("fetch_dataset", "{dataset}")
    conda:
        "../../environment.yaml"
    params:
        # a data set of your own: its entry under `datasets` (the built-in ones: None)
        source=lambda w: (config.get("datasets") or {}).get(w.dataset),
        mirror=config["mirror"],
        download_dir=config["download_dir"],
    script:
        "../../scripts/fetch_dataset.py"


# The standard FID Inception-v3 weights (torch-fidelity's), for inception_metrics: true.
rule fetch_inception:
    output:
        weights=paths.INCEPTION_WEIGHTS,
    log:
        paths.log_file("fetch_inception"),
    benchmark:
        paths.benchmark_file("fetch_inception")
    conda:
        "../../environment.yaml"
    script:
        "../../scripts/fetch_inception.py"
