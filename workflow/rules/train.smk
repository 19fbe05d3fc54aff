rule train:
    input:
        package_modules(
            "data", "images", "models", "objectives", "runtime", "text", "train"
        ),
        images=lambda w: f"resources/datasets/{dataset_of(w)}.npz",
        manifest=lambda w: f"resources/datasets/{dataset_of(w)}.json",
    output:
        model="results/{exp}/model.pt",
        history="results/{exp}/history.json",
        snapshots="results/{exp}/snapshots.npz",
    log:
        "logs/train/{exp}.log",
    benchmark:
        "benchmarks/train/{exp}.tsv"
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        settings=lambda w: training_settings(w.exp),
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint="results/{exp}/checkpoint.pt",
    script:
        "../../scripts/train_experiment.py"


rule sample:
    input:
        package_modules("images", "models", "runtime", "sampling"),
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
