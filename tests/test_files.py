"""Files the workflow reads back never crash it and never run code: damaged checkpoints,
foreign model files, a full disk, a file of another run in the right place."""

import errno
import logging
import os
import pathlib
import stat

import pytest
import torch

from embedgan import runtime
from embedgan.config.runs import Run
from embedgan.errors import UnreadableFile, WriteError
from embedgan.evaluation.classifier import load_classifier
from embedgan.evaluation.classifier_training import train_classifier
from embedgan.networks.sampling import load_generator
from embedgan.runtime import load_tensors, log_to, write_json
from embedgan.training import checkpoints
from test_train import CPU, assert_same_weights, fetched, interrupted_run, run, settings, weights  # noqa: F401

CLASSIFIER = {"epochs": 2, "batch_size": 16, "lr": 3e-3, "seed": 0}


class Marker:
    """A pickled object that creates a file when unpickled: what a hostile model file does."""

    def __init__(self, path: pathlib.Path):
        self.path = path

    def __reduce__(self):
        return (pathlib.Path.touch, (self.path,))


def job_line(tmp_path, action) -> str:
    """The one line a job ends with when `action` fails on purpose (runtime.log_to)."""
    with pytest.raises(SystemExit) as stopped, log_to(tmp_path / "job.log"):
        action()
    assert "Traceback" not in (tmp_path / "job.log").read_text()
    return str(stopped.value)


# -- 1. a damaged checkpoint -------------------------------------------------------------

