"""The intervals and the tests that admit a difference, on known answers: Welch's interval and
degrees of freedom on unequal sizes and variances, the prediction interval, the one interval rule
of a mean inside its metric's range, Holm's adjustment; and the claim rule: nothing inside the
smallest difference that matters, seeds without spread said so, and a null family of 20
comparisons yielding false claims at the corrected rate."""

import math

import numpy as np
import pytest
from scipy import stats

from embedgan.documents.claims import judge, said
from embedgan.evaluation.catalogue import METRICS
from embedgan.evaluation.intervals import (
    binomial_interval,
    difference,
    holm,
    mean_interval,
    welch_degrees_of_freedom,
)


def test_welchs_interval_and_degrees_of_freedom_on_unequal_sizes_and_variances():
    """a = 1..4 (n 4, s^2 5/3), b = 2, 4, ..., 12 (n 6, s^2 14): s^2/n = 5/12 and 7/3, so
    df = (5/12 + 7/3)^2 / ((5/12)^2 / 3 + (7/3)^2 / 5) = 6.5947 (the pooled test's would be 8),
    and the interval of 4.5 is +-t(0.975, 6.5947) x sqrt(2.75)."""
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    assert welch_degrees_of_freedom(np.array(a), np.array(b)) == pytest.approx(6.59467, abs=1e-5)
    found = difference(a, b)
    half = stats.t.ppf(0.975, 6.59467) * math.sqrt(2.75)
    assert found.test == "Welch's t" and found.value == 4.5
    assert (found.low, found.high) == pytest.approx((4.5 - half, 4.5 + half), abs=1e-4)
    assert half == pytest.approx(3.9707, abs=1e-4)  # with df 8 it would be 3.8241
    assert found.p == pytest.approx(0.03182, abs=1e-4)


def test_the_prediction_interval_of_three_seeds_against_one_run():
    """[1, 2, 3] against 10: s = 1, half-width t(0.975, 2) x s x sqrt(1 + 1/3) = 4.968."""
    found = difference([1.0, 2.0, 3.0], [10.0])
    assert found.test == "t prediction interval" and found.value == 8.0
    assert found.high - found.value == pytest.approx(4.968, abs=1e-3)
    assert found.p == pytest.approx(2 * stats.t.sf(8 / math.sqrt(4 / 3), 2))


def test_the_interval_of_a_mean_stays_inside_its_metrics_range():
    # A share: the t interval on the logit scale, mapped back (the plain one: [-0.25, 1.25]).
    assert mean_interval([0.2, 0.5, 0.8], (0.0, 1.0)) == pytest.approx((0.5, 0.030956, 0.969044), abs=1e-6)
    assert mean_interval([0.2, 0.5, 0.8])[1] < 0  # the plain t interval leaves the range
    # A positive number: on the log scale.
    mean, low, high = mean_interval([10.0, 20.0, 40.0], (0.0, math.inf))
    assert mean == pytest.approx(23.3333, abs=1e-4) and (low, high) == pytest.approx((3.5746, 111.8999), abs=1e-3)
    # Seeds that agree: the interval is the value (at a bound too); one value has no interval.
    assert mean_interval([0.0, 0.0, 0.0], (0.0, 1.0)) == (0.0, 0.0, 0.0)
    assert mean_interval([1.0, 1.0, 0.98], (0.0, 1.0))[2] <= 1.0
    assert math.isnan(mean_interval([0.5], (0.0, 1.0))[1])
    assert binomial_interval(5, 10) == pytest.approx((0.5, 0.187086, 0.812914), abs=1e-6)
    assert binomial_interval(0, 10)[1:] == pytest.approx((0.0, 0.308497), abs=1e-6)
    rng = np.random.default_rng(1)
    for _ in range(200):  # any seeds of any bounded metric
        key = rng.choice(list(METRICS))
        low_bound, high_bound = METRICS[key].bounds
        values = rng.uniform(low_bound, min(high_bound, 50.0), size=rng.integers(2, 6))
        _, low, high = mean_interval(values, METRICS[key].bounds)
        assert low_bound <= low <= high <= high_bound, key


