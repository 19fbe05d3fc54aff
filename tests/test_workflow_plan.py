"""The workflow on fresh copies: dry runs of its presets, configs and files it refuses with
one message, its lock, and its use as a module of another project. The tests of one finished
tiny run are tests/test_workflow.py's."""

import json
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import copy_workflow
from test_workflow import EXPERIMENTS, TINY, planned_jobs, snakemake, write_config


def test_dry_run_of_the_default_config_plans_the_whole_study(workflow_copy):
    assert planned_jobs(workflow_copy) == {
        ("fetch_dataset", None),
        ("fetch_inception", None),  # inception_metrics: true in the default config
        ("train_classifier", None),
        ("cas_real", None),
        *{(rule, exp) for rule in ("train", "sample", "render", "evaluate", "cas", "curve") for exp in EXPERIMENTS},
        ("plot_metrics", None),
        ("report", None),
        ("all", None),
    }
    out = snakemake(workflow_copy, "-n").stdout
    assert re.search(r"fetch_dataset\s+2\b", out) and re.search(r"train\s+5\b", out)
    rulegraph = snakemake(workflow_copy, "--rulegraph").stdout
    for edge in ("fetch_dataset", "train", "train_classifier", "sample", "render", "evaluate", "report"):
        assert edge in rulegraph
    dag = snakemake(workflow_copy, "--dag").stdout
    assert dag.count("[label = ") == 40 and dag.count("dataset: ") == 2
    assert dag.count("train_classifier") == 2
    assert all(f"train\\nrun: {exp}" in dag for exp in EXPERIMENTS)


def test_cpu_preset_is_valid_and_plans_the_same_jobs(workflow_copy):
    jobs = planned_jobs(workflow_copy, "--configfile", "config/quick.yaml")
    assert ("train", "exp4") in jobs and len([j for j in jobs if j[0] == "train"]) == 5


def test_study_preset_plans_the_results_page_with_the_ladder_the_arms_and_the_sweep(workflow_copy):
    jobs = planned_jobs(
        workflow_copy, "publish", "--configfile", "config/ladder.yaml", "config/study.yaml", "config/ablation.yaml"
    )
    ladder = {"exp3_noise", "exp3_acgan", "cgan_cifar10", "exp5_noise", "exp5_acgan", "cgan_mnist", "cgan_text"}
    ablation = yaml.safe_load((workflow_copy / "config" / "ablation.yaml").read_text())
    arms = {exp for roles in ablation["arms"].values() for exp in roles.values()}
    assert arms <= {*EXPERIMENTS, *ladder, *ablation["experiments"]} and "ablations" not in ablation
    # each experiment trains once per seed of its own seeds: the arms five times (MNIST), three (text)
    runs = {
        exp if seed == 0 else f"{exp}/seed{seed}"
        for exp in {*EXPERIMENTS, *ladder, *ablation["experiments"]}
        for seed in ablation["experiments"].get(exp, {}).get("seeds", [0])
    }
    assert {"cgan_mnist_ca/seed4", "cgan_mnist/seed4", "cgan_text_embedding/seed2"} <= runs
    # and the KL sweep trains each augmented MNIST arm once per weight, on its own seed
    sweep = ablation["kl_sweeps"]["mnist"]
    swept = {f"{ablation['arms']['mnist'][role]}_kl{w:g}".replace(".", "p")
             for role in ("distribution", "distribution_noise") for w in sweep["weights"]}
    assert {"cgan_mnist_ca_kl0p02", "cgan_mnist_ca_noise_kl20"} <= swept and len(swept) == 2 * len(sweep["weights"])
    assert {exp for rule, exp in jobs if rule == "train"} == runs | swept
    assert {exp for rule, exp in jobs if rule == "cas"} == runs | swept
    assert ("captions", "cgan_text") in jobs and ("fetch_inception", None) not in jobs
    assert ("publish", None) in jobs and ("report", None) not in jobs and ("plot_arms", None) in jobs
    # every rung of a ladder trains for the same number of steps (its gain is the recipe's)
    study = yaml.safe_load((workflow_copy / "config" / "study.yaml").read_text())["experiments"]
    assert study["exp5"]["epochs"] * 60_000 // 128 == study["cgan_mnist"]["epochs"] * 60_000 // 64
    assert study["exp3"]["epochs"] == study["cgan_cifar10"]["epochs"]


def test_the_ablation_rows_cut_for_the_budget_are_a_preset_of_their_own(workflow_copy):
    jobs = planned_jobs(
        workflow_copy, "publish", "--configfile", "config/ladder.yaml", "config/study.yaml", "config/ablation.yaml",
        "config/ablation_rows.yaml",
    )
    rows = yaml.safe_load((workflow_copy / "config" / "ablation_rows.yaml").read_text())
    assert set(rows["ablations"]["mnist"][3:]) == set(rows["experiments"])  # after the control and two arms
    assert {exp for rule, exp in jobs if rule == "train"} >= set(rows["experiments"])
    assert "abl_mnist_g_ema/seed1" not in {exp for rule, exp in jobs if rule == "train"}  # one run a row