def test_a_damaged_checkpoint_is_moved_aside_and_training_starts_afresh(tmp_path, fetched, caplog):  # noqa: F811
    caplog.set_level(logging.INFO)
    checkpoint = tmp_path / "exp" / "checkpoint.pt"
    checkpoint.parent.mkdir()
    damaged = os.urandom(5000)  # as a disk fault or a half-copied results folder leaves it
    checkpoint.write_bytes(damaged)
    restarted = run(tmp_path, fetched, "exp", settings())
    aside = checkpoint.with_name("checkpoint.pt.unreadable")
    assert aside.read_bytes() == damaged  # kept, not deleted
    lines = [r.getMessage() for r in caplog.records if "moved aside" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith(f"checkpoint {checkpoint} cannot be read")
    assert f"moved aside to {aside}, starting afresh" in lines[0]
    assert_same_weights(weights(restarted), weights(run(tmp_path, fetched, "fresh", settings())))
    checkpoint.write_bytes(damaged[:100])  # a second damaged one keeps the first aside file
    assert checkpoints.load(checkpoint, {}) is None
    assert aside.exists() and checkpoint.with_name("checkpoint.pt.unreadable.1").exists()


def test_a_damaged_classifier_checkpoint_is_moved_aside_too(tmp_path, fetched, caplog):  # noqa: F811
    images, manifest = fetched("mnist")
    checkpoint = tmp_path / "mnist.checkpoint.pt"
    checkpoint.write_bytes(os.urandom(5000))
    summary = train_classifier(
        "mnist", CLASSIFIER, str(images), str(manifest), CPU, str(checkpoint),
        str(tmp_path / "mnist.pt"), str(tmp_path / "mnist.json"),
    )
    assert summary["test_accuracy"] >= 0 and (tmp_path / "mnist.checkpoint.pt.unreadable").exists()
    assert "moved aside" in caplog.text


# -- 2. a model file that would run code -------------------------------------------------

def hostile_file(path: pathlib.Path, marker: pathlib.Path) -> pathlib.Path:
    torch.save({"run": {"name": "exp"}, "settings": {}, "networks": Marker(marker)}, path)
    return path


def test_a_model_file_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    model = hostile_file(tmp_path / "model.pt", marker)
    with pytest.raises(UnreadableFile, match=rf"{model} holds objects other than tensors and plain data \(Unsupported global"):
        load_generator(str(model), CPU, Run("exp", 0, "mnist"))
    with pytest.raises(UnreadableFile, match="could run code"):
        load_classifier(str(model), CPU, "mnist")
    line = job_line(tmp_path, lambda: load_tensors(model))
    assert line.startswith(f"error: {model} holds objects other than tensors")
    assert not marker.exists()


def test_a_checkpoint_that_would_run_code_is_moved_aside_unloaded(tmp_path):
    marker = tmp_path / "ran"
    checkpoint = hostile_file(tmp_path / "checkpoint.pt", marker)
    assert checkpoints.load(checkpoint, {}) is None
    assert not marker.exists() and (tmp_path / "checkpoint.pt.unreadable").exists()


# -- 3. a full disk ----------------------------------------------------------------------

def disk_full_after(nbytes: int):
    """A torch.save that writes `nbytes` of the file, then fails as a full disk does."""
    original = torch.save

    def save(obj, path, *args, **kwargs):
        original(obj, path, *args, **kwargs)
        with open(path, "r+b") as handle:
            handle.truncate(nbytes)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return save


def leftovers(folder: pathlib.Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_while_checkpointing_keeps_the_previous_checkpoint(tmp_path, fetched, monkeypatch):  # noqa: F811
    checkpoint = interrupted_run(tmp_path, fetched, monkeypatch, settings(epochs=3))
    before = checkpoint.read_bytes()
    monkeypatch.setattr(torch, "save", disk_full_after(1000))
    line = job_line(tmp_path, lambda: run(tmp_path, fetched, "run", settings(epochs=3)))
    assert line == f"error: cannot write {checkpoint}: No space left on device; nothing was written there (it keeps its previous contents)"
    assert checkpoint.read_bytes() == before and load_tensors(checkpoint)["state"]["epoch"] == 1
    assert leftovers(checkpoint.parent) == []


def test_a_full_disk_while_writing_the_model_leaves_no_model(tmp_path, fetched, monkeypatch):  # noqa: F811
    original = runtime.save_tensors

    def full_for_the_model(path, record):
        if str(path).endswith("model.pt"):
            monkeypatch.setattr(torch, "save", disk_full_after(1000))
        original(path, record)

    monkeypatch.setattr("embedgan.networks.model_file.save_tensors", full_for_the_model)
    out = tmp_path / "exp"
    line = job_line(tmp_path, lambda: run(tmp_path, fetched, "exp", settings()))
    assert line == f"error: cannot write {out / 'model.pt'}: No space left on device; nothing was written there"
    assert not (out / "model.pt").exists() and leftovers(out) == []


def test_a_full_disk_while_writing_metrics_keeps_the_old_file(tmp_path, monkeypatch):
    metrics = tmp_path / "metrics.json"
    write_json(metrics, {"accuracy": 0.5})
    before = metrics.read_bytes()
    original = pathlib.Path.write_text

    def half_then_full(self, text, *args, **kwargs):
        original(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(pathlib.Path, "write_text", half_then_full)
    with pytest.raises(WriteError, match=f"cannot write {metrics}: No space left on device"):
        write_json(metrics, {"accuracy": 0.9, "more": list(range(100))})
    assert metrics.read_bytes() == before and leftovers(tmp_path) == []


# -- 4. a file of another run in the right place -------------------------------------------

def test_a_model_of_another_experiment_or_data_set_is_refused(tmp_path, fetched):  # noqa: F811
    model = run(tmp_path, fetched, "exp4", settings()) / "model.pt"
    assert load_generator(str(model), CPU, Run("exp4", 0, "mnist")).classes[0] == "0"
    for other, named in ((Run("exp5", 0, "mnist"), "exp5"), (Run("exp4", 0, "cifar10"), "exp4"),
                         (Run("exp4", 1, "mnist", replicate=True), "exp4/seed1")):
        with pytest.raises(UnreadableFile, match=rf"{model} was written for run 'exp4' \(mnist, seed 0\), not for run '{named}'"):
            load_generator(str(model), CPU, other)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_written_file_has_the_mode_a_plain_open_would_give(tmp_path, umask, mode):
    """Atomic writes go through mkstemp (mode 600); the finished file gets the umask's mode."""
    old = os.umask(umask)
    try:
        write_json(tmp_path / "metrics.json", {"accuracy": 0.5})
        runtime.save_tensors(tmp_path / "model.pt", {"weights": torch.zeros(2)})
        with open(tmp_path / "plain.txt", "w") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in tmp_path.iterdir()}
    assert modes == {"metrics.json": mode, "model.pt": mode, "plain.txt": mode}
