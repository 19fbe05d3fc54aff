"""A run's curve: the accuracy, per-class recall, Frechet distance and recall of the images its
sampler drew at each point of its generation record (training keeps them in snapshots.npz:
`curve_samples` of every class, from the same noise at every point), and whether it converged,
by a trend test.

The trend test (`convergence`): over the last third of training, the least-squares slope of each
judged metric with its 95% interval, extrapolated over another third of training. A metric is
flat where that whole interval of the change stays within the metric's smallest difference that
matters (the catalogue); moving where the whole interval lies beyond it; else undecided (too
noisy to tell). Neighbouring points share their noise (the same draws at every point), so the
slope's interval is, if anything, too narrow: "flat" is the claim to read with care. A run has converged where every judged metric is flat and it is not stalled: stalled
where it is flat but no better than halfway from chance to a perfect generator (in accuracy,
or, for a generator with noise, in per-class recall against none). A generator without noise
draws one image per class, so it is judged on its accuracy (its distinct images) alone. A run
needs MIN_POINTS points to be judged at all."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats
from torch import nn

from embedgan.evaluation.catalogue import METRICS
from embedgan.evaluation.classifier import predict
from embedgan.evaluation.metrics import frechet_against_reference, prdc_against_real, split_reference

MIN_POINTS = 12  # points of the record a trend test needs
LAST_SHARE = 1 / 3  # the trend is taken over the last third of training ...
AHEAD_SHARE = 1 / 3  # ... and extrapolated over another third
JUDGED = ("accuracy", "class_recall", "frechet_distance")  # a generator with noise
JUDGED_WITHOUT_NOISE = ("accuracy",)  # one image per class: its distinct images
REFERENCE_DRAWS = 2  # a perfect generator's draws per point (the final evaluation makes more)
STATUSES = ("converged", "stalled", "moving", "undecided", "too few points")


@torch.no_grad()
def judge_points(
    classifier: nn.Module, curve: np.ndarray, x_test: torch.Tensor, y_test: torch.Tensor, num_classes: int
) -> list[dict]:
    """Per point of `curve` (points x classes x N x C x H x W uint8): accuracy, Frechet distance,
    recall and per-class recall, with a perfect generator's Frechet distance and recalls on the
    same counts."""
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
            **class_recall(prdc["per_class"]),
        })
    return judged


def class_recall(per_class: list[dict]) -> dict:
    """The per-class recall of a point and a perfect generator's (None where a class's set is
    too small for PRDC), as the catalogue takes them from a run's metrics."""
    metrics = {"per_class": [{"prdc": c} for c in per_class]}
    metric = METRICS["class_recall"]
    value, perfect = metric.value(metrics), metric.reference(metrics, {}, None)[0]
    return {"class_recall": value if is_number(value) else None,
            "class_recall_perfect": perfect if is_number(perfect) else None}


def deterministic(curve: np.ndarray) -> bool:
    """Whether every draw of a class at every point is one image (a generator without noise)."""
    return bool(len(curve)) and bool((curve == curve[:, :, :1]).all())


def trend(steps: list[int], values: list[float], key: str) -> dict:
    """The least-squares slope of `values` over `steps` (the last third of training), its 95%
    interval, the change it extrapolates over another third of training with its interval, the
    smallest difference that matters, and the verdict: flat, moving or undecided."""
    x, y = np.asarray(steps, dtype=float), np.asarray(values, dtype=float)
    centred = x - x.mean()
    slope = float(centred @ (y - y.mean()) / (centred @ centred))
    residuals = y - y.mean() - slope * centred
    stderr = math.sqrt(residuals @ residuals / (len(x) - 2) / (centred @ centred))  # 0 on a straight line
    half = stats.t.ppf(0.975, len(x) - 2) * stderr
    ahead = AHEAD_SHARE * x[-1]
    change, low, high = slope * ahead, (slope - half) * ahead, (slope + half) * ahead
    smallest = METRICS[key].minimum(float(y.mean()))
    if max(abs(low), abs(high)) <= smallest:
        verdict = "flat"
    elif low > smallest or high < -smallest:
        verdict = "moving"
    else:
        verdict = "undecided"
    return {"slope": slope, "change": float(change), "low": float(low), "high": float(high),
            "smallest": smallest, "verdict": verdict, "mean": float(y.mean())}


def stalled(trends: dict, perfect: dict, classes: int) -> list[str]:
    """The judged metrics that sit no better than halfway from chance to a perfect generator."""
    far = []
    accuracy = perfect.get("accuracy")
    if accuracy is not None and "accuracy" in trends and trends["accuracy"]["mean"] <= (1 / classes + accuracy) / 2:
        far.append("accuracy")
    recall = perfect.get("class_recall")
    if recall is not None and "class_recall" in trends and trends["class_recall"]["mean"] <= recall / 2:
        far.append("class_recall")
    return far


def convergence(points: list[dict], steps: list[int], perfect: dict, classes: int, has_noise: bool = True) -> dict:
    """The trend test of the module's docstring: `status` (one of STATUSES), `converged`, the
    first step of the last third, and each judged metric's trend. `perfect`: a perfect
    generator's accuracy and per-class recall (None where unknown)."""
    keys = JUDGED if has_noise else JUDGED_WITHOUT_NOISE
    base = {"judged": list(keys), "min_points": MIN_POINTS, "last_share": LAST_SHARE, "ahead_share": AHEAD_SHARE}
    if len(points) < MIN_POINTS or not all(is_number(point.get(key)) for point in points for key in keys):
        return {**base, "status": "too few points", "converged": False, "from_step": None, "trends": {}}
    start = min(i for i, step in enumerate(steps) if step >= (1 - LAST_SHARE) * steps[-1] - 1e-9)
    start = min(start, len(points) - 3)  # a slope and its interval need three points
    window = slice(start, None)
    trends = {key: trend(steps[window], [point[key] for point in points[window]], key) for key in keys}
    verdicts = {t["verdict"] for t in trends.values()}
    far = stalled(trends, perfect, classes)
    if verdicts == {"flat"}:
        status = "stalled" if far else "converged"
    else:
        status = "moving" if "moving" in verdicts else "undecided"
    return {**base, "status": status, "converged": status == "converged", "from_step": steps[start],
            "trends": trends, "far_from_perfect": far}


def judge_record(
    classifier: nn.Module, curve: np.ndarray, steps: list[int], x_test: torch.Tensor, y_test: torch.Tensor,
    num_classes: int, perfect_accuracy: float,
) -> dict:
    """A run's record judged: its points (none where curve_samples is 0), whether it has noise
    (its draws of a class differ), a perfect generator's accuracy and per-class recall, and the
    trend test's verdict (convergence)."""
    points = judge_points(classifier, curve, x_test, y_test, num_classes) if len(curve) else []
    has_noise = not deterministic(curve)
    perfect = {"accuracy": perfect_accuracy, "class_recall": points[-1]["class_recall_perfect"] if points else None}
    return {"points": points, "has_noise": has_noise, "perfect": perfect,
            **convergence(points, steps, perfect, num_classes, has_noise)}


def first_converged(points: list[dict], steps: list[int], perfect: dict, classes: int, has_noise: bool = True):
    """The first point at which the trend test over the record up to it says converged (the run
    stopped there would have converged), or None: (its index, its judgement). One look per
    point: the first pass of many looks comes early, so read it as a lower bound."""
    for end in range(MIN_POINTS, len(points) + 1):
        judged = convergence(points[:end], steps[:end], perfect, classes, has_noise)
        if judged["converged"]:
            return end - 1, judged
    return None


def is_number(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))
