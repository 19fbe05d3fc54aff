"""A run's convergence, on made-up curves with known answers: flat over its last quarter by
each tolerance, or not."""

from embedgan.evaluation.curves import TOLERANCE, convergence

STEPS = [0, 100, 200, 300, 400, 500, 600, 700]  # 8 points; the last quarter starts after 525


def curve(accuracy_end=0.90, fd_end=10.0, recall_end=0.80, recall=0.80):
    """Flat from step 500 on, but for the values the last point is given."""
    points = [{"accuracy": 0.1 * i, "frechet_distance": 100.0 - 10 * i, "recall": recall} for i in range(6)]
    points += [{"accuracy": 0.90, "frechet_distance": 10.0, "recall": recall}]
    points += [{"accuracy": accuracy_end, "frechet_distance": fd_end, "recall": recall_end}]
    points[5] = {"accuracy": 0.90, "frechet_distance": 10.0, "recall": recall}
    return points


def test_a_curve_flat_over_its_last_quarter_has_converged():
    judged = convergence(curve(), STEPS)
    assert judged["from_step"] == 500 and judged["converged"]
    assert judged["ranges"] == {"accuracy": 0.0, "recall": 0.0, "frechet_distance": 0.0}


def test_a_curve_still_moving_by_any_metric_has_not():
    assert not convergence(curve(accuracy_end=0.90 + TOLERANCE["accuracy"] + 0.01), STEPS)["converged"]
    assert not convergence(curve(recall_end=0.80 - TOLERANCE["recall"] - 0.01), STEPS)["converged"]
    assert not convergence(curve(fd_end=8.5), STEPS)["converged"]  # 1.5 of 8.5: 18% of its last value
    assert convergence(curve(fd_end=9.5), STEPS)["converged"]  # 0.5 of 9.5: 5%
    assert convergence(curve(accuracy_end=0.93), STEPS)["converged"]


def test_a_missing_value_or_a_single_point_is_no_convergence():
    assert not convergence(curve(recall=None, recall_end=None), STEPS)["converged"]
    assert not convergence([{"accuracy": 1.0, "frechet_distance": 1.0, "recall": 1.0}], [700])["converged"]
