"""A run's curve: the accuracy, Frechet distance and recall of the images its sampler drew at
each point of its generation record (training keeps them in snapshots.npz: `curve_samples` of
every class, from the same noise at every point), and whether it converged: a run has converged
when each of the three stays within its tolerance (TOLERANCE) over the last quarter of training
(the points from the last one before 75% of the steps to the end)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from embedgan.evaluation.classifier import predict
from embedgan.evaluation.metrics import frechet_against_reference, prdc_against_real, split_reference

# How far a metric may move over the last quarter of a converged run: accuracy and recall in
# absolute terms, the Frechet distance relative to its last value.
TOLERANCE = {"accuracy": 0.05, "recall": 0.05, "frechet_distance": 0.10}
LAST_SHARE = 0.25
REFERENCE_DRAWS = 2  # a perfect generator's draws per point (the final evaluation makes more)


@torch.no_grad()
def judge_points(
    classifier: nn.Module, curve: np.ndarray, x_test: torch.Tensor, y_test: torch.Tensor, num_classes: int
) -> list[dict]:
    """Per point of `curve` (points x classes x N x C x H x W uint8): accuracy, Frechet distance
    and recall, with a perfect generator's Frechet distance and recall on the same counts."""
    device = x_test.device
    _, test_features = predict(classifier, x_test)
    reference, pool = split_reference(y_test, 0, num_classes)
    labels = torch.arange(num_classes, device=device).repeat_interleave(curve.shape[2])
    judged = []
    for images in curve:
        flat = torch.from_numpy(images.reshape(-1, *images.shape[2:])).to(device)
        logits, features = predict(classifier, flat)
        args = (features, labels, test_features, y_test, reference, pool, num_classes, 0, REFERENCE_DRAWS)
        frechet, prdc = frechet_against_reference(*args), prdc_against_real(*args)
        judged.append({
            "accuracy": (logits.argmax(1) == labels).float().mean().item(),
            "frechet_distance": frechet["frechet_distance"],
            "frechet_floor": frechet["frechet_floor"],
            "recall": prdc["recall"],
            "recall_perfect": prdc["perfect"]["recall"]["mean"] if prdc["perfect"] else None,
        })
    return judged


def convergence(points: list[dict], steps: list[int]) -> dict:
    """Whether the run's curve is flat over its last quarter: per metric its range there (None
    where a value is missing), and `converged` where every range is within TOLERANCE."""
    start = max((i for i, step in enumerate(steps) if step <= (1 - LAST_SHARE) * steps[-1]), default=0)
    start = min(start, len(points) - 2)  # at least two points (a single one cannot show a trend)
    if start < 0:
        return {"from_step": steps[0], "ranges": dict.fromkeys(TOLERANCE), "converged": False}
    window = points[start:]
    ranges = {}
    for key in TOLERANCE:
        values = [point[key] for point in window]
        if any(v is None for v in values):
            ranges[key] = None
            continue
        spread = max(values) - min(values)
        ranges[key] = spread / max(abs(values[-1]), 1e-12) if key == "frechet_distance" else spread
    return {
        "from_step": steps[start],
        "ranges": ranges,
        "converged": all(r is not None and r <= TOLERANCE[k] for k, r in ranges.items()),
    }
