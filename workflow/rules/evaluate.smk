rule train_classifier:
    input:
        package_modules("train_classifier.py"),
        images="resources/datasets/{dataset}.npz",
        manifest="resources/datasets/{dataset}.json",
    output:
        model="results/classifiers/{dataset}.pt",
        summary="results/classifiers/{dataset}.json",
    log:
        "logs/train_classifier/{dataset}.log",
    benchmark:
        "benchmarks/train_classifier/{dataset}.tsv"
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        settings=lambda w: classifier_settings(w.dataset),
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint="results/classifiers/{dataset}.checkpoint.pt",
    script:
        "../../scripts/train_classifier.py"


rule evaluate:
    input:
        package_modules("evaluate_experiment.py"),
        model=runs.pattern("model"),
        classifier=classifier_file(".pt"),
        classifier_summary=classifier_file(".json"),
        images=dataset_file("images"),
    output:
        metrics=runs.pattern("metrics"),
        nearest=report(
            runs.pattern("nearest"),
            caption="../report/nearest.rst",
            category="{run}",
            labels={"experiment": "{run}", "picture": "nearest training image"},
        ),
    log:
        "logs/evaluate/{run}.log",
    benchmark:
        "benchmarks/evaluate/{run}.tsv"
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    params:
        samples_per_class=config["eval_samples_per_class"],
        run=lambda w: RUN[w.run].record(),
    script:
        "../../scripts/evaluate_experiment.py"


rule captions:
    input:
        package_modules("evaluate_captions.py"),
        model=runs.pattern("model", run="{exp}"),
        classifier=classifier_file(".pt"),
    output:
        captions=runs.pattern("captions", run="{exp}"),
    log:
        "logs/captions/{exp}.log",
    benchmark:
        "benchmarks/captions/{exp}.tsv"
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    params:
        heldout=lambda w: after_training(w.exp, "heldout_captions", {}),
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/evaluate_captions.py"
