rule render:
    input:
        package_modules("render_experiment.py"),
        samples=runs.pattern("samples", run="{exp}"),
        snapshots=runs.pattern("snapshots", run="{exp}"),
        history=runs.pattern("history", run="{exp}"),
        images=dataset_file("images"),
    output:
        fake=report(
            runs.pattern("fake", run="{exp}"),
            caption="../report/fake.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "generated"},
        ),
        real=report(
            runs.pattern("real", run="{exp}"),
            caption="../report/real.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "real"},
        ),
        sheet=report(
            runs.pattern("sheet", run="{exp}"),
            caption="../report/sheet.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "sample sheet"},
        ),
        history=report(
            runs.pattern("history_png", run="{exp}"),
            caption="../report/history.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "generation record"},
        ),
        loss=report(
            runs.pattern("loss_png", run="{exp}"),
            caption="../report/loss.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "losses"},
        ),
    log:
        runs.log_file("render", "{exp}"),
    benchmark:
        runs.benchmark_file("render", "{exp}")
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
        model=runs.pattern("model", run="{exp}"),
    output:
        morph=report(
            runs.pattern("morph", run="{exp}"),
            caption="../report/morph.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "morphs"},
        ),
    log:
        runs.log_file("morph", "{exp}"),
    benchmark:
        runs.benchmark_file("morph", "{exp}")
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
        model=runs.pattern("model", run="{exp}"),
        classifier=classifier_file("model"),
    output:
        prompts=report(
            runs.pattern("prompts", run="{exp}"),
            caption="../report/prompts.rst",
            category=report_group,
            subcategory="{exp}",
            labels={"experiment": "{exp}", "picture": "prompts"},
        ),
    log:
        runs.log_file("prompts", "{exp}"),
    benchmark:
        runs.benchmark_file("prompts", "{exp}")
    conda:
        "../../environment.yaml"
    resources:
        gpu=1,
    params:
        prompts=lambda w: after_training(w.exp, "prompts", []),
        run=lambda w: RUN[w.exp].record(),
    script:
        "../../scripts/render_prompts.py"
