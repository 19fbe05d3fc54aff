rule train:
    input:
        package_modules("train_experiment.py"),
        images=dataset_file("images"),
        manifest=dataset_file("manifest"),
    output:
        model=paths.pattern("model"),
        history=paths.pattern("history"),
        snapshots=paths.pattern("snapshots"),
    log:
        paths.log_file("train", "{run}"),
    benchmark:
        paths.benchmark_file("train", "{run}")
    # The longest trainings first, before any evaluation (embedgan.config.scheduling.training_priority).
    priority: training_priority
    conda:
        "../../environment.yaml"
    threads: config["train_threads"]
    # Every job that computes on the config's device holds a GPU: --resources gpu=N runs N at
    # once, each on a GPU of its own (embedgan.machine.devices); on a cluster each asks for one.
    resources:
        gpu=1,
    params:
        settings=lambda w: run_settings(w.run),
        # Another precision trains another model (the speed-ups change only the last bits).
        precision=config["precision"],
        # Outside the declared outputs: a failed or killed job keeps its checkpoint.
        checkpoint=paths.pattern("checkpoint"),
    script:
        "../../scripts/train_experiment.py"


rule sample:
    input:
        package_modules("sample_experiment.py"),
        model=paths.pattern("model", run="{exp}"),
    output:
        samples=paths.pattern("samples", run="{exp}"),
    log:
        paths.log_file("sample", "{exp}"),
    benchmark:
        paths.benchmark_file("sample", "{exp}")
    conda:
        "../../environment.yaml"
    threads: 1
    resources:
        gpu=1,
    params:
        # Enough draws for the picture and for the sample sheet.
        rows=max(config["real_rows"], files.SHEET_ROWS),
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/sample_experiment.py"
