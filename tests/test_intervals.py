"""The intervals and the tests that admit a difference, on known answers: a difference drawn
from no difference is admitted about 5% of the time (the old rule, two standard deviations of 3
seeds, about 22%), and a claim is written only where the interval excludes 0."""

import math

import numpy as np
import pytest

from embedgan.documents.claims import claim
from embedgan.evaluation.intervals import binomial_interval, difference, mean_interval


def test_the_t_interval_and_the_binomial_interval_have_their_textbook_values():
    mean, low, high = mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and high - mean == pytest.approx(4.302653 / math.sqrt(3))  # t(0.975, 2) x s / sqrt(n)
    assert math.isnan(mean_interval([0.5])[1])
    assert binomial_interval(5, 10) == pytest.approx((0.5, 0.187086, 0.812914), abs=1e-6)  # 5 of 10 distinct images
    assert binomial_interval(0, 10)[1:] == pytest.approx((0.0, 0.308497), abs=1e-6)


@pytest.mark.parametrize(("a_seeds", "b_seeds"), [(3, 3), (3, 1), (1, 3)])
def test_a_difference_drawn_from_no_difference_is_admitted_about_five_percent_of_the_time(a_seeds, b_seeds):
    rng = np.random.default_rng(0)
    trials = 2000
    admitted = sum(
        difference(rng.normal(0, 1, a_seeds), rng.normal(0, 1, b_seeds)).admitted for _ in range(trials)
    )
    assert 0.02 < admitted / trials < 0.07  # at most 5% (Welch is a little conservative at 3 seeds)
    if (a_seeds, b_seeds) == (3, 1):  # the former rule: beyond 2 standard deviations of the seeds
        old = sum(abs(rng.normal() - (s := rng.normal(0, 1, 3)).mean()) > 2 * s.std(ddof=1) for _ in range(trials))
        assert old / trials > 0.15


def test_a_real_difference_is_admitted_with_its_sign_and_one_run_each_admits_nothing():
    found = difference([0.50, 0.52, 0.51], [0.84, 0.86, 0.85])
    assert found.admitted and found.value == pytest.approx(0.34) and 0 < found.low < found.value < found.high
    assert found.test == "Welch's t"
    assert not difference([0.5], [0.9]).admitted  # no spread known
    assert not difference([0.5, 0.5, 0.5], [0.9, 0.9, 0.9]).admitted  # no spread on either side: no test


def test_a_claim_says_which_way_and_nothing_where_the_interval_holds_zero():
    sentence = claim("accuracy", "control", [0.50, 0.52, 0.51], "no_ms", [0.84, 0.86, 0.85])
    assert sentence.startswith("no_ms has higher accuracy than control (better): +0.34 (")
    assert "95%, Welch's t)" in sentence
    assert claim("frechet_distance", "a", [10.0, 11.0, 12.0], "b", [20.0, 21.0, 22.0]).startswith(
        "b has higher FD than a (worse): +10.0")
    assert "(better)" not in claim("diversity", "a", [1.0, 1.1, 1.2], "b", [3.0, 3.1, 3.2])  # nearest real is best
    assert claim("accuracy", "a", [0.50, 0.60, 0.40], "b", [0.52, 0.45, 0.61]) is None  # the interval holds 0
    assert claim("accuracy", "a", [0.5], "b", [1.0]) is None