def test_holms_adjusted_p_values_by_hand():
    # sorted 0.005, 0.01, 0.03, 0.04: x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.06
    assert holm([0.01, 0.04, 0.03, 0.005, math.nan])[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(holm([0.01, math.nan])[1]) and holm([0.01, math.nan])[0] == 0.01  # a family of one


def test_a_real_difference_is_claimed_with_its_sign_and_one_run_each_claims_nothing():
    claim, *_ = judge([("accuracy", [0.50, 0.52, 0.51], [0.84, 0.86, 0.85])])
    assert claim.admitted and claim.found.value == pytest.approx(0.34)
    assert claim.clause(" than control").startswith("higher accuracy than control (better): +0.34 (")
    fd, diversity, holds_zero, single = judge([
        ("frechet_distance", [10.0, 11.0, 12.0], [20.0, 21.0, 22.0]),
        ("diversity", [1.0, 1.1, 1.2], [3.0, 3.1, 3.2]),
        ("accuracy", [0.50, 0.60, 0.40], [0.52, 0.45, 0.61]),
        ("accuracy", [0.5], [1.0]),
    ])
    assert fd.clause().startswith("higher FD (worse): +10.0")
    assert diversity.admitted and "(better)" not in diversity.clause()  # nearest the real value is best
    assert not holds_zero.admitted and not single.admitted and single.why_not() == "one run each: no test"


def test_a_difference_inside_the_smallest_that_matters_is_never_claimed():
    """0.010 apart with almost no spread: the test admits it, but accuracy's smallest difference
    that matters is 0.02."""
    claim, = judge([("accuracy", [0.900, 0.901, 0.902], [0.910, 0.911, 0.912])])
    assert claim.found.excludes_zero and claim.adjusted_p < 0.05
    assert not claim.admitted and claim.why_not().startswith("inside the smallest difference that matters")
    fd_small, fd_large = judge([("frechet_distance", [100.0, 101.0, 102.0], [108.0, 109.0, 110.0]),
                                ("frechet_distance", [100.0, 101.0, 102.0], [112.0, 113.0, 114.0])])
    assert not fd_small.admitted and fd_large.admitted  # 8 and 12 against 10% of 101


def test_a_missing_value_makes_no_test():
    found = difference([0.5, float("nan"), 0.6], [0.9, 0.8, 0.85])
    assert found.test == "a value missing: no test" and not found.tested
    assert math.isnan(mean_interval([0.5, float("nan")], (0.0, 1.0))[1])


def test_seeds_without_spread_are_said_to_be_so():
    collapsed, both = judge([("class_recall", [0.0, 0.0, 0.0], [0.90, 0.92, 0.88]),
                             ("class_recall", [0.5, 0.5, 0.5], [0.9, 0.9, 0.9])])
    assert collapsed.found.test == "one-sample t (the first arm's seeds all equal 0)" and collapsed.admitted
    assert "one-sample t (the first arm's seeds all equal 0)" in collapsed.clause()
    assert both.found.test == "both arms' seeds identical: no test" and not both.admitted


def test_a_null_family_of_twenty_comparisons_makes_false_claims_at_the_corrected_rate():
    """20 comparisons of 5 seeds against 5 drawn from one distribution, 400 times: Holm keeps
    the share of families with any false claim at about 5% or less (uncorrected: about 64%)."""
    rng = np.random.default_rng(0)
    families, with_claim, uncorrected = 400, 0, 0
    for _ in range(families):
        tests = [("accuracy", rng.normal(0.8, 0.05, 5), rng.normal(0.8, 0.05, 5)) for _ in range(20)]
        claims = judge(tests)
        with_claim += any(claim.admitted for claim in claims)
        uncorrected += any(claim.found.p < 0.05 and claim.matters for claim in claims)
    rate = with_claim / families
    print(f"null family of 20: false-claim rate {rate:.3f} with Holm, {uncorrected / families:.3f} without")
    assert rate <= 0.07 and uncorrected / families > 0.4
    assert said(claims) is None or all(claim.admitted for claim in claims if claim.clause())


@pytest.mark.parametrize(("a_seeds", "b_seeds"), [(3, 3), (3, 1), (1, 3), (5, 5)])
def test_one_test_drawn_from_no_difference_excludes_zero_about_five_percent_of_the_time(a_seeds, b_seeds):
    rng = np.random.default_rng(0)
    trials = 2000
    hits = sum(difference(rng.normal(0, 1, a_seeds), rng.normal(0, 1, b_seeds)).excludes_zero for _ in range(trials))
    assert 0.02 < hits / trials < 0.07
