rule train_classifier:
    input:
        package_modules("train_classifier.py"),
        **runs.dataset_files("{dataset}"),
    output:
        model=runs.classifier_file("{dataset}", "model"),
        summary=runs.classifier_file("{dataset}", "summary"),
    log:
        runs.log_file("train_classifier", "{dataset}"),
    benchmark:
        runs.benchmark_file("train_classifier", "{dataset}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        settings=lambda w: classifier_settings(w.dataset),
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint=runs.classifier_file("{dataset}", "checkpoint"),
    script:
        "../../scripts/train_classifier.py"


rule evaluate:
    input:
        package_modules("evaluate_experiment.py"),
        model=runs.pattern("model"),
        classifier=classifier_file("model"),
        classifier_summary=classifier_file("summary"),
        images=dataset_file("images"),
        inception=runs.INCEPTION_WEIGHTS if config["inception_metrics"] else [],
    output:
        metrics=runs.pattern("metrics"),
        nearest_images=runs.pattern("nearest_images"),
    log:
        runs.log_file("evaluate", "{run}"),
    benchmark:
        runs.benchmark_file("evaluate", "{run}")
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
        model=runs.pattern("model", run="{exp}"),
        classifier=classifier_file("model"),
    output:
        captions=runs.pattern("captions", run="{exp}"),
    log:
        runs.log_file("captions", "{exp}"),
    benchmark:
        runs.benchmark_file("captions", "{exp}")
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
        snapshots=runs.pattern("snapshots"),
        classifier=classifier_file("model"),
        classifier_summary=classifier_file("summary"),
        images=dataset_file("images"),
    output:
        curve=runs.pattern("curve"),
    log:
        runs.log_file("curve", "{run}"),
    benchmark:
        runs.benchmark_file("curve", "{run}")
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
        model=runs.pattern("model"),
        images=dataset_file("images"),
        manifest=dataset_file("manifest"),
    output:
        cas=runs.pattern("cas"),
    log:
        runs.log_file("cas", "{run}"),
    benchmark:
        runs.benchmark_file("cas", "{run}")
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
        checkpoint=runs.pattern("cas_checkpoint"),
    script:
        "../../scripts/cas_experiment.py"


rule cas_real:
    input:
        package_modules("cas_real.py"),
        **runs.dataset_files("{dataset}"),
    output:
        cas=runs.cas_real_file("{dataset}"),
    log:
        runs.log_file("cas_real", "{dataset}"),
    benchmark:
        runs.benchmark_file("cas_real", "{dataset}")
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    resources:
        gpu=1,
    params:
        classifier=lambda w: classifier_settings(w.dataset),
        cas=experiment_settings.canonical(config["cas"]),
        checkpoint=runs.classifier_file("{dataset}", "cas_real_checkpoint"),
    script:
        "../../scripts/cas_real.py"
