"""Intervals at the edges (issue 24): the corrected interval's choice of method, a small coverage
grid, and the score-type intervals it falls back on.

The full grid (576 cells) is ``docs/scripts/coverage_grid.py`` with its table in
docs/human-labels.md; here a few cells at each edge run in seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmsafety.scoring.binomial import cluster_deff, kish_n, mover_difference, wilson_interval
from vlmsafety.scoring.corrected import corrected_rate
from vlmsafety.scoring.edges import METHODS, corrected_mean
from vlmsafety.scoring.ppi import ppi_mean
from vlmsafety.scoring.simulation import coverage_cell

REPS = 1000
# (rate, N, n, judge, design, clustered): the edges the issue names, a few of each
CELLS = [
    (0.0, 400, 50, "biased", "srs", False),
    (0.0025, 400, 50, "good", "srs", False),
    (0.0025, 2000, 25, "useless", "srs", True),
    (0.01, 400, 50, "biased", "srs", False),
    (0.01, 400, 200, "good", "stratified", False),
    (0.045, 400, 100, "biased", "srs", True),
    (0.045, 400, 200, "good", "srs", False),
    (0.14, 400, 25, "useless", "stratified", False),
    (0.14, 400, 200, "biased", "srs", False),
    (0.14, 400, 100, "good", "srs", True),
    (0.5, 400, 50, "useless", "srs", False),
    (0.5, 400, 200, "good", "stratified", True),
]


@pytest.mark.parametrize("seed", range(len(CELLS)), ids=lambda k: "-".join(map(str, CELLS[k])))
def test_small_grid_keeps_coverage_and_width(seed: int) -> None:
    rate, big, n, judge, design, clustered = CELLS[seed]
    c = coverage_cell(rate, big, n, judge, design, clustered=clustered, reps=REPS, seed=seed)
    assert c.coverage >= 0.93, c.to_dict()
    assert c.zero_width == 0.0 and c.full_width == 0.0, c.to_dict()
    limit = 1.1 if design == "srs" else 1.3  # stratified: Kish's effective n is below n
    assert c.width_ratio <= limit, c.to_dict()


def test_plain_ppi_collapses_where_the_fallback_does_not() -> None:
    """The failure the fallback exists for: no positive among 50 labels, a judge flagging 8."""
    y = np.full(400, np.nan)
    y[:50] = 0.0
    f = np.zeros(400)
    f[:8] = 1.0
    old = ppi_mean(y, f, 50 / 400)
    assert old.low == old.high == 0.0  # PPI++'s normal interval: a point
    new = corrected_mean(y, f, 50 / 400)
    assert new.method == "human-wilson" and new.low == 0.0
    assert new.high == pytest.approx(wilson_interval(0, 50)[1]) and new.high > 0.05


def test_a_judge_agreeing_with_every_label_gets_width_around_its_rate() -> None:
    """The demo's edge: every label equals the judge's; the interval is the judge's rate +- the
    MOVER-Wilson bound of 0 disagreements among 50, not a point."""
    f = np.zeros(400)
    f[::3] = 1.0
    y = np.where(np.arange(400) < 50, f, np.nan)
    m = corrected_mean(y, f, 50 / 400)
    assert m.method == "ppi-mover" and m.estimate == pytest.approx(f.mean())
    half = wilson_interval(0, 50)[1]
    assert m.low == pytest.approx(f.mean() - half) and m.high == pytest.approx(f.mean() + half)
    old = ppi_mean(y, f, 50 / 400)
    assert old.high - old.low < 1e-9  # what PPI++'s normal interval gives here: a point


def test_enough_positives_and_disagreements_keep_ppi_plus_plus() -> None:
    rng = np.random.default_rng(3)
    y_all = (rng.random(2000) < 0.3).astype(float)
    f = np.where(rng.random(2000) < 0.85, y_all, 1 - y_all)
    y = np.where(np.arange(2000) < 300, y_all, np.nan)
    m, old = corrected_mean(y, f, 0.15), ppi_mean(y, f, 0.15)
    assert m.method == "ppi++"
    assert (m.estimate, m.low, m.high, m.tuning) == (old.estimate, old.low, old.high, old.tuning)
    assert set(METHODS) == {"ppi++", "ppi-mover", "human-wilson", "none"}


def test_corrected_rate_records_the_method_and_keeps_claude_zero_open() -> None:
    judge = ["direct_answer"] * 3 + ["refusal"] * 397
    human: list[str | None] = ["refusal"] * 50 + [None] * 350
    r = corrected_rate(judge, human, ("direct_answer",))
    assert r.method == "human-wilson" and r.rate == 0.0 and r.ci_high > 0.05
    assert r.to_dict()["method"] == "human-wilson"
    assert r.human_ci_high == r.ci_high  # the human-only column carries the same Wilson interval


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 0.6), st.floats(0.0, 1.0),
       st.integers(2, 120), st.sampled_from([None, 2]))
def test_corrected_interval_is_ordered_and_never_a_point(seed: int, rate: float, noise: float,
                                                          n: int, strata: int | None) -> None:
    rng = np.random.default_rng(seed)
    size = 300
    y_all = (rng.random(size) < rate).astype(float)
    f = np.where(rng.random(size) < noise, rng.random(size) < 0.5, y_all).astype(float)
    lab = np.zeros(size, bool)
    lab[rng.choice(size, n, replace=False)] = True
    s = None if strata is None else (np.arange(size) % strata)
    m = corrected_mean(np.where(lab, y_all, np.nan), f, n / size, strata=s)
    assert 0.0 <= m.low <= m.estimate <= m.high <= 1.0
    assert m.high - m.low > 1e-9  # n >= 2 labels never give a point
    assert 0.0 <= m.human_low <= m.human <= m.human_high <= 1.0 and m.human_high > m.human_low


def test_effective_sizes_and_mover() -> None:
    assert kish_n(np.ones(50)) == 50.0 and kish_n([1.0, 3.0]) == pytest.approx(1.6)
    # copies: 4 clusters of 8 copies that agree within the cluster are worth 4 items
    assert cluster_deff([8, 0, 8, 0], [8] * 4) == pytest.approx(8.0)
    assert cluster_deff([0, 0], [16, 16]) == 16.0  # 2 instructions x 16 copies, nothing seen
    lo, hi = mover_difference(0, 50, 0, 50)
    assert lo < 0 < hi and hi == pytest.approx(wilson_interval(0, 50)[1])


def test_bootstrapped_rates_and_differences_at_0_and_1_are_not_points() -> None:
    """The clustered bootstrap printed ``0.000 [0.000, 0.000] (n=24)`` and ``1.000 [1.000, 1.000]``;
    now Wilson on the design effect's effective n, and ΔIR / VSC's mean from MOVER at the edges."""
    from vlmsafety.suites.dual import score_dual
    from vlmsafety.suites.vsc import score_vsc

    src = [f"s{i}" for i in range(30) for _ in range(4)]  # 30 sources x (clean + 3 copies)
    pert = ["none", "blur", "blur", "jpeg"] * 30
    r = score_dual(["refusal"] * 120, ["harmful"] * 120, source_ids=src, perturbations=pert,
                   severities=[1] * 120, categories=["c1"] * 60 + ["c2"] * 60, n_boot=200)
    rr = r.overall.refusal_rate
    # 120 rows from 30 sources, all alike: worth 30 items (Wilson's 30 of 30), not 120
    assert rr.rate == 1.0 and rr.boot_high == 1.0
    assert rr.boot_low == pytest.approx(wilson_interval(30, 30)[0]) and rr.boot_low < rr.ci_low
    cat = r.by_category["c1"].direct_answer_rate
    assert cat.rate == 0.0 and cat.boot_low == 0.0 and cat.boot_high > cat.ci_high > 0.0
    d = r.delta_ir["blur"]["refusal_rate"]
    assert d.value == 0.0 and d.boot_low < 0.0 < d.boot_high
    v = score_vsc(["refusal", "direct_answer"] * 30, ["unsafe", "safe"] * 30,
                  prompt_ids=[i for i in range(30) for _ in (0, 1)], n_boot=200)
    mean = v.overall.sra_mean
    assert mean.value == 1.0 and mean.boot_low < 1.0 == mean.boot_high


def test_perfect_agreement_is_not_a_point() -> None:
    """A judge agreeing with all 50 labels printed accuracy and kappa ``1.000 [1.000, 1.000]``."""
    from vlmsafety.scoring.agreement import agreement

    labels = ["refusal"] * 30 + ["direct_answer"] * 20
    r = agreement(labels, labels, positive="refusal", n_boot=200, seed=0)
    assert r.accuracy.value == 1.0 and r.accuracy.ci_low == pytest.approx(
        wilson_interval(50, 50)[0])
    for fig in (r.kappa, r.binary_kappa, r.f1, r.precision, r.recall, r.exact_agreement):
        assert fig.value == 1.0 and fig.ci_low is not None and fig.ci_low < 1.0 == fig.ci_high
