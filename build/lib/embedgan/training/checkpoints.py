"""Checkpoints of a training run (GAN trainer and reference classifier alike).

A checkpoint is written atomically and read on the CPU: tensors go to the run's device only
where the run puts them (load_state_dict copies into parameters already on the device), and
random-number states stay the CPU byte tensors that torch's setters accept. It is resumed only
by a run of the same identity: settings and data set, device type and the speed-ups in force.
A CPU checkpoint resumed on a GPU would silently train without graph capture, and a GPU one
on a CPU with fused Adam, breaking "same seed, same CPU weights"; such a checkpoint is refused
with a log line naming what differs, and training starts afresh.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import torch

from embedgan.errors import UnreadableFile
from embedgan.runtime import load_tensors, save_tensors

log = logging.getLogger("embedgan.training.checkpoints")

# The layout of a checkpoint's state: a checkpoint of another layout (an older trainer's) is
# refused like one of another run.
FORMAT = 2
# What each part of a run's identity means, for the log line of a refused checkpoint.
IDENTITY_PARTS = {
    "format": "another version of the trainer",
    "run": "other settings or data",
    "device": "another device type",
    "speedups": "other speed-ups",
    "precision": "another precision",
}
OPTIMIZER_FLAGS = ("fused", "foreach", "capturable")


class SaveClock:
    """When a run saves its checkpoint: once `interval_s` seconds have passed since the last
    save (0: whenever asked). exp2 at full scale fine-tunes bert-base-uncased, whose checkpoint
    (weights and Adam's two moments) is ~1.3 GB: saved after each of its 64-step epochs on a
    GPU, the writes would take longer than the training."""

    def __init__(self, interval_s: float):
        self.interval_s = interval_s
        self.last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self.last >= self.interval_s

    def saved(self) -> None:
        self.last = time.monotonic()


def identity(
    run_fingerprint: str, device: torch.device, speedups: dict | None = None, precision: str = "fp32"
) -> dict:
    """What a checkpoint must match to be resumed (speedups: the switches that apply;
    precision: the one the run trains in)."""
    return {
        "format": FORMAT,
        "run": run_fingerprint,
        "device": device.type,
        "speedups": speedups or {},
        "precision": precision,
    }


def save(path: str | Path, run_identity: dict, state: dict) -> None:
    save_tensors(path, {"identity": run_identity, "state": state})


def set_aside(path: Path) -> Path:
    """Rename an unreadable file to <name>.unreadable (.unreadable.1, ... where taken): kept
    for its owner to look at, out of the way of the rerun."""
    target, n = path.with_name(path.name + ".unreadable"), 0
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.unreadable.{n}")
    path.rename(target)
    return target


def load(path: str | Path, run_identity: dict) -> dict | None:
    """The saved state, on the CPU, if `path` holds a checkpoint of this run; else None. A file
    that cannot be read as a checkpoint (damaged, half-copied, or holding more than tensors and
    plain data) is moved aside, never deleted, with one log line, and training starts afresh."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        saved = load_tensors(path)
        if not isinstance(saved, dict) or not {"identity", "state"} <= saved.keys():
            raise UnreadableFile(f"{path} cannot be read: not a checkpoint (no identity and state)")
    except UnreadableFile as err:
        log.warning("checkpoint %s; moved aside to %s, starting afresh", err, set_aside(path))
        return None
    written = saved["identity"]
    differs = [part for part in IDENTITY_PARTS if written.get(part) != run_identity[part]]
    if differs:
        log.warning(
            "checkpoint %s was written with %s (%s); starting afresh",
            path,
            " and ".join(IDENTITY_PARTS[part] for part in differs),
            "; ".join(
                f"{part}: {written.get(part)} there, {run_identity[part]} here"
                for part in differs
                if part not in ("run", "format")
            )
            or "settings or data set changed",
        )
        return None
    return saved["state"]


def rng_state(device: torch.device, *generators: torch.Generator) -> dict:
    """The global torch RNG, the run's CUDA device's RNG (only that one: reading every GPU's
    would initialise CUDA on CPU runs), and the run's own generators."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "generators": [generator.get_state() for generator in generators],
    }


def restore_rng(state: dict, device: torch.device, *generators: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    if device.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], device)
    for generator, saved in zip(generators, state["generators"], strict=True):
        generator.set_state(saved)


def load_optimizer(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """load_state_dict, keeping this run's fused / foreach / capturable flags: the saved ones
    come back with the state otherwise."""
    flags = [{k: group[k] for k in OPTIMIZER_FLAGS if k in group} for group in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, kept in zip(optimizer.param_groups, flags, strict=True):
        group.update(kept)
