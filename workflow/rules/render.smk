rule render:
    input:
        package_modules("render_experiment.py"),
        samples="results/{exp}/samples.npz",
        snapshots="results/{exp}/snapshots.npz",
        history="results/{exp}/history.json",
        images=lambda w: f"resources/datasets/{dataset_of(w)}.npz",
    output:
        fake=report(
            "results/{exp}/{exp}_fake.png",
            caption="../report/fake.rst",
            category="{exp}",
            labels={"experiment": "{exp}", "picture": "generated"},
        ),
        real=report(
            "results/{exp}/{exp}_real.png",
            caption="../report/real.rst",
            category="{exp}",
            labels={"experiment": "{exp}", "picture": "real"},
        ),
        history=report(
            "results/{exp}/{exp}.png",
            caption="../report/history.rst",
            category="{exp}",
            labels={"experiment": "{exp}", "picture": "generation record"},
        ),
        loss=report(
            "results/{exp}/{exp}_loss.png",
            caption="../report/loss.rst",
            category="{exp}",
            labels={"experiment": "{exp}", "picture": "losses"},
        ),
    log:
        "logs/render/{exp}.log",
    benchmark:
        "benchmarks/render/{exp}.tsv"
    conda:
        "../../environment.yaml"
    params:
        real_rows=config["real_rows"],
    script:
        "../../scripts/render_experiment.py"