def test_an_invalid_config_is_refused_with_the_key(workflow_copy):
    bad = write_config(workflow_copy / "bad.yaml", {"experiments": {"exp1": {"batch_size": "four"}}})
    result = snakemake(workflow_copy, "-n", "--configfile", str(bad), check=False)
    assert result.returncode != 0
    assert "'four' is not of type 'integer'" in result.stdout + result.stderr
    typo = write_config(workflow_copy / "typo.yaml", {"experiments": {"exp1": {"epoch": 3}}})
    result = snakemake(workflow_copy, "-n", "--configfile", str(typo), check=False)
    assert result.returncode != 0 and "'epoch' was unexpected" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"dataset": "svhn"}, "unknown dataset 'svhn'; known: cifar10, mnist and those defined under the config key"),
        ({"generator": "stylegan"}, "'stylegan' is not one of ['deconv', 'linear_deconv', 'dcgan']"),
        ({"objective": "wasserstein"}, "'wasserstein' is not one of"),
        ({"discriminator": "vit"}, "'vit' is not one of"),
        ({"epochs": 0}, "0 is less than the minimum of 1"),
    ],
)
def test_unknown_names_and_bad_values_in_an_experiment_are_refused(workflow_copy, entry, message):
    bad = write_config(workflow_copy / "bad.yaml", {"experiments": {"exp2": entry}})
    result = snakemake(workflow_copy, "-n", "--configfile", str(bad), check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


@pytest.mark.parametrize(
    "exp, entry, message",
    [
        ("exp4", {"prompts": ["a seven"]}, "error: config: experiments.exp4.prompts needs text "
         "conditioning (the experiment's conditioning is label)"),
        ("exp2", {"morphs": [["cat", "kitten"]]}, "error: config: experiments.exp2 names class "
         "'kitten', which cifar10 lacks; its classes: airplane, "),
        ("exp2", {"conditioning_augmentation": {"kl_weight": -1}}, "-1 is less than the minimum of 0"),
        ("exp2", {"caption_templates": ["a photo"]}, "'a photo' does not match"),
        # A pair of settings that do not go together, refused before any job (embedgan.config.rules).
        ("exp4", {"generator_conditioning": "batchnorm"}, "error: config: experiments.exp4: "
         "generator_conditioning 'batchnorm' needs a generator with BatchNorm layers to condition "
         "(dcgan); generator 'deconv' takes the code at its input"),
    ],
)
def test_bad_options_beyond_the_notebook_are_refused_with_their_key(workflow_copy, exp, entry, message):
    bad = write_config(workflow_copy / "bad.yaml", {"experiments": {exp: entry}})
    result = snakemake(workflow_copy, "-n", "--configfile", str(bad), check=False)
    assert result.returncode != 0 and message in result.stdout + result.stderr


def test_an_experiment_missing_a_required_setting_is_named(workflow_copy):
    config = yaml.safe_load((workflow_copy / "config" / "config.yaml").read_text())
    config["experiments"]["exp6"] = {"dataset": "mnist", "generator": "deconv"}
    path = write_config(workflow_copy / "config" / "config.yaml", config)
    result = snakemake(workflow_copy, "-n", check=False)
    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    assert output.splitlines()[-1] == (
        "error: config: experiments.exp6 lacks objective, batch_size, epochs "
        "(set it there or in experiment_defaults)"
    )
    assert 'File "' not in output  # the one message, no traceback
    assert path.exists()


def test_a_damaged_mirror_file_stops_the_job_with_one_message(workflow_copy, mirror):
    (mirror / "mnist.npz").write_bytes((mirror / "mnist.npz").read_bytes()[:500])
    result = snakemake(
        workflow_copy, "--cores", "1", "resources/datasets/mnist.npz",
        "--config", f"mirror={mirror}", check=False,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    message = f"error: {mirror / 'mnist.npz'}: cannot be read as .npz"
    assert message in output and "Traceback" not in output
    log = (workflow_copy / "logs" / "fetch_dataset" / "mnist.log").read_text()
    assert log.strip().splitlines()[-1].startswith(message) and "Traceback" not in log
    assert not (workflow_copy / "resources" / "datasets" / "mnist.npz").exists()


def test_a_second_run_on_the_same_results_is_refused_while_the_first_runs(workflow_copy, mirror):
    config = write_config(workflow_copy / "tiny.yaml", TINY)
    args = ["results/exp4/model.pt", "--cores", "1", "--configfile", str(config),
            "--config", f"mirror={mirror}"]
    first = subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=workflow_copy,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    locks = workflow_copy / ".snakemake" / "locks"
    deadline = time.monotonic() + 60
    while not (locks.is_dir() and any(locks.iterdir())):
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()[0]
        time.sleep(0.02)
    # Paused while the second starts: it holds the lock however slowly the second starts up.
    first.send_signal(signal.SIGSTOP)
    try:
        second = snakemake(workflow_copy, *args, check=False)
    finally:
        first.send_signal(signal.SIGCONT)
    output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    assert second.returncode != 0
    assert "Directory cannot be locked" in second.stdout + second.stderr
    assert (workflow_copy / "results" / "exp4" / "model.pt").exists()


def test_each_rule_lists_every_package_module_its_script_imports(workflow_copy):
    """Derived from the imports (through each other), so editing any of them reruns the rule."""
    plan = snakemake(workflow_copy, "-n", "--forceall", "results/exp4/model.pt", "results/metrics.png").stdout
    inputs = {
        rule: set(re.findall(r"embedgan/([\w/]+)\.py", block.split("\n    output:")[0]))
        for rule, block in re.findall(r"rule (\w+):\n(.*?)\n\n", plan, re.S)
    }
    packages = {f"{p}/__init__" for p in ("config", "datasets", "machine", "networks", "training")}
    assert inputs["train"] == packages | {
        "__init__", "errors", "runtime", "config/kinds", "config/rules", "config/runs", "config/settings",
        "datasets/custom", "datasets/data", "datasets/images", "machine/devices", "machine/host", "machine/process",
        "networks/conditioners", "networks/discriminators", "networks/generators", "networks/inputs",
        "networks/model_file", "networks/run_networks", "networks/sampling", "networks/text",
        "training/capture", "training/checkpoints", "training/objectives", "training/records", "training/setup",
        "training/train",
    }
    assert {"datasets/images", "documents/render", "documents/tables", "runtime", "errors"} <= inputs["plot_metrics"]
    assert {"evaluation/classifier", "evaluation/metrics", "networks/sampling"} <= inputs["evaluate"]
    # judging imports no training code: editing a training loop reruns no evaluation by itself
    assert not {"training/train", "training/checkpoints", "training/capture"} & inputs["evaluate"]
    # computing imports nothing that shows results or names where files lie: editing those reruns none
    computing = ("fetch_dataset", "train", "train_classifier", "evaluate", "cas", "cas_real", "curve")
    assert set(computing) <= set(inputs)
    for rule in computing:
        assert not {m for m in inputs[rule] if m.startswith("documents/") or m == "config/paths"}, rule


DEPLOYING_SNAKEFILE = """configfile: "config/config.yaml"


module embedgan:
    snakefile:
        "{snakefile}"
    config:
        config


use rule * from embedgan
"""


def test_the_workflow_runs_as_a_module_of_another_project(tmp_path, mirror):
    """Deployed as snakedeploy writes it: another folder, its own config, `use rule *`; with
    two seeds, so the replicates are run too (a run of each seed, and the mean and spread)."""
    source = copy_workflow(tmp_path / "embedgan")
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    (project / "Snakefile").write_text(DEPLOYING_SNAKEFILE.format(snakefile=source / "Snakefile"))
    config = yaml.safe_load((source / "config" / "config.yaml").read_text())
    config.update(
        mirror=str(mirror), train_threads=1, real_rows=2, eval_samples_per_class=2,
        inception_metrics=False, cas={"images_per_class": 2, "epochs": 1, "real_seeds": 1}, seeds=[0, 1],
        classifiers={"mnist": {"epochs": 1, "batch_size": 16, "lr": 3e-3, "seed": 0}},
        experiments={"exp5": {**config["experiments"]["exp5"], "epochs": 1, "batch_size": 32}},
    )
    write_config(project / "config" / "config.yaml", config)
    snakemake(project, "--cores", "2")
    report = (project / "results" / "report.md").read_text()
    assert "## exp5: " in report
    assert (project / "results" / "exp5" / "seed1" / "metrics.json").exists()
    assert json.loads((project / "results" / "exp5" / "seed1" / "history.json").read_text())["run"]["seed"] == 1
    assert re.search(r"## exp5: [^#]*- over 2 seeds \(mean \[95% t interval\]\): accuracy [01]\.\d{3} \[", report)
    metrics = report.split("## Metrics")[1].split("\n## ")[0]
    assert re.search(r"^\| exp5 \| 0 \| 2 \| [01]\.\d{3} \[-?[\d.]+, [\d.]+\] ", metrics, re.M)
    assert not (source / "results").exists()  # every output in the deploying project
    assert "Nothing to be done" in snakemake(project, "-n").stdout
    # Editing the package (in the module's source) reruns the rules that import the module.
    time.sleep(1)
    with open(source / "scripts" / "embedgan" / "evaluation" / "metrics.py", "a") as module:
        module.write("# edited\n")
    assert planned_jobs(project, "-n") == {
        ("evaluate", "exp5"), ("evaluate", "exp5/seed1"), ("curve", "exp5"), ("curve", "exp5/seed1"),
        ("render", "exp5"),  # its nearest-image picture is drawn from the evaluation's nearest.npz
        ("plot_metrics", None), ("report", None), ("all", None)
    }
