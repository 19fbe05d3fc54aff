"""Checkpoints across devices and speed-ups, RNG states, device choice, the capture fallback.

These are the GPU path's defects that can be shown without a GPU; tests/test_cuda.py has the
ones that need one.
"""

import functools
import logging

import pytest
import torch

from conftest import TRAIN_SETTINGS
from embedgan import checkpoints
from embedgan.capture import GraphedStep
from embedgan.errors import DeviceError
from embedgan.runtime import select_device
from embedgan.train import Trainer
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
    trainer = Trainer(settings(), dataset, CPU)
    state = trainer.state()
    for group in state["g_optimizer"]["param_groups"] + state["d_optimizer"]["param_groups"]:
        group.update(foreach=False, fused=True, capturable=True)  # as a GPU run saves them
    resumed = Trainer(settings(), dataset, CPU)
    resumed.load_state(state)
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


def test_a_cuda_index_beyond_the_device_count_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    with pytest.raises(DeviceError, match=r"'cuda:2' but this job sees 2 CUDA GPU\(s\), cuda:0 to cuda:1"):
        select_device("cuda:2")


def test_a_failed_capture_leaves_the_discriminator_trainable_and_training_goes_on(mirror, monkeypatch, caplog):
    """Capture fails inside the generator step, while the discriminator is frozen: the eager
    steps after it must still train the discriminator."""
    trainer = Trainer(settings(), keras_dataset(mirror, "mnist"), CPU)
    graphed = GraphedStep(functools.partial(trainer.train_step, phase="both"), CPU, "both")
    graphed.warmup_left = 0  # as on CUDA, warm-up done
    trainer.graphed = {"both": graphed}

    class FailingCapture:
        def __init__(self, step, tensors):
            def refuse(module, inputs):
                if not any(p.requires_grad for p in module.parameters()):  # the G step
                    raise RuntimeError("operation not permitted when stream is capturing")

            hook = trainer.nets.discriminator.register_forward_pre_hook(refuse)
            try:
                step(*tensors)
            finally:
                hook.remove()

    monkeypatch.setattr("embedgan.capture.CapturedStep", FailingCapture)
    batch = torch.arange(TRAIN_SETTINGS["batch_size"])
    real = trainer.images[batch].float().div(127.5).sub(1)
    losses = trainer.step_batch(real, trainer.labels[batch], "both")
    assert "CUDA graph capture failed" in caplog.text and graphed.enabled is False
    assert {"loss_d", "loss_g"} <= set(losses)
    assert all(p.requires_grad for p in trainer.nets.discriminator.parameters())
    trainer.step_batch(real, trainer.labels[batch], "both")  # the next eager step trains D
