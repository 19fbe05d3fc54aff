"""What a CPU can run of the CUDA path: device selection, making the device current, the
capture's stream and its failure, with torch.cuda's Python functions patched (and its one
native call, torch._C._cuda_setDevice) so that torch.cuda.set_device runs for real.

tests/test_cuda.py runs the path on a GPU.
"""

import pytest
import torch

from conftest import TRAIN_SETTINGS
from embedgan.errors import DeviceError
from embedgan.evaluation.classifier_training import train_classifier
from embedgan.machine.devices import select_device
from embedgan.runtime import log_to
from embedgan.training import capture
from embedgan.training.capture import GraphedStep
from embedgan.training.train import Trainer
from test_train import CPU, fetched, keras_dataset, settings  # noqa: F401  (fetched: a fixture)

# Where a GPU is present the patched calls would reach real devices.
pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")


@pytest.mark.parametrize(
    "requested, count, current, expected",
    [
        ("auto", 1, 0, 0),
        ("cuda", 1, 0, 0),
        # Without an index: the first GPU no other job holds (embedgan.machine.devices.claim_gpu).
        ("auto", 2, 1, 0),
        ("cuda", 2, 1, 0),
        ("cuda:1", 2, 0, 1),
        ("cuda:0", 2, 1, 0),
    ],
)
def test_a_cuda_device_is_selected_with_its_index_and_made_current(
    fake_gpus, requested, count, current, expected
):
    made_current = fake_gpus(count, current)
    device = select_device(requested)
    assert device == torch.device("cuda", expected) and device.index == expected
    assert made_current == [expected]


def test_a_cuda_index_beyond_the_gpus_is_refused_before_anything_is_made_current(fake_gpus, monkeypatch):
    made_current = fake_gpus(1)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    with pytest.raises(DeviceError, match=r"'cuda:1' but this job sees 1 CUDA GPU\(s\), cuda:0 to cuda:0 \(CUDA_VISIBLE_DEVICES=3\)"):
        select_device("cuda:1")
    assert made_current == []


def test_the_cpu_is_selected_without_touching_cuda(fake_gpus):
    made_current = fake_gpus(2)
    assert select_device("cpu") == CPU and made_current == []


def reaches_allocation(build) -> None:
    """`build` gets past making its device current and stops where it first allocates on
    the (absent) GPU: CUDA's own initialisation error, not a refused device."""
    with pytest.raises(RuntimeError) as raised:
        build()
    assert "specified index" not in str(raised.value)


@pytest.mark.parametrize("device, count, current, expected", [
    ("cuda", 1, 0, 0), ("cuda", 2, 1, 1), ("cuda:1", 2, 0, 1),
])
def test_a_trainer_for_a_cuda_device_makes_that_device_current(
    fake_gpus, mirror, device, count, current, expected
):
    made_current = fake_gpus(count, current)
    reaches_allocation(lambda: Trainer(settings(), keras_dataset(mirror, "mnist"), torch.device(device)))
    assert made_current == [expected]


def test_the_classifier_training_makes_an_index_less_cuda_device_current(fake_gpus, fetched, tmp_path):  # noqa: F811
    made_current = fake_gpus(2, current=1)
    images, manifest = fetched("mnist")
    reaches_allocation(lambda: train_classifier(
        "mnist", {"epochs": 1, "batch_size": 16, "lr": 1e-3, "seed": 0}, str(images),
        str(manifest), torch.device("cuda"), str(tmp_path / "c.pt"), str(tmp_path / "m.pt"),
        str(tmp_path / "s.json"),
    ))
    assert made_current == [1]


def test_a_step_is_captured_on_a_stream_of_the_runs_own_device(monkeypatch):
    streams, graphs = [], []

    class FakeGraph:
        def replay(self):
            pass

    class Capturing:
        def __init__(self, graph, stream):
            graphs.append((graph, stream))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(torch.cuda, "CUDAGraph", FakeGraph)
    monkeypatch.setattr(torch.cuda, "Stream", lambda device: streams.append(device) or f"stream of {device}")
    monkeypatch.setattr(torch.cuda, "graph", Capturing)
    second = torch.device("cuda", 1)
    captured = capture.CapturedStep(lambda x: {"y": x * 2}, (torch.ones(3),), second)
    assert streams == [second] and graphs[0][1] == f"stream of {second}"
    assert torch.equal(captured.outputs["y"], torch.full((3,), 2.0))


def failing_capture(mirror, monkeypatch):
    """A trainer whose 'both' step is warmed up for capture and whose capture raises, as a
    capture does on CUDA; returns it and the steps it then ran eagerly."""
    trainer = Trainer(settings(), keras_dataset(mirror, "mnist"), CPU)
    eager_steps = []
    graphed = GraphedStep(lambda *batch: eager_steps.append(batch) or {}, CPU, "both")
    graphed.warmup_left = 0  # as on CUDA, warm-up done
    trainer.graphed = {"both": graphed}

    def refuse(*args):
        raise RuntimeError("operation not permitted when stream is capturing")

    monkeypatch.setattr(capture, "CapturedStep", refuse)
    monkeypatch.setattr(torch.cuda, "get_rng_state", lambda device: torch.get_rng_state())
    return trainer, eager_steps


def a_batch(trainer):
    batch = torch.arange(TRAIN_SETTINGS["batch_size"])
    return trainer.images[batch].float().div(127.5).sub(1), trainer.labels[batch]


def test_a_failed_capture_goes_on_eagerly_after_one_warning(mirror, monkeypatch, tmp_path):
    """The stream and the generator are put back first; later steps do not try again."""
    trainer, eager_steps = failing_capture(mirror, monkeypatch)
    resets = []
    monkeypatch.setattr(capture, "reset_after_failed_capture", lambda device, state: resets.append(device))
    log = tmp_path / "train.log"
    with log_to(log):
        for _ in range(3):
            trainer.step_batch(*a_batch(trainer), "both")
    warnings = [line for line in log.read_text().splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and warnings[0].endswith(
        "CUDA graph capture of the 'both' step failed (operation not permitted when stream is capturing): "
        "training goes on eagerly (speedups.graph_capture: false skips the attempt)"
    )
    assert resets == [CPU] and trainer.graphed["both"].failed and trainer.graphed["both"].captured is None
    assert len(eager_steps) == 1  # the failed capture's step, run by GraphedStep itself


def test_a_capture_whose_eager_path_cannot_be_put_back_ends_the_job_with_one_line(mirror, monkeypatch, tmp_path):
    trainer, eager_steps = failing_capture(mirror, monkeypatch)

    def cannot(device, state):
        raise RuntimeError("CUDA error: operation failed due to a previous error during capture")

    monkeypatch.setattr(capture, "reset_after_failed_capture", cannot)
    log = tmp_path / "train.log"
    with pytest.raises(SystemExit) as stopped:
        with log_to(log):
            trainer.step_batch(*a_batch(trainer), "both")
    line = (
        "error: CUDA graph capture failed (operation not permitted when stream is capturing), and the "
        "eager path could not be put back (CUDA error: operation failed due to a previous error during "
        "capture); set speedups.graph_capture: false to train without it"
    )
    assert str(stopped.value) == line and log.read_text().strip().splitlines()[-1] == line
    assert eager_steps == []
