"""Labels needed for a target width: hand-computed cases (z = 1.959964 for 95%)."""

from __future__ import annotations

import math

import pytest

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.planning import (
    Moments,
    labels_needed,
    moments_from_accuracy,
    moments_from_pilot,
    ppi_variance,
)

Z = 1.959963984540054
K = (2 * Z / 0.05) ** 2  # (2z / w)^2 = 6146.33...: n = Var * K


def test_human_only_is_var_times_k() -> None:
    # p = 0.3: Var(Y) = 0.21, n = ceil(0.21 * 6146.33) = ceil(1290.73) = 1291
    plan = labels_needed(Moments(0.3, 0.3, 0.09), n_items=100_000, target_width=0.05)
    assert K == pytest.approx(6146.33, abs=0.01)
    assert plan.n_human_only == math.ceil(0.21 * K) == 1291
    assert plan.n_corrected == 1291 and plan.lam == 0.0  # an independent judge adds nothing


def test_a_judge_with_correlation_rho_saves_rho_squared() -> None:
    # p = q = 0.5, P(Y=1, f=1) = 0.45: Cov = 0.2, rho = 0.2 / 0.25 = 0.8; as N -> infinity
    # Var = Var(Y) (1 - rho^2) / n, so n = 0.25 * 0.36 * K = 553.17 -> 554
    plan = labels_needed(Moments(0.5, 0.5, 0.45), n_items=10**12, target_width=0.05)
    assert plan.n_corrected == math.ceil(0.25 * 0.36 * K) == 554
    assert plan.lam == pytest.approx(0.8, abs=1e-6)
    assert plan.moments.agreement == pytest.approx(0.9)


def test_a_perfect_judge_still_needs_the_labels_that_show_it() -> None:
    # lam = N / (N + n) gives Var = 0.21 / (N + n): 2z sqrt(0.21 / 10001) = 0.0180 < 0.05 with one
    # label, the normal theory's promise. With no disagreement in the sample the interval is the
    # MOVER-Wilson one, the judge's rate +- z^2 / (n + z^2) (issue 24): 2 z^2 / (n + z^2) <= 0.05
    # needs n >= 2 z^2 / 0.05 - z^2 = 149.8 -> 150.
    v, lam = ppi_variance(Moments(0.3, 0.3, 0.3), 1, 10_000)
    assert v == pytest.approx(0.21 / 10_001) and lam == pytest.approx(10_000 / 10_001)
    plan = labels_needed(Moments(0.3, 0.3, 0.3), n_items=10_000, target_width=0.05)
    assert plan.n_corrected == math.ceil(2 * Z**2 / 0.05 - Z**2) == 150
    assert plan.method == "ppi-mover"


def test_rare_rates_need_the_wilson_labels_and_warn_about_few_positives() -> None:
    # a rate of 0: the normal theory needs 1 label (variance 0); 0 of n bounds it by z^2/(n+z^2),
    # so a width of 0.05 needs n >= z^2 / 0.05 - z^2 = 73.0 -> 74 (Wilson's upper bound at 0)
    plan = labels_needed(Moments(0.0, 0.01, 0.0), n_items=2000, target_width=0.05)
    assert plan.n_human_only == plan.n_corrected == math.ceil(Z**2 / 0.05 - Z**2)
    assert plan.few_positives and plan.method == "human-wilson"
    # 1% unsafe, a judge flagging 5% that finds 90%: few positives at the plan's n
    plan = labels_needed(Moments(0.01, 0.05, 0.009), n_items=2000, target_width=0.05)
    assert plan.expected_positives < 5 and plan.to_dict()["few_positives"] is True
    # Neyman allocation by the judge's verdict puts ~38% of labels on the 5% flagged items, but
    # with 0 positives expected among the rest it cannot beat the simple sample here
    assert 0.3 < plan.flagged_share < 0.45
    assert plan.n_stratified is not None and plan.n_stratified >= plan.n_human_only
    # 10% unsafe, a judge flagging 12% that finds 90%: the stratified sample needs fewest
    plan = labels_needed(Moments(0.1, 0.12, 0.09), n_items=2000, target_width=0.05)
    assert plan.n_stratified is not None and plan.n_corrected is not None
    assert plan.n_stratified < plan.n_corrected < plan.n_human_only


def test_finite_n_items_term_and_unreachable_targets() -> None:
    # an independent judge: Var = 0.21 / n <= (0.02 / 2z)^2 needs n >= 8067.06: over N = 5000
    # items it is not reachable; a good judge (agreement 0.98) over N = 5000 reaches it
    plan = labels_needed(Moments(0.3, 0.3, 0.09), n_items=5000, target_width=0.02)
    assert plan.n_corrected is None and plan.n_human_only is None  # 8068 > 5000
    plan = labels_needed(Moments(0.3, 0.3, 0.29), n_items=5000, target_width=0.02)
    assert plan.n_corrected is not None and plan.n_corrected < 5000 and plan.method == "ppi++"


def test_moments() -> None:
    m = moments_from_accuracy(0.34, 0.9)  # 0.34 = 0.9 p + 0.1 (1 - p) -> p = 0.3
    assert m.human_rate == pytest.approx(0.3) and m.joint_rate == pytest.approx(0.27)
    assert moments_from_accuracy(0.02, 0.9).human_rate == 0.0  # clipped
    m = moments_from_pilot([True, False, True, True], [True, False, False, True])
    assert (m.human_rate, m.judge_rate, m.joint_rate, m.n_pilot) == (0.75, 0.5, 0.5, 4)
    assert m.covariance == pytest.approx(0.5 - 0.375)
    with pytest.raises(ScoringInputError, match=r"accuracy must be in \(0.5, 1\], got 0.5"):
        moments_from_accuracy(0.3, 0.5)
    with pytest.raises(ScoringInputError, match="no item"):
        moments_from_pilot([], [])
    with pytest.raises(ScoringInputError, match=r"target_width must be in \(0, 1\]"):
        labels_needed(m, n_items=10, target_width=0)
