"""Coverage simulations of the judge-corrected interval (:func:`.edges.corrected_mean`).

One cell of the grid: ``reps`` benchmarks of ``n_items`` items, each with human verdicts at a true
rate, a judge's verdicts on every item and ``n`` human labels drawn by a sampling design; every
benchmark is scored at once (a batch of rows) and the cell reports how often the interval covers
that benchmark's human rate over its items, and its median width beside the human-only Wilson
interval at the same ``n``.

* judges: ``good`` (finds 90% of positives, flags as many items as people would), ``biased``
  (finds 95% and flags 5 times the true rate, at least 1% of the items), ``useless`` (flags
  ``max(rate, 5%)`` of the items at random);
* designs: ``srs`` (simple random sample) and ``stratified`` (strata by the judge's verdict,
  proportional allocation with at least one label among the judge-flagged items, as ``vlmsafety
  annotate`` draws; weighted back);
* ``clustered``: items come in source items of 10 copies sharing a Beta propensity (intra-cluster
  correlation 0.3) around the rate.

Seeded (a ``numpy.random.Generator`` per cell); no files. ``docs/scripts/coverage_grid.py`` runs
the full grid into ``docs/human-labels.md``.

Example:
    >>> c = coverage_cell(0.01, 400, 50, "biased", reps=200, seed=1)
    >>> c.coverage >= 0.93, c.zero_width
    (True, 0.0)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.binomial import wilson_interval
from vlmsafety.scoring.edges import corrected_mean

__all__ = ["DESIGNS", "JUDGES", "CoverageCell", "coverage_cell", "resample_coverage"]

JudgeKind = Literal["good", "biased", "useless"]
Design = Literal["srs", "stratified"]
JUDGES: tuple[str, ...] = ("good", "biased", "useless")
DESIGNS: tuple[str, ...] = ("srs", "stratified")


@dataclass(frozen=True)
class CoverageCell:
    """One cell's figures (``reps`` benchmarks).

    Attributes:
        rate, n_items, n, judge, design, clustered, reps: The cell.
        coverage: Share of benchmarks whose corrected interval holds their human rate.
        median_width: Median width of the corrected interval.
        human_wilson_width: Median width of the human-only Wilson interval on the same ``n``
            (simple random sample).
        zero_width: Share of zero-width corrected intervals.
        full_width: Share of ``[0, 1]`` intervals.
        methods: Share of each method used.
    """

    rate: float
    n_items: int
    n: int
    judge: str
    design: str
    clustered: bool
    reps: int
    coverage: float
    median_width: float
    human_wilson_width: float
    zero_width: float
    full_width: float
    methods: dict[str, float]

    @property
    def width_ratio(self) -> float:
        """``median_width / human_wilson_width``."""
        return self.median_width / self.human_wilson_width

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {**asdict(self), "width_ratio": self.width_ratio}


def _truth(rng: np.random.Generator, rate: float, shape: tuple[int, int],
           clustered: bool) -> np.ndarray:
    if rate <= 0.0:
        return np.zeros(shape)
    if clustered:
        s = 1 / 0.3 - 1  # Beta(a, b) with a + b = s: intra-cluster correlation 1 / (s + 1)
        p = rng.beta(rate * s, (1 - rate) * s, size=(shape[0], -(-shape[1] // 10)))
        p = np.repeat(p, 10, axis=1)[:, :shape[1]]
    else:
        p = np.full(shape, rate)
    return (rng.random(shape) < p).astype(np.float64)


def _judge(rng: np.random.Generator, y: np.ndarray, rate: float, kind: str) -> np.ndarray:
    u = rng.random(y.shape)
    if kind == "useless":
        return (u < max(rate, 0.05)).astype(np.float64)
    sens, target = (0.9, rate) if kind == "good" else (0.95, max(min(5 * rate, 1.0), 0.01))
    fpr = min(1.0, max(0.0, (target - sens * rate) / (1 - rate)))
    return (u < np.where(y > 0, sens, fpr)).astype(np.float64)


def _sample(rng: np.random.Generator, f: np.ndarray, n: int, design: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """``(mask, prob)``: the labelled items and their inclusion probabilities."""
    n_items = f.shape[1]
    strata = f > 0.5 if design == "stratified" else np.zeros(f.shape, bool)
    n1_all = strata.sum(axis=1)
    k1 = np.minimum(n1_all, np.maximum(np.round(n * n1_all / n_items), 1)).astype(int)
    k1 = np.where(design == "stratified", k1, 0)
    k0 = n - k1
    key = np.where(strata, 0.0, 2.0) + rng.random(f.shape)
    rank = np.argsort(np.argsort(key, axis=1), axis=1)
    within = np.where(strata, rank, rank - n1_all[:, None])
    mask = within < np.where(strata, k1[:, None], k0[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        prob = np.where(strata, (k1 / np.maximum(n1_all, 1))[:, None],
                        (k0 / (n_items - n1_all))[:, None])
    return mask, prob


def coverage_cell(rate: float, n_items: int, n: int, judge: JudgeKind | str,
                  design: Design | str = "srs", *, clustered: bool = False, reps: int = 1000,
                  seed: int = 0, confidence: float = 0.95) -> CoverageCell:
    """Simulate one cell of the coverage grid (see the module docs).

    Raises:
        ScoringInputError: an unknown judge or design, or ``n`` not in ``[2, n_items]``.
    """
    if judge not in JUDGES:
        raise ScoringInputError(f"unknown judge {judge!r}; allowed: {', '.join(JUDGES)}")
    if design not in DESIGNS:
        raise ScoringInputError(f"unknown design {design!r}; allowed: {', '.join(DESIGNS)}")
    if not 2 <= n <= n_items:
        raise ScoringInputError(f"n must be in [2, n_items={n_items}], got {n}")
    rng = np.random.default_rng(seed)
    y = _truth(rng, rate, (reps, n_items), clustered)
    f = _judge(rng, y, rate, judge)
    mask, prob = _sample(rng, f, n, design)
    m = corrected_mean(np.where(mask, y, np.nan), f, prob, strata=(f > 0.5).astype(int)
                       if design == "stratified" else None, confidence=confidence)
    truth = y.mean(axis=1)
    width = m.high - m.low
    hw_low, hw_high = wilson_interval(_srs_counts(rng, y, n), np.full(reps, n), confidence)
    counts = Counter(m.method.tolist())
    return CoverageCell(
        rate, n_items, n, judge, design, clustered, reps,
        float(np.mean((m.low <= truth + 1e-12) & (truth <= m.high + 1e-12))),
        float(np.median(width)), float(np.median(hw_high - hw_low)),
        float(np.mean(width <= 1e-12)), float(np.mean((m.low <= 0) & (m.high >= 1))),
        {k: v / reps for k, v in sorted(counts.items())})


def _srs_counts(rng: np.random.Generator, y: np.ndarray, n: int) -> np.ndarray:
    """Positives in a simple random sample of ``n`` items per row (the human-only reference)."""
    idx = np.argpartition(rng.random(y.shape), n - 1, axis=1)[:, :n]
    return np.take_along_axis(y, idx, axis=1).sum(axis=1)


def resample_coverage(y: Any, f: Any, n: int, *, draws: int = 2000, seed: int = 0,
                      confidence: float = 0.95) -> CoverageCell:
    """Coverage on a fully labelled set: ``draws`` random samples of ``n`` of its human labels
    ``y`` (0/1), the judge's ``f`` on every item; the target is ``mean(y)`` over all items.

    Example:
        >>> y = np.zeros(400); y[:4] = 1; f = np.zeros(400); f[:17] = 1
        >>> c = resample_coverage(y, f, 50, draws=200)
        >>> c.coverage >= 0.93, c.zero_width
        (True, 0.0)
    """
    yv, fv = np.asarray(y, np.float64), np.asarray(f, np.float64)
    size = yv.size
    if not 2 <= n <= size:
        raise ScoringInputError(f"n must be in [2, {size}], got {n}")
    rng = np.random.default_rng(seed)
    idx = np.argpartition(rng.random((draws, size)), n - 1, axis=1)[:, :n]
    mask = np.zeros((draws, size), bool)
    np.put_along_axis(mask, idx, True, axis=1)
    m = corrected_mean(np.where(mask, yv, np.nan), np.broadcast_to(fv, (draws, size)), n / size,
                       confidence=confidence)
    truth = float(yv.mean())
    hl, hh = wilson_interval(np.sum(mask * yv, axis=1), np.full(draws, n), confidence)
    width = m.high - m.low
    counts = Counter(m.method.tolist())
    return CoverageCell(
        truth, size, n, "given", "srs", False, draws,
        float(np.mean((m.low <= truth + 1e-12) & (truth <= m.high + 1e-12))),
        float(np.median(width)), float(np.median(hh - hl)), float(np.mean(width <= 1e-12)),
        float(np.mean((m.low <= 0) & (m.high >= 1))),
        {k: v / draws for k, v in sorted(counts.items())})
