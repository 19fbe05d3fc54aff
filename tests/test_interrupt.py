"""Killed training jobs (SIGTERM as Slurm sends it, SIGKILL, Ctrl-C) resume where they stopped."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
import yaml

from conftest import REPO, TRAIN_SETTINGS, copy_workflow, write_keras_npz

# A training run in its own process, as the workflow's train job is.
DRIVER = """
import json, logging, sys, torch
logging.basicConfig(level=logging.INFO)
from embedgan.datasets import data
from embedgan.training.train import train_experiment
torch.set_num_threads(1)
args = json.loads(sys.argv[1])
data.fetch(args["dataset"], data.DATASETS[args["dataset"]], args["images"], args["manifest"], args["mirror"], args["out"])
train_experiment("exp", args["settings"], args["images"], args["manifest"], torch.device(args["device"]),
                 args["checkpoint"], args["model"], args["history"], args["snapshots"])
"""

SETTINGS = {**TRAIN_SETTINGS, "batch_size": 4, "epochs": 4, "seed": 3, "history_points": 4}


def start(tmp_path, mirror, tag, device="cpu"):
    out = tmp_path / tag
    args = {
        "device": device,
        "dataset": "mnist",
        "mirror": str(mirror),
        "out": str(out),
        "images": str(out / "mnist.npz"),
        "manifest": str(out / "mnist.json"),
        "settings": SETTINGS,
        "checkpoint": str(out / "checkpoint.pt"),
        "model": str(out / "model.pt"),
        "history": str(out / "history.json"),
        "snapshots": str(out / "snapshots.npz"),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", DRIVER, json.dumps(args)],
        cwd=REPO / "scripts",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, out


def finish(process):
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout + stderr


def networks(out):
    return torch.load(out / "model.pt", weights_only=False)["networks"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run both interrupted runs must end equal to."""
    root = tmp_path_factory.mktemp("reference")
    mirror = write_keras_npz(root / "mirror" / "mnist.npz", "mnist").parent
    process, out = start(root, mirror, "reference")
    code, output = finish(process)
    assert code == 0, output
    return networks(out), json.loads((out / "history.json").read_text())["loss"]


def interrupt_after_first_checkpoint(tmp_path, mirror, sig, device="cpu"):
    process, out = start(tmp_path, mirror, "interrupted", device)
    deadline = time.monotonic() + 120
    while not (out / "checkpoint.pt").exists():
        assert process.poll() is None, finish(process)[1]
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.01)
    time.sleep(0.2)  # into the second epoch
    process.send_signal(sig)
    code, output = finish(process)
    assert code != 0, "an interrupted run must not exit successfully"
    assert not (out / "model.pt").exists()
    return out, output


def resume(tmp_path, mirror, device="cpu"):
    process, out = start(tmp_path, mirror, "interrupted", device)
    code, output = finish(process)
    assert code == 0, output
    assert "resumed from" in output
    assert not (out / "checkpoint.pt").exists()
    return out, output


def assert_same(reference, out):
    weights, losses = reference
    resumed = networks(out)
    for net in weights:
        for name, tensor in weights[net].items():
            torch.testing.assert_close(resumed[net][name], tensor, rtol=0, atol=0, msg=f"{net}.{name}")
    assert json.loads((out / "history.json").read_text())["loss"] == losses


def test_sigterm_saves_a_mid_epoch_checkpoint_exits_nonzero_and_resumes(tmp_path, mirror, reference):
    out, output = interrupt_after_first_checkpoint(tmp_path, mirror, signal.SIGTERM)
    assert "Preempted: SIGTERM at step" in output
    saved = torch.load(out / "checkpoint.pt", weights_only=False)["state"]
    assert saved["batch_index"] > 0, "the SIGTERM checkpoint should be mid-epoch"
    assert saved["step"] == saved["epoch"] * 30 + saved["batch_index"]  # 120 images, batch 4
    out, output = resume(tmp_path, mirror)
    assert f"step {saved['step']}" in output
    assert_same(reference, out)


def test_sigkill_resumes_from_the_last_epoch_checkpoint(tmp_path, mirror, reference):
    out, _ = interrupt_after_first_checkpoint(tmp_path, mirror, signal.SIGKILL)
    saved = torch.load(out / "checkpoint.pt", weights_only=False)["state"]
    assert saved["epoch"] >= 1 and saved["batch_index"] == 0 and saved["epoch_order"] is None
    out, _ = resume(tmp_path, mirror)
    assert_same(reference, out)


# Ctrl-C at a terminal: SIGINT to Snakemake's whole process group, its training job included.
EPOCHS, STEPS_PER_EPOCH = 12, 4  # 120 images in batches of 32
CTRL_C_CONFIG = {"train_threads": 1, "experiments": {"exp5": {"epochs": EPOCHS, "batch_size": 32}}}


def snakemake_job(workdir, config):
    """`snakemake results/exp5/model.pt` in a process group of its own, as a shell starts it
    (SIGINT at its default, even where the test runner ignores it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "results/exp5/model.pt", "--cores", "1",
         "--configfile", str(config), "--config", f"mirror={config.parent / 'mirror'}"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_ctrl_c_saves_a_checkpoint_and_the_same_command_resumes(tmp_path):
    write_keras_npz(tmp_path / "mirror" / "mnist.npz", "mnist")
    workdir = copy_workflow(tmp_path / "workflow")
    config = tmp_path / "ctrl_c.yaml"
    config.write_text(yaml.safe_dump(CTRL_C_CONFIG))
    log = workdir / "logs" / "train" / "exp5.log"

    process = snakemake_job(workdir, config)
    deadline = time.monotonic() + 120
    while f"epoch 3/{EPOCHS} done" not in (log.read_text() if log.exists() else ""):
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "training did not reach epoch 3 within 120 s"
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    assert process.returncode != 0, output
    assert "error: SIGINT at step" in log.read_text()
    checkpoint = workdir / "results" / "exp5" / "checkpoint.pt"
    saved = torch.load(checkpoint, weights_only=False)["state"]
    assert saved["step"] >= 3 * STEPS_PER_EPOCH, "the checkpoint must hold the steps done before Ctrl-C"
    assert not (workdir / "results" / "exp5" / "model.pt").exists()

    rerun = snakemake_job(workdir, config)
    output = rerun.communicate(timeout=300)[0]
    assert rerun.returncode == 0, output
    resumed = log.read_text()
    assert f"resumed from results/exp5/checkpoint.pt at epoch {saved['epoch']}, step {saved['step']}" in resumed
    # The rerun trains only what was left: its first finished epoch is the one after the save.
    assert re.search(rf"epoch (\d+)/{EPOCHS} done", resumed).group(1) == str(saved["epoch"] + 1)
    history = json.loads((workdir / "results" / "exp5" / "history.json").read_text())
    # An uninterrupted run's step count, each step logged once (48 steps: a row per step).
    assert history["steps"] == EPOCHS * STEPS_PER_EPOCH
    assert [row["step"] for row in history["loss"]] == list(range(1, history["steps"] + 1))
    assert not checkpoint.exists()
