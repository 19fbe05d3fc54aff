"""scripts/gpu_check.py, as far as a CPU can run it: its plan is complete, its bundle is small
enough to travel and holds what the check reads, its training step runs, and `run` goes on
past a failed stage and writes what it has after each."""

import json
import sys

import numpy as np
import torch
import yaml

import gpu_check
from conftest import REPO, write_keras_npz
from embedgan.networks.text import load_bert


def test_the_plan_runs_the_cuda_tests_the_workflow_every_experiment_and_the_benchmark(tmp_path):
    stages = gpu_check.plan(tmp_path, "python")
    steps = {what: argv for what, argv, _ in stages}
    assert list(steps) == ["CUDA tests", "workflow", "training", "benchmark"]
    assert {"tests/test_cuda.py", "tests/test_emulated_device.py"} <= set(steps["CUDA tests"])
    assert steps["workflow"][-3:] == ["workflow", "--bundle", str(tmp_path)]
    assert sum(limit for _, _, limit in stages) <= 6 * 60  # about 5 minutes, each stage bounded
    every = set()
    for path in ("config/config.yaml", "config/ladder.yaml"):
        every |= set(yaml.safe_load((REPO / path).read_text())["experiments"])
    assert {"exp1", "exp5", "cgan_mnist", "cgan_cifar10", "cgan_text"} <= every
    for what in ("benchmark", "training"):
        argv = steps[what]
        named = argv[argv.index("--experiments") + 1 :]
        named = named[: next((i for i, a in enumerate(named) if a.startswith("--")), len(named))]
        assert set(named) == every, what
    benchmark = steps["benchmark"]
    assert benchmark[benchmark.index("--device") + 1] == "cuda"
    assert benchmark[benchmark.index("--mirror") + 1] == str(tmp_path / "data")
    assert benchmark[benchmark.index("--text-encoder") + 1] == str(tmp_path / "encoder")


def test_the_bundle_travels_and_a_training_job_runs_on_it(tmp_path):
    mirror = tmp_path / "mirror"
    write_keras_npz(mirror / "mnist.npz", "mnist", train_per_class=60, test_per_class=10)
    write_keras_npz(mirror / "cifar10.npz", "cifar10", train_per_class=60, test_per_class=10)
    bundle = tmp_path / "bundle"
    gpu_check.pack(bundle, mirror)
    size = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file())
    assert size < 56 * 2**20, f"{size / 2**20:.1f} MiB leaves too little of 64 MiB for the repository"
    with np.load(bundle / "data" / "mnist.npz") as mnist:
        assert mnist["x_train"].shape == (600, 28, 28) and np.bincount(mnist["y_train"]).tolist() == [60] * 10
    with np.load(bundle / "data" / "cifar10.npz") as cifar:
        assert cifar["x_train"].shape == (600, 32, 32, 3) and len(cifar["y_test"]) == 100
    # The encoder travels in float16 and is read back in float32, as the text experiments read it.
    tokenizer, bert = load_bert(str(bundle / "encoder"))
    assert {p.dtype for p in bert.parameters()} == {torch.float32} and bert.config.hidden_size == 384
    assert tokenizer("a photo of a cat")["input_ids"][0] == tokenizer.cls_token_id
    benchmarks = tmp_path / "benchmarks.md"
    rows = gpu_check.train(bundle, steps=3, names=["exp5"], device_name="cpu", benchmarks=benchmarks)
    assert [row["experiment"] for row in rows] == ["exp5"] and rows[0]["finite"] and rows[0]["steps"] >= 3
    assert "| exp5 | 128 |" in gpu_check.training_section(rows, 3) and "| exp5 | 128 |" in benchmarks.read_text()


def test_run_goes_on_past_a_failed_stage_and_writes_what_it_has_after_each(tmp_path, monkeypatch, capsys):
    stages = [
        ("fails", [sys.executable, "-c", "import sys; print('broken'); sys.exit(1)"], 30),
        ("too slow", [sys.executable, "-c", "import time; time.sleep(30)"], 1),
        ("cannot run here", [sys.executable, "-c", f"import sys; sys.exit({gpu_check.SKIPPED})"], 30),
        ("passes", [sys.executable, "-c", "print('fine')"], 30),
    ]
    monkeypatch.setattr(gpu_check, "plan", lambda bundle: stages)
    monkeypatch.setattr(gpu_check, "versions", lambda: {"torch": "x", "driver": "y", "gpu_usable": True})
    monkeypatch.setenv("OUT", str(tmp_path / "out"))
    assert gpu_check.run(tmp_path / "bundle") == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == '== versions: {"torch": "x", "driver": "y", "gpu_usable": true}'
    results = json.loads((tmp_path / "out" / "gpu_check.json").read_text())
    assert [(s["stage"], s["status"]) for s in results["stages"]] == [
        ("fails", "FAILED"), ("too slow", "stopped at its limit of 1 s"),
        ("cannot run here", "skipped (its log says why)"), ("passes", "passed"),
    ]
    log = (tmp_path / "out" / "gpu_check.log").read_text()
    assert "broken" in log and "fine" in log
    assert "| passes | passed | 0 |" in (tmp_path / "out" / "gpu_check.md").read_text()


def test_the_workflow_stage_config_is_a_valid_config():
    from embedgan.config.settings import load_config

    config = load_config(overrides=gpu_check.TINY_WORKFLOW)
    assert config["device"] == "cuda" and set(config["experiments"]) >= {"exp1", "exp2", "exp3", "exp4", "exp5"}


def test_without_a_gpu_the_check_runs_nothing_and_reports_no_pass(tmp_path, monkeypatch, capsys):
    """Every CUDA test would skip on a machine without a GPU: "CUDA tests: passed" would lie."""
    ran = []
    monkeypatch.setattr(gpu_check, "plan", lambda bundle: [("passes", [sys.executable, "-c", "print(1)"], 30)])
    monkeypatch.setattr(gpu_check, "run_stage", lambda *args: ran.append(args) or ("passed", 0))
    monkeypatch.setattr(gpu_check, "versions", lambda: {"torch": "x", "gpu_usable": False})
    monkeypatch.setenv("OUT", str(tmp_path / "out"))
    assert gpu_check.run(tmp_path / "bundle") == 1 and ran == []
    assert "reports no pass" in capsys.readouterr().out
    assert json.loads((tmp_path / "out" / "gpu_check.json").read_text())["stages"] == []
