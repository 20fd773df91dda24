"""Judge-corrected rates: prediction-powered inference (PPI++) from a random sample of human labels.

A judge labels all ``N`` items of a benchmark; people label a random sample of them. The
**estimand** is the rate a person would give over the benchmark's items (the same items and subset
as the judge-only rate, e.g. the harmful items for SCR). The corrected estimate is the judge's rate
over every item plus the judge's error measured on the sample, the error term weighted by the
inverse of each item's sampling probability::

    theta(lam) = lam * F  +  (Y_w - lam * f_w)

``F`` is the judge's rate over the subset's ``N_d`` items, ``Y_w`` and ``f_w`` the human and judge
rates over the labelled items of the subset, each weighted by ``1 / sampling_prob`` (Hajek). For a
fixed ``lam`` the estimate is (approximately) unbiased whatever the judge's errors; ``lam = 0`` is
the human-only estimate, ``lam = 1`` the original PPI estimate (Angelopoulos, Bates, Fannjiang,
Jordan & Zrnic, "Prediction-powered inference", Science 382, 2023), and the variance-minimising
``lam`` is the power tuning of PPI++ (Angelopoulos, Duchi & Zrnic, "PPI++: Efficient
prediction-powered inference", arXiv 2311.01453, 2024), clipped to [0, 1] so a useless judge falls
back to the human-only estimate.

**Sampling design.** The sample is stratified (``strata``; one stratum if omitted) and each labelled
item carries its inclusion probability, so a sample with unequal allocation (e.g. more labels where
the judge is unsure) is weighted back to the benchmark: the variance is the stratified
linearisation (Taylor) variance of the weighted residuals, with the finite-population correction
``1 - n_h / N_h`` per stratum.

**Tuning and interval.** ``lam`` is estimated with cross-fitting (``folds``, default 2): the
labelled items of each fold use the ``lam`` tuned on the other folds, so the variance is not
understated by choosing ``lam`` on the very residuals it is judged by (with one fold, the plug-in
``lam`` of PPI++). The interval is ``estimate +- t * se`` with Student's ``t`` at an effective
number of degrees of freedom from the residuals' fourth moment (``2 m2**2 / (m4 - m2**2)`` per
residual), which widens it when few items disagree (a rare rate); ``t_interval=False`` gives the
normal interval of the papers. tests/scoring/test_ppi.py measures both choices.

**Two estimands** (``estimand``):

* ``"items"`` (default): the human rate over *these* items. ``F`` is then a known constant and the
  only randomness is which items were drawn; as items are drawn one by one, clusters (DUAL source
  items, VSC prompts) do not enter the variance: correlated items change *what* the rate is, not
  how the random draw scatters around it. tests/scoring/test_ppi.py shows the coverage on strongly
  clustered items.
* ``"population"``: the rate of the process the items come from (the PPI++ paper's setting). The
  judge's mean ``F`` is then random too, adding ``lam**2 * Var(F)``; both parts use cluster-level
  influence (residuals summed per cluster) when ``clusters`` are given, and ``n_boot`` adds a
  percentile interval from resampling whole clusters. With iid items, a simple random sample,
  ``folds=1`` and ``t_interval=False`` it is ``ppi_py.ppi_mean_ci`` with the whole benchmark as the
  unlabelled set.

A judge's ``unscored`` is one more judge output: its prediction is the judge's rate over the
subset's scored items (any fixed prediction keeps the estimate valid; this one costs least when
unscored items are like the rest). Human labels of ``unscored`` ("cannot tell") are left out of the
sample and counted.

The label-level entry point is :func:`vlmsafety.scoring.corrected.corrected_rate`.
Pure numpy: no files, no logging, no global random state.

Example:
    >>> y = [1, np.nan, 0, np.nan, np.nan, np.nan, 0, np.nan, np.nan, 0]
    >>> f = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    >>> m = ppi_mean(y, f, 0.4, folds=1)
    >>> float(m.judge), float(m.human), int(m.n_human), float(m.tuning)
    (0.6, 0.25, 4, 0.5)
    >>> round(float(m.estimate), 3), bool(m.low <= m.estimate <= m.high)
    (0.3, True)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.inputs import check_option
from vlmsafety.scoring.stats import DEFAULT_CONFIDENCE, DEFAULT_SEED, _z, percentile_interval

__all__ = [
    "ESTIMANDS",
    "Estimand",
    "PPIMean",
    "ppi_cluster_bootstrap",
    "ppi_mean",
    "t_quantile",
]

Estimand = Literal["items", "population"]
ESTIMANDS: tuple[str, ...] = ("items", "population")


@dataclass(frozen=True)
class PPIMean:
    """The result of :func:`ppi_mean`: floats for one benchmark, arrays for a batch.

    Attributes:
        estimate: PPI++ estimate of the human rate.
        low: Lower bound of its interval, clipped to [0, 1] (``nan`` with < 2 labelled items).
        high: Upper bound.
        se: Standard error of ``estimate``.
        tuning: The power-tuning weight ``lam`` in [0, 1] (mean over folds, weighted).
        human: Human-only (weighted) estimate on the sample.
        human_low: Its interval, lower bound.
        human_high: Upper bound.
        judge: The judge's mean prediction over the subset (``F``).
        n: Items in the subset.
        n_human: Labelled items in the subset.
    """

    estimate: Any
    low: Any
    high: Any
    se: Any
    tuning: Any
    human: Any
    human_low: Any
    human_high: Any
    judge: Any
    n: Any
    n_human: Any


def t_quantile(confidence: float, df: Any) -> Any:
    """Two-sided Student ``t`` quantile (Cornish-Fisher expansion in ``1 / df``, Abramowitz and
    Stegun 26.7.5); ``df`` below 3 counts as 3, ``inf`` gives the normal quantile.

    Example:
        >>> round(float(t_quantile(0.95, 10)), 3), round(float(t_quantile(0.95, np.inf)), 3)
        (2.228, 1.96)
    """
    z = _z(confidence)
    inv = 1.0 / np.maximum(np.asarray(df, np.float64), 3.0)
    terms = ((z**3 + z) / 4, (5 * z**5 + 16 * z**3 + 3 * z) / 96,
             (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
             (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160)
    return z + sum(g * inv ** (k + 1) for k, g in enumerate(terms))


def _group_sums(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """``(R, n_groups)`` sums of ``values`` (R, N) by ``codes`` (R, N), row by row."""
    rows = values.shape[0]
    flat = codes + (np.arange(rows, dtype=np.int64) * n_groups)[:, None]
    return np.bincount(flat.ravel(), weights=np.asarray(values, np.float64).ravel(),
                       minlength=rows * n_groups).reshape(rows, n_groups)


def _as_batch(x: Any, dtype: type) -> np.ndarray:
    arr: np.ndarray = np.asarray(x, dtype=dtype)
    return arr[None, :] if arr.ndim == 1 else arr


@dataclass(frozen=True)
class _Inputs:
    """The inputs of :func:`ppi_mean` as ``(R, N)`` arrays."""

    y0: np.ndarray  # human outcome, 0 where unlabelled
    f: np.ndarray
    lab: np.ndarray
    d: np.ndarray
    wd: np.ndarray  # 1 / sampling_prob on labelled items of the subset, else 0
    w: np.ndarray  # 1 / sampling_prob on labelled items
    strata: np.ndarray
    n_strata: int
    n_d: np.ndarray
    judge: np.ndarray  # F

    @classmethod
    def of(cls, y: Any, f: Any, sampling_prob: Any, domain: Any, strata: Any) -> _Inputs:
        yb, fb = _as_batch(y, np.float64), _as_batch(f, np.float64)
        shape = np.broadcast_shapes(yb.shape, fb.shape)
        yb, fb = np.broadcast_to(yb, shape), np.broadcast_to(fb, shape)
        pb = np.broadcast_to(_as_batch(np.broadcast_to(sampling_prob, shape[-1:]), np.float64)
                             if np.ndim(sampling_prob) < 2 else sampling_prob, shape)
        d = (np.ones(shape, bool) if domain is None
             else np.broadcast_to(_as_batch(domain, bool), shape))
        lab = ~np.isnan(yb)
        if np.any(lab & ~((pb > 0) & (pb <= 1))):
            raise ScoringInputError("sampling_prob of every labelled item must be in (0, 1]")
        s_codes = np.zeros(shape, np.int64) if strata is None else np.broadcast_to(
            _as_batch(strata, np.int64), shape)
        w = np.where(lab, 1.0 / np.where(lab, pb, 1.0), 0.0)
        n_d = d.sum(axis=1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            judge = np.where(d, fb, 0.0).sum(axis=1) / n_d
        return cls(np.where(lab, yb, 0.0), fb, lab, d, np.where(d, w, 0.0), w, s_codes,
                   int(s_codes.max()) + 1, n_d, judge)


@dataclass(frozen=True)
class _Design:
    """Primary sampling units (items, or clusters within strata) and their strata."""

    psu: np.ndarray  # (R, N) unit of each item
    n_psu: int
    psu_stratum: np.ndarray  # (R, n_psu)
    n_strata: int
    fpc: np.ndarray  # (R, n_strata) sampling fraction (0 for the population estimand)
    clus: np.ndarray  # (R, N) cluster of each item (items themselves without clusters)
    n_clus: int
    by_item: bool = False  # the units are the items: their totals are the values themselves

    @classmethod
    def of(cls, x: _Inputs, clusters: Any, population: bool) -> _Design:
        shape = x.f.shape
        if population:
            fpc = np.zeros((shape[0], x.n_strata))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                fpc = np.nan_to_num(_group_sums(x.lab, x.strata, x.n_strata)
                                    / _group_sums(x.w, x.strata, x.n_strata))
        if population and clusters is not None:
            clus = np.broadcast_to(_as_batch(clusters, np.int64), shape)
            n_clus = int(clus.max()) + 1
            n_psu = x.n_strata * n_clus
            psu_stratum = np.broadcast_to(np.arange(n_psu) // n_clus, (shape[0], n_psu))
            return cls(x.strata * n_clus + clus, n_psu, psu_stratum, x.n_strata, fpc, clus, n_clus)
        items = np.broadcast_to(np.arange(shape[1]), shape)
        return cls(items, shape[1], x.strata, x.n_strata, fpc, items, shape[1], by_item=True)

    def centred(self, u: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """PSU totals of ``u`` centred within strata and scaled so that the stratified
        with-replacement variance (with finite-population correction) is their sum of squares."""
        if self.by_item:
            present, tot = keep, u
        else:
            present = _group_sums(keep, self.psu, self.n_psu) > 0
            tot = _group_sums(u, self.psu, self.n_psu)
        n_h = _group_sums(present, self.psu_stratum, self.n_strata)
        s_h = _group_sums(tot, self.psu_stratum, self.n_strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            c_h = np.where(n_h > 1, (1.0 - self.fpc) * n_h / (n_h - 1.0), 0.0)
            mean_h = np.where(n_h > 0, s_h / n_h, 0.0)
        take = np.take_along_axis
        dev = tot - take(mean_h, self.psu_stratum, axis=1)
        return np.where(present, dev * np.sqrt(take(c_h, self.psu_stratum, axis=1)), 0.0)

    def judge_variance(self, x: _Inputs) -> np.ndarray:
        """Cluster-robust variance of the judge's mean over the subset (population estimand)."""
        g = np.where(x.d, x.f - x.judge[:, None], 0.0)
        if self.by_item:
            c_d = np.sum(x.d, axis=1)
        else:
            g = _group_sums(g, self.clus, self.n_clus)
            c_d = np.sum(_group_sums(x.d, self.clus, self.n_clus) > 0, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c_d > 1, c_d / (c_d - 1.0) * np.sum(g * g, axis=1) / x.n_d**2, 0.0)


