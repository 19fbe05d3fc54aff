rule train:
    input:
        package_modules("train_experiment.py"),
        images=lambda w: f"resources/datasets/{dataset_of(w)}.npz",
        manifest=lambda w: f"resources/datasets/{dataset_of(w)}.json",
    output:
        model="results/{run}/model.pt",
        history="results/{run}/history.json",
        snapshots="results/{run}/snapshots.npz",
    log:
        "logs/train/{run}.log",
    benchmark:
        "benchmarks/train/{run}.tsv"
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        settings=lambda w: run_settings(w.run),
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint="results/{run}/checkpoint.pt",
    script:
        "../../scripts/train_experiment.py"


rule sample:
    input:
        package_modules("sample_experiment.py"),
        model="results/{exp}/model.pt",
    output:
        samples="results/{exp}/samples.npz",
    log:
        "logs/sample/{exp}.log",
    benchmark:
        "benchmarks/sample/{exp}.tsv"
    conda:
        "../../environment.yaml"
    threads: 1
    params:
        rows=config["real_rows"],
    script:
        "../../scripts/sample_experiment.py"
