"""Wilson intervals, clustered bootstrap, paired difference and McNemar on small known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.stats import (
    cluster_bootstrap_counts,
    mcnemar,
    paired_bootstrap_difference,
    percentile_interval,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # Standard Wilson score interval tables (z = 1.959964), e.g. Newcombe (1998), Table I.
        (8, 10, 0.4902, 0.9433),
        (0, 5, 0.0, 0.4345),
        (5, 5, 0.5655, 1.0),
        (15, 148, 0.0624, 0.1605),
    ],
)
def test_wilson_known_values(count: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(count, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


def test_wilson_boundary_fix_keeps_coverage_just_above_zero() -> None:
    # Exact binomial coverage at p = 0.25% with 50 labels: plain Wilson covers only when no
    # success is seen (0.882); the Poisson lower bound for 1-3 successes restores it.
    p, n = 0.0025, 50
    k = np.arange(n + 1)
    pmf = np.array([math.comb(n, int(j)) * p**j * (1 - p) ** (n - j) for j in k])
    lo, hi = wilson_interval(k, np.full(k.size, n))
    assert float(pmf[(lo <= p) & (p <= hi)].sum()) >= 0.95
    assert wilson_interval(0, n)[1] > 0 and wilson_interval(n, n)[0] < 1


def test_wilson_zero_n_is_nan_and_vectorised() -> None:
    lo, hi = wilson_interval(0, 0)
    assert math.isnan(lo) and math.isnan(hi)
    los, his = wilson_interval(np.array([0, 8]), np.array([0, 10]))
    assert math.isnan(los[0]) and round(float(his[1]), 4) == 0.9433


def test_wilson_rejects_bad_counts() -> None:
    with pytest.raises(ScoringInputError, match="0 <= count <= n"):
        wilson_interval(3, 2)
    with pytest.raises(ScoringInputError, match="confidence"):
        wilson_interval(1, 2, confidence=95)


def test_bootstrap_one_cluster_always_draws_everything() -> None:
    reps = cluster_bootstrap_counts(np.zeros(5, np.int64), np.array([0, 0, 1, 1, 1]),
                                    n_clusters=1, n_cells=2, n_boot=50, seed=3)
    assert (reps == [2, 3]).all()


def test_bootstrap_equal_clusters_keep_total_mass_and_mean() -> None:
    # 100 clusters of 2 rows each: every replicate draws 100 clusters = 200 rows.
    clusters = np.repeat(np.arange(100), 2)
    cells = np.tile([0, 1], 100)
    reps = cluster_bootstrap_counts(clusters, cells, n_clusters=100, n_cells=2, n_boot=400, seed=0)
    assert (reps.sum(axis=1) == 200).all()
    assert (reps == 100).all()  # each cluster has one entry per cell


def test_bootstrap_is_seeded_and_blocked_identically() -> None:
    rng = np.random.default_rng(1)
    clusters = rng.integers(0, 30, 200)
    cells = rng.integers(0, 4, 200)
    a = cluster_bootstrap_counts(clusters, cells, n_clusters=30, n_cells=4, n_boot=100, seed=7)
    b = cluster_bootstrap_counts(clusters, cells, n_clusters=30, n_cells=4, n_boot=100, seed=7)
    c = cluster_bootstrap_counts(clusters, cells, n_clusters=30, n_cells=4, n_boot=100, seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # Replicates are sums of whole clusters: the mean over many replicates is near the total.
    assert np.allclose(a.mean(axis=0), np.bincount(cells, minlength=4), rtol=0.15)


def test_bootstrap_weights_scale_counts() -> None:
    reps = cluster_bootstrap_counts(np.array([0]), np.array([0]), n_clusters=1, n_cells=1,
                                    n_boot=3, seed=0, weights=np.array([4.0]))
    assert (reps == 4).all()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bootstrap_rejects_bad_n_boot(bad: object) -> None:
    with pytest.raises(ScoringInputError, match="n_boot"):
        cluster_bootstrap_counts(np.array([0]), np.array([0]), n_clusters=1, n_cells=1,
                                 n_boot=bad)  # type: ignore[arg-type]


def test_percentile_interval_skips_nan_columns() -> None:
    lo, hi = percentile_interval(np.array([[np.nan, 1.0], [np.nan, 3.0]]))
    assert math.isnan(lo[0]) and math.isnan(hi[0]) and 1.0 <= lo[1] <= hi[1] <= 3.0


def test_paired_difference_known_cases() -> None:
    # No discordant item: a zero difference, but not a zero-width interval (the bootstrap gives
    # [0, 0]); the MOVER-Wilson bound of 0 of 4 items either way.
    same = paired_bootstrap_difference([1, 0, 1, 0], [1, 0, 1, 0], n_boot=200, min_clusters=1)
    half = wilson_interval(0, 4)[1]
    assert same.estimate == 0.0 and same.method == "mover-wilson"
    assert same.ci_low == pytest.approx(-half) and same.ci_high == pytest.approx(half)
    flip = paired_bootstrap_difference([0, 0, 0], [1, 1, 1], n_boot=200, min_clusters=1)
    assert flip.estimate == 1.0 and flip.ci_high == 1.0 and 0.0 < flip.ci_low < 1.0
    # Masks: model A scored on 2 items (1 right), model B on 4 (3 right): 0.75 - 0.5.
    d = paired_bootstrap_difference([1, 0, 1, 1], [1, 1, 1, 0], mask_a=[1, 1, 0, 0], n_boot=0)
    assert (d.rate_a, d.rate_b, d.estimate, d.n_a, d.n_b) == (0.5, 0.75, 0.25, 2, 4)
    assert math.isnan(d.ci_low) and d.to_dict()["ci_low"] is None


def test_paired_difference_clusters_widen_the_interval() -> None:
    rng = np.random.default_rng(0)
    clusters = np.repeat(np.arange(20), 10)  # 20 prompts x 10 images, outcome set per prompt
    a = np.repeat(rng.integers(0, 2, 20), 10)
    b = np.repeat(rng.integers(0, 2, 20), 10)
    plain = paired_bootstrap_difference(a, b, n_boot=500, seed=1)
    clustered = paired_bootstrap_difference(a, b, clusters=clusters, n_boot=500, seed=1)
    assert plain.estimate == clustered.estimate
    assert (clustered.ci_high - clustered.ci_low) > 2 * (plain.ci_high - plain.ci_low)


def test_paired_difference_errors() -> None:
    with pytest.raises(ScoringInputError, match="differ in length: 2 != 1"):
        paired_bootstrap_difference([1, 0], [1])
    with pytest.raises(ScoringInputError, match="empty"):
        paired_bootstrap_difference([], [])
    with pytest.raises(ScoringInputError, match=r"position 1: 2 is not a binary outcome"):
        paired_bootstrap_difference([1, 2], [1, 1])


def test_mcnemar_known_values() -> None:
    # b10 = 9, b01 = 1: exact two-sided p = 2 * (1 + 10) / 2**10 = 22/1024; mid-p = 12/1024;
    # chi2 with continuity correction (|1 - 9| - 1)^2 / 10 = 4.9, without 6.4.
    a = [1] * 9 + [0] + [1, 0] * 5
    b = [0] * 9 + [1] + [1, 0] * 5
    assert mcnemar(a, b).p_value == 22 / 1024
    assert mcnemar(a, b, method="mid-p").p_value == 12 / 1024
    chi = mcnemar(a, b, method="chi2")
    assert chi.statistic == pytest.approx(4.9) and chi.p_value == pytest.approx(0.026857, abs=1e-6)
    raw = mcnemar(a, b, method="chi2", correction=False)
    assert raw.statistic == pytest.approx(6.4) and raw.p_value == pytest.approx(0.011412, abs=1e-6)


def test_mcnemar_edge_cases() -> None:
    none = mcnemar([1, 0], [1, 0])
    assert (none.n, none.p_value) == (0, 1.0)
    tie = mcnemar([1, 0], [0, 1])
    assert tie.p_value == 1.0 and mcnemar([1, 0], [0, 1], method="mid-p").p_value == 1.0
    big = mcnemar([1] * 6000 + [0] * 5000, [0] * 6000 + [1] * 5000)  # log-space path
    assert 0.0 < big.p_value < 1e-15 or big.p_value == 0.0
    with pytest.raises(ScoringInputError, match="unknown McNemar method 'fisher'"):
        mcnemar([1], [1], method="fisher")  # type: ignore[arg-type]