def _hajek(x: _Inputs, keep: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean of ``v`` over the kept labelled items of the subset, and its linearised
    residuals (zero elsewhere)."""
    wd = np.where(keep, x.wd, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_hat = wd.sum(axis=1)
        mean = (wd * v).sum(axis=1) / n_hat
        return mean, np.nan_to_num(wd * (v - mean[:, None]) / n_hat[:, None])


def _fold_tuning(x: _Inputs, design: _Design, v_f: np.ndarray, folds: int) -> np.ndarray:
    """``lam`` per item: tuned on the labelled items outside the item's fold (all of them when
    ``folds == 1``); the fold of a labelled item is its rank among them modulo ``folds``."""
    fold = np.where(x.lab, (np.cumsum(x.lab, axis=1) - 1) % folds, -1)
    n_lab = x.lab.sum(axis=1)
    lam = np.zeros(x.f.shape)
    for k in range(folds):
        keep = x.lab & (fold != k) if folds > 1 else x.lab
        a = design.centred(_hajek(x, keep, x.y0)[1], keep)
        b = design.centred(_hajek(x, keep, x.f)[1], keep)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = keep.sum(axis=1) / n_lab  # a smaller sample's variance, to the full sample's
            v_ab, v_bb = np.sum(a * b, axis=1) * scale, np.sum(b * b, axis=1) * scale
            lam_k = np.clip(np.nan_to_num(v_ab / (v_bb + v_f)), 0.0, 1.0)
        lam = np.where(fold == k if folds > 1 else x.lab, lam_k[:, None], lam)
    return lam


def _interval(est: np.ndarray, d: np.ndarray, extra: np.ndarray, confidence: float,
              t_interval: bool, few: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(se, low, high)`` from centred PSU values ``d`` (plus a known ``extra`` variance)."""
    s2, s4 = np.sum(d * d, axis=1), np.sum(d**4, axis=1)
    m = np.sum(d != 0, axis=1)
    se = np.where(few, np.nan, np.sqrt(s2 + extra))
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = s4 - s2 * s2 / np.maximum(m, 1)
        df = np.where(excess > 0, 2.0 * s2 * s2 / excess, np.inf)
    q = t_quantile(confidence, df if t_interval else np.inf)
    return se, np.clip(est - q * se, 0.0, 1.0), np.clip(est + q * se, 0.0, 1.0)


