"""Checkpoints across devices and speed-ups, RNG states, when checkpoints are written.

Some of these are the GPU path's defects that can be shown without a GPU (tests/test_cuda_path.py
has the device selection and capture ones; tests/test_cuda.py the ones that need a GPU).
"""

import json
import logging
import os
import signal

import pytest
import torch

from embedgan.training import checkpoints
from embedgan.training.train import Preempted, Trainer, train_experiment
from test_train import (  # noqa: F401  (fetched: a fixture)
    CPU,
    assert_same_weights,
    fetched,
    interrupted_run,
    keras_dataset,
    run,
    settings,
    weights,
)


def rewrite(path, change):
    saved = torch.load(path, weights_only=False)
    change(saved)
    torch.save(saved, path)


@pytest.mark.parametrize(
    "part, value, message",
    [
        ("device", "cuda", "written with another device type (device: cuda there, cpu here)"),
        ("speedups", {"flush_denormal": False}, "written with other speed-ups"),
    ],
)
def test_a_checkpoint_of_another_device_or_speedups_is_refused_and_training_starts_afresh(
    tmp_path, fetched, monkeypatch, caplog, part, value, message  # noqa: F811
):
    caplog.set_level(logging.INFO)
    checkpoint = interrupted_run(tmp_path, fetched, monkeypatch, settings())
    rewrite(checkpoint, lambda saved: saved["identity"].update({part: value}))
    restarted = run(tmp_path, fetched, "run", settings())
    assert message in caplog.text and "resumed from" not in caplog.text
    assert_same_weights(weights(restarted), weights(run(tmp_path, fetched, "fresh", settings())))


def test_a_checkpoint_is_read_on_the_cpu(tmp_path, fetched, monkeypatch):  # noqa: F811
    checkpoint = interrupted_run(tmp_path, fetched, monkeypatch, settings())
    seen = []
    original_load = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("map_location"))
        return original_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    identity = torch.load(checkpoint, weights_only=False)["identity"]
    seen.clear()
    state = checkpoints.load(checkpoint, identity)
    assert seen == ["cpu"]
    assert state["rng"]["torch"].device.type == "cpu" and state["rng"]["cuda"] is None
    assert all(s.device.type == "cpu" for s in state["rng"]["generators"])


def test_optimizer_flags_after_loading_are_the_runs_own(mirror):
    dataset = keras_dataset(mirror, "mnist")
    plain = {"fused_optimizer": False}
    trainer = Trainer(settings(), dataset, CPU, plain)
    state = trainer.checkpoint_state()
    for group in state["g_optimizer"]["param_groups"] + state["d_optimizer"]["param_groups"]:
        group.update(foreach=False, fused=True, capturable=True)  # as a GPU run saves them
    resumed = Trainer(settings(), dataset, CPU, plain)
    resumed.resume(state)
    for optimizer in (resumed.g_optimizer, resumed.d_optimizer):
        for group in optimizer.param_groups:
            assert (group["foreach"], group["fused"], group["capturable"]) == (True, None, False)


@pytest.mark.parametrize("noise_dim", [0, 8])
def test_restored_random_states_reproduce_the_uninterrupted_run(tmp_path, fetched, monkeypatch, noise_dim):  # noqa: F811
    """With noise, every step draws from the global RNG: its restored state must be exact."""
    experiment = settings(noise_dim=noise_dim, epochs=3)
    checkpoint = interrupted_run(tmp_path, fetched, monkeypatch, experiment)
    assert checkpoint.exists()
    resumed = run(tmp_path, fetched, "run", experiment)
    assert_same_weights(weights(resumed), weights(run(tmp_path, fetched, "reference", experiment)))


def test_checkpoints_follow_the_clock_and_sigterm_always_saves(tmp_path, fetched, monkeypatch):  # noqa: F811
    """One step takes a second (a fake clock): with 8-step epochs and a 20 s interval a
    checkpoint is written after epochs 3 and 6 only; SIGTERM saves whatever the clock says."""
    now = {"s": 0.0}
    monkeypatch.setattr(checkpoints.time, "monotonic", lambda: now["s"])
    saved_at = []
    original_save, original_step = Trainer.save_checkpoint, Trainer.train_step

    def spy_save(self, *args):
        saved_at.append((self.state.epoch, self.state.batch_index))
        original_save(self, *args)

    def timed_step(self, *args, **kwargs):
        now["s"] += 1
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "save_checkpoint", spy_save)
    monkeypatch.setattr(Trainer, "train_step", timed_step)
    images, manifest = fetched("mnist")
    out = tmp_path / "clock"
    outputs = dict(checkpoint=str(out / "checkpoint.pt"), model_out=str(out / "model.pt"),
                   history_out=str(out / "history.json"), snapshots_out=str(out / "snapshots.npz"))
    train_experiment("clock", settings(epochs=7), str(images), str(manifest), CPU,
                     checkpoint_interval_s=20, **outputs)
    assert saved_at == [(3, 0), (6, 0)]

    saved_at.clear()

    def preempting_step(self, *args, **kwargs):
        if self.state.step == 5:
            os.kill(os.getpid(), signal.SIGTERM)  # as Slurm's notice arrives
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_step", preempting_step)
    with pytest.raises(Preempted, match="SIGTERM at step 6"):
        train_experiment("clock", settings(epochs=7), str(images), str(manifest), CPU,
                         checkpoint_interval_s=10**6, **{**outputs, "checkpoint": str(out / "term.pt")})
    assert saved_at == [(0, 6)] and (out / "term.pt").exists()


@pytest.mark.parametrize("interval_s", [10**6, 12])
def test_wall_time_counts_the_time_after_the_last_checkpoint(tmp_path, fetched, monkeypatch, interval_s):  # noqa: F811
    """Each step takes a second (a fake clock): 24 steps are 24 s, whether the run is shorter
    than the checkpoint interval (no save at all) or saved after epoch 2 (16 s) but not after 3."""
    now = {"s": 0.0}
    monkeypatch.setattr(checkpoints.time, "monotonic", lambda: now["s"])
    monkeypatch.setattr(checkpoints.time, "perf_counter", lambda: now["s"])  # the same module
    original_step = Trainer.train_step

    def timed_step(self, *args, **kwargs):
        now["s"] += 1
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "train_step", timed_step)
    images, manifest = fetched("mnist")
    out = tmp_path / "timed"
    train_experiment("timed", settings(epochs=3), str(images), str(manifest), CPU,
                     checkpoint=str(out / "checkpoint.pt"), model_out=str(out / "model.pt"),
                     history_out=str(out / "history.json"), snapshots_out=str(out / "snapshots.npz"),
                     checkpoint_interval_s=interval_s)
    history = json.loads((out / "history.json").read_text())
    assert history["steps"] == 24 and history["wall_time_s"] == 24.0
