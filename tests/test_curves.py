"""A run's convergence by the trend test, on made-up curves with known answers: a rising, a flat,
a stuck and a noisy curve; each metric's smallest difference that matters at its edge, from
literal numbers; too few points; a generator without noise judged on its accuracy alone."""

import numpy as np
import pytest

from embedgan.evaluation.curves import convergence, deterministic, first_converged

STEPS = list(range(0, 1300, 100))  # 13 points; the last third from step 800, extrapolated over 400 steps
PERFECT = {"accuracy": 0.99, "class_recall": 0.90}


def curve(accuracy=lambda s: 0.95, class_recall=lambda s: 0.85, fd=lambda s: 10.0, steps=STEPS):
    return [{"accuracy": accuracy(s), "class_recall": class_recall(s), "frechet_distance": fd(s)} for s in steps]


def judged(points, steps=STEPS, has_noise=True):
    return convergence(points, steps, PERFECT, classes=10, has_noise=has_noise)


def test_a_flat_curve_near_perfect_has_converged():
    result = judged(curve())
    assert result["status"] == "converged" and result["converged"] and result["from_step"] == 800
    assert {t["verdict"] for t in result["trends"].values()} == {"flat"}


def test_a_rising_curve_is_still_moving():
    result = judged(curve(accuracy=lambda s: 0.5 + 0.0004 * s))  # +0.16 over another third
    assert result["status"] == "moving" and not result["converged"]
    assert result["trends"]["accuracy"]["change"] == pytest.approx(0.16)


def test_a_curve_stuck_far_from_perfect_is_stalled_not_converged():
    assert judged(curve(accuracy=lambda s: 0.10))["status"] == "stalled"  # chance, flat
    assert judged(curve(class_recall=lambda s: 0.0))["far_from_perfect"] == ["class_recall"]  # collapsed
    assert judged(curve(accuracy=lambda s: 0.545))["status"] == "stalled"  # halfway from 0.1 to 0.99 is 0.545
    assert judged(curve(accuracy=lambda s: 0.55))["status"] == "converged"


def test_a_noisy_curve_is_undecided():
    noisy = curve(accuracy=lambda s: 0.90 if (s // 100) % 2 else 0.98)
    assert judged(noisy)["status"] == "undecided"
    assert judged(noisy)["trends"]["accuracy"]["verdict"] == "undecided"


@pytest.mark.parametrize(
    ("key", "inside", "outside"),
    [("accuracy", 0.019, 0.021), ("class_recall", 0.049, 0.051), ("frechet_distance", 0.99, 1.01)],
)
def test_each_metrics_smallest_difference_at_its_edge(key, inside, outside):
    """A straight line whose change over another third is just inside or outside the smallest
    difference that matters: accuracy 0.02, per-class recall 0.05, FD 10% of its mean (10)."""
    def line(change, centre):
        return lambda s: centre + change * (s - 1000) / 400  # the window's mean is `centre`

    centre = {"accuracy": 0.95, "class_recall": 0.85, "frechet_distance": 10.0}[key]
    assert judged(curve(**{"fd" if key == "frechet_distance" else key: line(inside, centre)}))["status"] == "converged"
    result = judged(curve(**{"fd" if key == "frechet_distance" else key: line(outside, centre)}))
    assert result["status"] == "moving" and result["trends"][key]["verdict"] == "moving"


def test_too_few_points_or_a_missing_value_are_not_judged():
    assert judged(curve()[:11], STEPS[:11])["status"] == "too few points"
    missing = curve()
    missing[3]["class_recall"] = None
    assert judged(missing)["status"] == "too few points"


def test_a_generator_without_noise_is_judged_on_its_accuracy_alone():
    points = curve(class_recall=lambda s: None)
    result = judged(points, has_noise=False)
    assert result["status"] == "converged" and list(result["trends"]) == ["accuracy"]
    images = np.zeros((13, 10, 4, 1, 2, 2), np.uint8)
    assert deterministic(images)
    images[3, 2, 1] = 7
    assert not deterministic(images)


def test_the_first_point_at_which_a_run_would_have_converged():
    """Rising until step 600, flat after: stopped at step 1100 or later it would have converged."""
    points = curve(accuracy=lambda s: 0.5 + 0.00075 * min(s, 600))
    index, result = first_converged(points, STEPS, PERFECT, 10)
    assert STEPS[index] == 1100 and result["status"] == "converged"
    assert first_converged(curve(accuracy=lambda s: 0.0004 * s), STEPS, PERFECT, 10) is None
