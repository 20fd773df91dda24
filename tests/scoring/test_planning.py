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


def test_a_perfect_judge_needs_one_label_and_the_variance_is_var_over_n_plus_n() -> None:
    # lam = N / (N + n) gives Var = 0.21 / (N + n): 2z sqrt(0.21 / 10001) = 0.0180 < 0.05
    v, lam = ppi_variance(Moments(0.3, 0.3, 0.3), 1, 10_000)
    assert v == pytest.approx(0.21 / 10_001) and lam == pytest.approx(10_000 / 10_001)
    assert labels_needed(Moments(0.3, 0.3, 0.3), n_items=10_000, target_width=0.05
                         ).n_corrected == 1


def test_finite_n_items_term_and_unreachable_targets() -> None:
    # a perfect judge: Var = 0.21 / (N + n) <= (0.02 / 2z)^2 needs N + n >= 0.21 * 38414.59
    # = 8067.06: over N = 1000 items n = 7068 > N (not reachable); over N = 5000, n = 3068
    plan = labels_needed(Moments(0.3, 0.3, 0.3), n_items=1000, target_width=0.02)
    assert plan.n_corrected is None
    plan = labels_needed(Moments(0.3, 0.3, 0.3), n_items=5000, target_width=0.02)
    assert plan.n_corrected == math.ceil(0.21 * (2 * Z / 0.02) ** 2 - 5000) == 3068
    assert plan.n_human_only is None  # 8068 > 5000


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
