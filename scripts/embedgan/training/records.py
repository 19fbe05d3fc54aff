"""What a finished training run leaves besides its model: the generation record and the run's
curve images (snapshots.npz), and history.json (where and how long it trained, its losses, the KL
its conditioning augmentation reached)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from embedgan.config.runs import write_run_npz
from embedgan.machine import host

if TYPE_CHECKING:
    from embedgan.training.train import Trainer, TrainState


def write_snapshots(path: str, state: TrainState, made_for: dict) -> None:
    """The generation record: its rows and the step each was drawn at, and the images of the
    run's curve drawn at the same steps (points x classes x N x C x H x W; none: curve_samples 0)."""
    curve = [images.numpy() for images in state.curve]
    write_run_npz(
        path,
        made_for,
        images=np.stack([images.numpy() for images in state.snapshots]),
        steps=np.array(state.snapshot_steps),
        curve=np.stack(curve) if curve else np.zeros((0,), np.uint8),
    )


def kl_reached(loss_history: list[dict]) -> float | None:
    """Conditioning augmentation's KL in nats per dimension over the last quarter of training
    (the mean of its logged rows there), None for a run without it."""
    rows = [row["kl"] for row in loss_history if "kl" in row]
    return float(np.mean(rows[-max(1, len(rows) // 4) :])) if rows else None


def history_record(name: str, settings: dict, trainer: Trainer, made_for: dict) -> dict:
    """history.json: where and how long the run trained, and its losses."""
    device = trainer.device
    return {
        "run": made_for,
        "experiment": name,
        "settings": settings,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        "host": host.host_kind(device),
        "threads": torch.get_num_threads(),
        "precision": trainer.precision,
        "speedups": trainer.applied_speedups,
        "torch": torch.__version__,
        "train_images": len(trainer.labels),
        "steps": trainer.total_steps,
        "steps_per_epoch": trainer.steps_per_epoch,
        "wall_time_s": trainer.state.elapsed,
        "cuda_graph_steps": sorted(p for p, step in trainer.graphed.items() if step.captured),
        "cuda_graph_failed": sorted(p for p, step in trainer.graphed.items() if step.failed),
        "graph_capture": bool(trainer.graphed),
        "kl_per_dimension": kl_reached(trainer.state.loss_history),
        "loss": trainer.state.loss_history,  # last: tests/test_golden.py digests the history from here
    }
