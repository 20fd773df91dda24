"""Judge-corrected rates (PPI++): coverage, width and weighting by simulation, parity with ppi_py.

Every simulation is seeded and vectorised: ``REPS`` benchmarks of ``N`` items are drawn at once as
rows of a matrix, each with its own human labels, judge labels and random sample of ``n`` items,
and :func:`ppi_mean` scores all rows in one call.

Human labels: ``safe_completion`` with probability ``rate``, else ``direct_answer`` (70%) or
``refusal`` (30%); the rate is SCR (Y = 1 for a safe completion). Judges make label-dependent
errors and leave 3% of items ``unscored``:

* ``good``: keeps 92% of safe completions, calls 4% of the other answers safe completions
  (agreement with people about 95%);
* ``biased``: like ``good`` but turns 30% of direct answers into safe completions (the advice
  boilerplate read as a warning).

The estimand is the human rate over the benchmark's ``N`` items (``truth`` below, per row).
Clustered benchmarks: 200 clusters of 10 items (a DUAL source item with its perturbations) share a
cluster-level safe-completion propensity (Beta, intra-cluster correlation 0.3) and judge bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from vlmsafety.errors import LabelError, ScoringInputError
from vlmsafety.scoring.corrected import corrected_rate
from vlmsafety.scoring.ppi import ppi_cluster_bootstrap, ppi_mean, t_quantile
from vlmsafety.scoring.stats import wilson_interval

N, n, REPS = 2000, 200, 1000
SC, DA, RF, UN = 0, 1, 2, 3  # human / judge outcome codes in this file


@dataclass
class Sim:
    human: np.ndarray  # (REPS, N) codes
    judge: np.ndarray  # (REPS, N) codes, UN = unscored
    clusters: np.ndarray  # (N,)

    @property
    def y_all(self) -> np.ndarray:
        return (self.human == SC).astype(float)

    @property
    def truth(self) -> np.ndarray:
        return self.y_all.mean(axis=1)

    def f(self) -> np.ndarray:
        """Judge prediction: 1 for a safe completion, the judge's scored rate when unscored."""
        scored = self.judge != UN
        hit = (self.judge == SC) & scored
        mean = hit.sum(axis=1) / scored.sum(axis=1)
        return np.where(scored, hit.astype(float), mean[:, None])

    def agreement(self) -> float:
        return float(np.mean((self.judge == SC) == (self.human == SC)))