def ppi_mean(
    y: Any,
    f: Any,
    sampling_prob: Any,
    *,
    domain: Any = None,
    strata: Any = None,
    clusters: Any = None,
    estimand: Estimand = "items",
    confidence: float = DEFAULT_CONFIDENCE,
    tuning: float | None = None,
    folds: int = 2,
    t_interval: bool = True,
) -> PPIMean:
    """PPI++ mean of binary (or [0, 1]) human outcomes with judge predictions on every item.

    Every argument is an array over the items (last axis); a 2-D array is a batch of independent
    benchmarks (simulations), scored at once.

    Args:
        y: Human outcome per item, ``nan`` where not labelled.
        f: Judge prediction per item (any fixed number; 0/1 for a label in the rate's numerator).
        sampling_prob: Inclusion probability per item (read where labelled), or one number.
        domain: Boolean mask of the rate's subset (default: every item).
        strata: Integer stratum code per item (default: one stratum).
        clusters: Integer cluster code per item (used by ``estimand="population"``).
        estimand: ``"items"`` or ``"population"`` (see the module docs).
        confidence: Level of the intervals.
        tuning: A fixed ``lam`` (1: plain PPI, 0: human-only); default: power-tuned.
        folds: Cross-fitting folds for the tuning (1: plug-in).
        t_interval: Student ``t`` at the effective degrees of freedom (default) or normal.

    Returns:
        A :class:`PPIMean` (floats for 1-D input, arrays for a batch).

    Raises:
        ScoringInputError: An unknown estimand, ``folds`` < 1, a labelled item's sampling
            probability outside (0, 1].
    """
    check_option(estimand, "estimand", ESTIMANDS)
    if not (isinstance(folds, int) and folds >= 1):
        raise ScoringInputError(f"folds must be an integer >= 1, got {folds!r}")
    one = np.ndim(y) == 1 and np.ndim(f) == 1
    x = _Inputs.of(y, f, sampling_prob, domain, strata)
    population = estimand == "population"
    design = _Design.of(x, clusters, population)
    v_f = design.judge_variance(x) if population else np.zeros(x.f.shape[0])
    lam = (np.where(x.lab, float(tuning), 0.0) if tuning is not None
           else _fold_tuning(x, design, v_f, folds))
    est, z = _hajek(x, x.lab, x.y0 - lam * (x.f - x.judge[:, None]))
    with np.errstate(invalid="ignore", divide="ignore"):
        lam_bar = np.nan_to_num((x.wd * lam).sum(axis=1) / x.wd.sum(axis=1))
    human, z_h = _hajek(x, x.lab, x.y0)
    n_human = (x.lab & x.d).sum(axis=1)
    few = n_human < 2
    se, low, high = _interval(est, design.centred(z, x.lab), lam_bar**2 * v_f, confidence,
                              t_interval, few)
    _, h_low, h_high = _interval(human, design.centred(z_h, x.lab), np.zeros_like(v_f),
                                 confidence, t_interval, few)
    out = PPIMean(est, low, high, se, lam_bar, human, h_low, h_high, x.judge,
                  x.n_d.astype(np.int64), n_human)
    if one:
        return PPIMean(*(getattr(out, k.name)[0].item() for k in fields(out)))
    return out


