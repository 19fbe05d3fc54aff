rule render:
    input:
        package_modules("render_experiment.py"),
        samples=paths.pattern("samples", run="{exp}"),
        snapshots=paths.pattern("snapshots", run="{exp}"),
        history=paths.pattern("history", run="{exp}"),
        nearest=paths.pattern("nearest_images", run="{exp}"),
        images=dataset_file("images"),
    output:
        fake=report(
            files.picture("fake"),
            caption="../report/fake.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "generated"},
        ),
        real=report(
            files.picture("real"),
            caption="../report/real.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "real"},
        ),
        sheet=report(
            files.picture("sheet"),
            caption="../report/sheet.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "sample sheet"},
        ),
        history=report(
            files.picture("history_png"),
            caption="../report/history.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "generation record"},
        ),
        loss=report(
            files.picture("loss_png"),
            caption="../report/loss.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "losses"},
        ),
        nearest=report(
            files.picture("nearest"),
            caption="../report/nearest.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "nearest training image"},
        ),
    log:
        paths.log_file("render", "{exp}"),
    benchmark:
        paths.benchmark_file("render", "{exp}")
    conda:
        "../../environment.yaml"
    params:
        real_rows=config["real_rows"],
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/render_experiment.py"


rule morph:
    input:
        package_modules("render_morph.py"),
        model=paths.pattern("model", run="{exp}"),
    output:
        morph=report(
            files.picture("morph"),
            caption="../report/morph.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "morphs"},
        ),
    log:
        paths.log_file("morph", "{exp}"),
    benchmark:
        paths.benchmark_file("morph", "{exp}")
    conda:
        "../../environment.yaml"
    resources:
        gpu=1,
    params:
        morphs=lambda w: after_training(w.exp, "morphs", []),
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/render_morph.py"


rule prompts:
    input:
        package_modules("render_prompts.py"),
        model=paths.pattern("model", run="{exp}"),
        classifier=classifier_file("model"),
    output:
        prompts=report(
            files.picture("prompts"),
            caption="../report/prompts.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "prompts"},
        ),
    log:
        paths.log_file("prompts", "{exp}"),
    benchmark:
        paths.benchmark_file("prompts", "{exp}")
    conda:
        "../../environment.yaml"
    resources:
        gpu=1,
    params:
        prompts=lambda w: after_training(w.exp, "prompts", []),
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/render_prompts.py"
