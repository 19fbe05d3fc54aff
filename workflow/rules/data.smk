localrules:
    fetch_dataset,


rule fetch_dataset:
    output:
        images="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.json",
    input:
        package_modules("data", "runtime"),
    params:
        mirror=config["mirror"],
        download_dir=config["download_dir"],
    log:
        "logs/fetch_dataset/{dataset}.log",
    script:
        "../../scripts/fetch_dataset.py"