def simulate(rate: float, judge: str, *, clustered: bool = False, seed: int = 0,
             category: bool = False) -> Sim:
    """``category``: the first quarter of the items (category A) has twice the rate, the rest
    two thirds of it (the mean stays ``rate``)."""
    rng = np.random.default_rng(seed)
    clusters = np.repeat(np.arange(N // 10), 10)
    if category:
        p = np.broadcast_to(np.where(np.arange(N) < N // 4, 2 * rate, 2 * rate / 3), (REPS, N))
        bias = np.full((REPS, N), 0.3)
    elif clustered:  # Beta(a, b) propensity per cluster, mean `rate`, ICC 1 / (a + b + 1) = 0.3
        s = 1 / 0.3 - 1
        p = rng.beta(rate * s, (1 - rate) * s, size=(REPS, N // 10))[:, clusters]
        bias = rng.uniform(0.0, 0.6, size=(REPS, N // 10))[:, clusters]  # mean 0.3
    else:
        p = np.full((REPS, N), rate)
        bias = np.full((REPS, N), 0.3)
    u = rng.random((REPS, N))
    human = np.where(u < p, SC, np.where(rng.random((REPS, N)) < 0.7, DA, RF))
    v = rng.random((REPS, N))
    to_sc = np.where(human == SC, 0.92, 0.04)
    if judge == "biased":
        to_sc = np.where(human == DA, 0.04 + bias, to_sc)
    says_sc = v < to_sc
    judged = np.where(says_sc, SC, np.where(human == SC, DA, human))
    judged = np.where(rng.random((REPS, N)) < 0.03, UN, judged)
    return Sim(human, judged, clusters)


def srs(rng: np.random.Generator, reps: int = REPS) -> np.ndarray:
    """(reps, N) mask of a simple random sample of n items per row."""
    idx = np.argpartition(rng.random((reps, N)), n, axis=1)[:, :n]
    mask = np.zeros((reps, N), bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


def covers(low: np.ndarray, high: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((low <= truth) & (truth <= high)))


def run(sim: Sim, seed: int, **kw: object) -> object:
    mask = srs(np.random.default_rng(seed))
    y = np.where(mask, sim.y_all, np.nan)
    return ppi_mean(y, sim.f(), n / N, **kw)  # type: ignore[arg-type]  # test helper: kw typed loosely


def judge_only(sim: Sim) -> tuple[np.ndarray, np.ndarray]:
    scored = sim.judge != UN
    return wilson_interval(((sim.judge == SC) & scored).sum(axis=1), scored.sum(axis=1))


@pytest.mark.parametrize("rate", [0.05, 0.30])
@pytest.mark.parametrize("clustered", [False, True], ids=["iid", "clustered"])
@pytest.mark.parametrize("judge", ["good", "biased"])
def test_corrected_interval_covers_the_human_rate(rate: float, clustered: bool, judge: str) -> None:
    sim = simulate(rate, judge, clustered=clustered, seed=int(rate * 100) + 7 * clustered)
    m = run(sim, seed=1)
    cov = covers(m.low, m.high, sim.truth)  # type: ignore[attr-defined]  # PPIMean of arrays
    assert cov >= 0.93, f"coverage {cov:.3f}"
    human_cov = covers(m.human_low, m.human_high, sim.truth)  # type: ignore[attr-defined]  # same
    assert human_cov >= 0.90, f"human-only coverage {human_cov:.3f}"
    if judge == "biased":  # the judge alone misses the human rate
        low, high = judge_only(sim)
        assert covers(low, high, sim.truth) <= 0.50


@pytest.mark.parametrize("rate", [0.05, 0.30])
def test_a_good_judge_narrows_the_interval(rate: float) -> None:
    sim = simulate(rate, "good", seed=5)
    assert sim.agreement() >= 0.80
    m = run(sim, seed=6)
    width = np.median(m.high - m.low)  # type: ignore[attr-defined]  # PPIMean of arrays
    human_width = np.median(m.human_high - m.human_low)  # type: ignore[attr-defined]  # same
    assert width < 0.8 * human_width, (width, human_width)
    assert np.median(m.tuning) > 0.4  # type: ignore[attr-defined]  # the tuning trusts this judge


def test_a_useless_judge_falls_back_to_the_human_sample() -> None:
    """A judge independent of people gets tuning ~0: no worse than the human-only interval."""
    sim = simulate(0.30, "good", seed=8)
    noise = np.random.default_rng(9).random((REPS, N)) < 0.3
    m = ppi_mean(np.where(srs(np.random.default_rng(10)), sim.y_all, np.nan), noise, n / N)
    assert np.median(m.tuning) < 0.1
    ratio = np.median((m.high - m.low) / (m.human_high - m.human_low))
    assert ratio <= 1.01


def stratified_sample(in_a: np.ndarray, n_a: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """n_a items among those of category A (``in_a``), n - n_a among the rest, per row.

    Returns the sample mask and each item's inclusion probability."""
    key = np.where(in_a, 0.0, 2.0) + rng.random((REPS, N))
    pos = np.argsort(np.argsort(key, axis=1), axis=1)
    n_first = int(in_a.sum())
    mask = np.where(in_a, pos < n_a, (pos >= n_first) & (pos < n_first + (n - n_a)))
    prob = np.where(in_a, n_a / n_first, (n - n_a) / (N - n_first))
    return mask, np.broadcast_to(prob, (REPS, N))


@pytest.mark.parametrize("rate", [0.05, 0.30])
def test_unequal_allocation_is_weighted_back(rate: float) -> None:
    """Half the labels go to category A (a quarter of the items, twice the rate): the weighted
    (stratified) estimator covers; the same sample averaged without weights does not."""
    sim = simulate(rate, "biased", seed=11, category=True)
    in_a = np.arange(N) < N // 4
    mask, prob = stratified_sample(in_a, n // 2, np.random.default_rng(12))
    y = np.where(mask, sim.y_all, np.nan)
    m = ppi_mean(y, sim.f(), prob, strata=in_a.astype(int))
    assert covers(m.low, m.high, sim.truth) >= 0.93
    assert covers(m.human_low, m.human_high, sim.truth) >= 0.90
    assert np.median(m.high - m.low) < np.median(m.human_high - m.human_low)
    naive = ppi_mean(y, sim.f(), n / N)  # pretends the sample was simple random
    # its bias is 2/3 of the rate: beyond the interval at 0.30, about one standard error at 0.05
    assert covers(naive.human_low, naive.human_high, sim.truth) <= (0.50 if rate > 0.1 else 0.92)
    assert covers(naive.low, naive.high, sim.truth) < covers(m.low, m.high, sim.truth)


def test_population_estimand_with_cluster_influence_covers_the_process_rate() -> None:
    """Target the generating rate (0.30) on clustered items: the cluster-level influence interval
    covers; the same interval with items treated as independent covers less."""
    sim = simulate(0.30, "biased", clustered=True, seed=13)
    mask = srs(np.random.default_rng(14))
    y = np.where(mask, sim.y_all, np.nan)
    m = ppi_mean(y, sim.f(), n / N, clusters=sim.clusters, estimand="population")
    assert covers(m.low, m.high, 0.30) >= 0.93
    flat = ppi_mean(y, sim.f(), n / N, estimand="population")
    assert np.median(m.se / flat.se) > 1.1  # the clusters widen the interval ...
    assert covers(flat.low, flat.high, 0.30) < covers(m.low, m.high, 0.30)  # ... where needed


@pytest.mark.slow
def test_clustered_bootstrap_covers_the_process_rate() -> None:
    sim = simulate(0.30, "biased", clustered=True, seed=15)
    reps = 200
    mask = srs(np.random.default_rng(16), reps)
    hits = 0
    for r in range(reps):
        y = np.where(mask[r], sim.y_all[r], np.nan)
        f = sim.f()[r]
        m = ppi_mean(y, f, n / N, clusters=sim.clusters, estimand="population")
        lo, hi = ppi_cluster_bootstrap(y, f, np.full(N, n / N), sim.clusters, m.tuning,
                                       n_boot=500, seed=r)
        hits += lo <= 0.30 <= hi
    assert hits / reps >= 0.90, hits / reps


def test_parity_with_ppi_py() -> None:
    """Same numbers as ppi_py.ppi_mean_ci (alpha 0.05) on iid items, the whole benchmark passed as
    the unlabelled set: plain PPI (lam = 1), classical (lam = 0) and power-tuned."""
    ppi_py = pytest.importorskip("ppi_py", reason="ppi_py (test extra) is not installed")
    sim = simulate(0.30, "biased", seed=17)
    mask = srs(np.random.default_rng(18), 20)
    f_all = sim.f()
    for r in range(20):
        y = np.where(mask[r], sim.y_all[r], np.nan)
        lab = mask[r]
        for lam in (1.0, 0.0, None):
            lo, hi = ppi_py.ppi_mean_ci(sim.y_all[r][lab], f_all[r][lab], f_all[r], alpha=0.05,
                                        lam=lam)
            m = ppi_mean(y, f_all[r], n / N, estimand="population", tuning=lam, folds=1,
                         t_interval=False)
            # ppi_py's standard deviations divide by n, ours by n - 1; its power tuning pools the
            # judge's variance over labelled and unlabelled items, ours takes each on its own.
            tol = 2e-3 if lam is None else 5e-4
            assert abs(float(lo[0]) - m.low) < tol and abs(float(hi[0]) - m.high) < tol, (
                r, lam, (float(lo[0]), float(hi[0])), (m.low, m.high))


# --- the label-level function -----------------------------------------------------------------


def test_corrected_rate_on_labels_restricts_to_the_subset_and_counts() -> None:
    judge = ["safe_completion", "direct_answer", "unscored", "refusal", "safe_completion", "refusal"]
    human = ["safe_completion", "safe_completion", None, "unscored", "direct_answer", None]
    harmful = [True, True, True, True, False, False]
    r = corrected_rate(judge, human, ("safe_completion",), domain=harmful,
                       sampling_prob=[0.5] * 6)
    assert (r.n, r.n_human, r.n_judge_unscored, r.n_human_unscored) == (4, 2, 1, 1)
    assert r.judge_rate == pytest.approx(1 / 3)  # over the 3 scored harmful items
    assert r.human_rate == 1.0
    assert 0.0 <= r.ci_low <= r.rate <= r.ci_high <= 1.0
    d = r.to_dict()
    assert d["boot_low"] is None and d["estimand"] == "items"


def test_corrected_rate_population_bootstrap_is_seeded() -> None:
    rng = np.random.default_rng(0)
    judge = list(rng.choice(["refusal", "direct_answer"], 300))
    human = [j if rng.random() < 0.3 else None for j in judge]
    kw = {"clusters": [i // 3 for i in range(300)], "estimand": "population", "n_boot": 200,
          "seed": 4}
    a = corrected_rate(judge, human, ("refusal",), **kw)  # type: ignore[arg-type]  # kw literal
    b = corrected_rate(judge, human, ("refusal",), **kw)  # type: ignore[arg-type]  # kw literal
    assert a == b and a.boot_low <= a.rate <= a.boot_high
    # a perfect judge: between the sample's rate and the judge's, with a narrower interval
    assert min(a.human_rate, a.judge_rate) <= a.rate <= max(a.human_rate, a.judge_rate)
    assert a.ci_high - a.ci_low < a.human_ci_high - a.human_ci_low


def test_corrected_rate_rejects_bad_input() -> None:
    with pytest.raises(ScoringInputError, match="human_labels"):
        corrected_rate(["refusal"], [None, None], ("refusal",))
    with pytest.raises(LabelError, match="position 0"):
        corrected_rate(["refusal"], ["Refusal"], ("refusal",))
    with pytest.raises(ScoringInputError, match="numerator label"):
        corrected_rate(["refusal"], [None], ("refusals",))
    with pytest.raises(ScoringInputError, match="sampling_prob"):
        corrected_rate(["refusal"], ["refusal"], ("refusal",), sampling_prob=[0.0])
    with pytest.raises(ScoringInputError, match="estimand"):
        corrected_rate(["refusal"], [None], ("refusal",), estimand="superpopulation")  # type: ignore[arg-type]  # the bad value under test


def test_too_few_labels_give_nan_not_a_number() -> None:
    r = corrected_rate(["refusal", "direct_answer"], ["refusal", None], ("refusal",))
    assert r.n_human == 1 and math.isnan(r.rate) and math.isnan(r.ci_low)


def test_t_quantile_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats", reason="scipy comes with the test extra (ppi_python)")
    df = np.array([3.0, 4, 8, 16, 30, 100, 1000])
    assert np.allclose(t_quantile(0.95, df), stats.t.ppf(0.975, df), atol=5e-3)
    assert np.allclose(t_quantile(0.9, df), stats.t.ppf(0.95, df), atol=5e-3)


def test_ppi_mean_rejects_bad_options() -> None:
    with pytest.raises(ScoringInputError, match="folds"):
        ppi_mean([1.0, np.nan], [1.0, 0.0], 0.5, folds=0)
    with pytest.raises(ScoringInputError, match="sampling_prob"):
        ppi_mean([1.0, np.nan], [1.0, 0.0], 1.5)
