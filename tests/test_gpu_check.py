"""scripts/gpu_check.py, as far as a CPU can run it: its plan is complete, its bundle is small
enough to travel and holds what the check reads, and its training step runs."""


import numpy as np
import torch
import yaml

import gpu_check
from conftest import REPO, write_keras_npz
from embedgan.text import load_bert


def test_the_plan_runs_the_cuda_tests_the_benchmark_and_every_experiment(tmp_path):
    steps = dict(gpu_check.plan(tmp_path, "python"))
    assert list(steps) == ["CUDA tests", "benchmark", "training"]
    assert "tests/test_cuda.py" in steps["CUDA tests"] and steps["CUDA tests"][-2:] == ["-m", "cuda"]
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
    rows = gpu_check.train(bundle, steps=3, names=["exp5"], device_name="cpu")
    assert [row["experiment"] for row in rows] == ["exp5"] and rows[0]["finite"] and rows[0]["steps"] >= 3
    assert "| exp5 | 128 |" in gpu_check.training_section(rows, 3)
