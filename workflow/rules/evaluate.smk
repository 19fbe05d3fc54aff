rule train_classifier:
    input:
        package_modules("train_classifier.py"),
        **paths.dataset_files("{dataset}"),
    output:
        model=paths.classifier_file("{dataset}", "model"),
        summary=paths.classifier_file("{dataset}", "summary"),
    log:
        paths.log_file("train_classifier", "{dataset}"),
    benchmark:
        paths.benchmark_file("train_classifier", "{dataset}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        settings=lambda w: classifier_settings(w.dataset),
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint=paths.classifier_file("{dataset}", "checkpoint"),
    script:
        "../../scripts/train_classifier.py"


rule evaluate:
    input:
        package_modules("evaluate_experiment.py"),
        model=paths.pattern("model"),
        classifier=classifier_file("model"),
        classifier_summary=classifier_file("summary"),
        images=dataset_file("images"),
        inception=paths.INCEPTION_WEIGHTS if config["inception_metrics"] else [],
    output:
        metrics=paths.pattern("metrics"),
        nearest_images=paths.pattern("nearest_images"),
    log:
        paths.log_file("evaluate", "{run}"),
    benchmark:
        paths.benchmark_file("evaluate", "{run}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        samples_per_class=config["eval_samples_per_class"],
        run=lambda w: RUN[w.run].record(),
        inception=config["inception_metrics"],
    script:
        "../../scripts/evaluate_experiment.py"


rule captions:
    input:
        package_modules("evaluate_captions.py"),
        model=paths.pattern("model", run="{exp}"),
        classifier=classifier_file("model"),
    output:
        captions=paths.pattern("captions", run="{exp}"),
    log:
        paths.log_file("captions", "{exp}"),
    benchmark:
        paths.benchmark_file("captions", "{exp}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        heldout=lambda w: after_training(w.exp, "heldout_captions", {}),
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/evaluate_captions.py"


# A run's curve: accuracy, per-class recall, Frechet distance and recall at each point of its
# generation record, and whether it converged (a trend test).
rule curve:
    input:
        package_modules("judge_curve.py"),
        snapshots=paths.pattern("snapshots"),
        classifier=classifier_file("model"),
        classifier_summary=classifier_file("summary"),
        images=dataset_file("images"),
    output:
        curve=paths.pattern("curve"),
    log:
        paths.log_file("curve", "{run}"),
    benchmark:
        paths.benchmark_file("curve", "{run}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        run=lambda w: RUN[w.run].record(),
        # at most as many images per class as the final evaluation judges (the FD's fair reference)
        samples_per_class=config["eval_samples_per_class"],
    script:
        "../../scripts/judge_curve.py"


# The classification accuracy score: a classifier trained on a run's generated images, scored on
# real test images; beside it the same training on real training images (cas_real).
rule cas:
    input:
        package_modules("cas_experiment.py"),
        model=paths.pattern("model"),
        images=dataset_file("images"),
        manifest=dataset_file("manifest"),
    output:
        cas=paths.pattern("cas"),
    log:
        paths.log_file("cas", "{run}"),
    benchmark:
        paths.benchmark_file("cas", "{run}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        run=lambda w: RUN[w.run].record(),
        classifier=lambda w: classifier_settings(dataset_of(w)),
        cas=experiment_settings.canonical(config["cas"]),
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint=paths.pattern("cas_checkpoint"),
    script:
        "../../scripts/cas_experiment.py"


rule cas_real:
    input:
        package_modules("cas_real.py"),
        **paths.dataset_files("{dataset}"),
    output:
        cas=paths.cas_real_file("{dataset}"),
    log:
        paths.log_file("cas_real", "{dataset}"),
    benchmark:
        paths.benchmark_file("cas_real", "{dataset}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        classifier=lambda w: classifier_settings(w.dataset),
        cas=experiment_settings.canonical(config["cas"]),
        checkpoint=paths.classifier_file("{dataset}", "cas_real_checkpoint"),
    script:
        "../../scripts/cas_real.py"