def ppi_cluster_bootstrap(
    y: Any, f: Any, sampling_prob: Any, clusters: Any, tuning: float, *,
    domain: Any = None, n_boot: int = 1000, seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[float, float]:
    """Percentile interval of the PPI estimate (fixed ``tuning``) resampling whole clusters.

    For the population estimand with clustered items: a replicate draws the clusters with
    replacement, keeping every item of a drawn cluster, labelled or not.

    Example:
        >>> lo, hi = ppi_cluster_bootstrap([1, np.nan, 0, np.nan], [1, 1, 0, 0], [0.5] * 4,
        ...                                [0, 0, 1, 1], 1.0, n_boot=200, seed=0)
        >>> 0.0 <= lo <= hi <= 1.0
        True
    """
    yv, fv = np.asarray(y, np.float64), np.asarray(f, np.float64)
    lab = ~np.isnan(yv)
    d = np.ones(yv.shape, bool) if domain is None else np.asarray(domain, bool)
    prob = np.broadcast_to(np.asarray(sampling_prob, np.float64), yv.shape)
    wd = np.where(lab & d, 1.0 / np.where(lab, prob, 1.0), 0.0)
    codes = np.asarray(clusters, np.int64)
    n_clus = int(codes.max()) + 1
    sums = np.stack([np.bincount(codes, weights=v, minlength=n_clus) for v in (
        np.where(d, fv, 0.0), d.astype(np.float64), wd * np.where(lab, yv, 0.0), wd * fv, wd)])
    draws = np.random.default_rng(seed).integers(0, n_clus, size=(n_boot, n_clus))
    counts = _group_sums(np.ones(draws.shape), draws, n_clus)
    s_f, s_d, s_y, s_wf, s_w = (counts @ sums.T).T
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = tuning * s_f / s_d + (s_y - tuning * s_wf) / s_w
    lo, hi = percentile_interval(reps[:, None], confidence)
    return float(lo[0]), float(hi[0])
