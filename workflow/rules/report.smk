rule report:
    input:
        package_modules("report", "runtime"),
        histories=experiment_outputs("results/{exp}/history.json"),
        manifests=[
            f"resources/datasets/{merged_experiment(exp)['dataset']}.json"
            for exp in EXPERIMENTS
        ],
        fakes=experiment_outputs("results/{exp}/{exp}_fake.png"),
        reals=experiment_outputs("results/{exp}/{exp}_real.png"),
        history_pngs=experiment_outputs("results/{exp}/{exp}.png"),
        loss_pngs=experiment_outputs("results/{exp}/{exp}_loss.png"),
    output:
        report="results/report.md",
    log:
        "logs/report.log",
    benchmark:
        "benchmarks/report.tsv"
    conda:
        "../../environment.yaml"
    params:
        experiments={exp: presentation(exp) for exp in EXPERIMENTS},
    script:
        "../../scripts/write_report.py"
