"""Killed training jobs (SIGTERM as Slurm sends it, SIGKILL) resume to the same weights."""

import json
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import REPO, TRAIN_SETTINGS, write_keras_npz

# A training run in its own process, as the workflow's train job is.
DRIVER = """
import json, logging, sys, torch
logging.basicConfig(level=logging.INFO)
from embedgan import data
from embedgan.train import train_experiment
torch.set_num_threads(1)
args = json.loads(sys.argv[1])
data.fetch(args["dataset"], args["images"], args["manifest"], args["mirror"], args["out"])
train_experiment("exp", args["settings"], args["images"], args["manifest"], torch.device(args["device"]),
                 args["checkpoint"], args["model"], args["history"], args["snapshots"])
"""

SETTINGS = {**TRAIN_SETTINGS, "batch_size": 4, "epochs": 6, "seed": 3, "history_points": 4}


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
