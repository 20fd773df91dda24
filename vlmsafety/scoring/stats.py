"""Statistics for rates: Wilson intervals (from :mod:`.binomial`), a vectorised clustered bootstrap, paired comparisons.

Everything here is pure numpy/``math``: no files, no logging, no global random state (every random
draw comes from a ``numpy.random.Generator`` seeded by the caller).

Why a *clustered* bootstrap: DUAL-Bench applies many perturbations to one source item and VSCBench
asks one prompt with three safe and three unsafe images, so rows are not independent. Resampling
whole clusters (source items, prompts) with replacement keeps that dependence in the interval.

How it is vectorised: each row adds 1 to one *cell* (for example "refusals among harmful items");
the rows are summed once per cluster into a ``(clusters, cells)`` table with one ``bincount``. A
bootstrap replicate is a vector of how often each cluster was drawn, so a block of replicates is a
``(replicates, clusters)`` count matrix (drawn with ``Generator.integers`` and counted with one
``bincount``) and all replicate sums are one matrix product. No Python loop runs per replicate.

Example:
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    >>> r = mcnemar([1, 1, 1, 0], [0, 0, 1, 1], method="exact")
    >>> r.b10, r.b01, r.p_value
    (2, 1, 1.0)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.binomial import _z, cluster_deff, mover_difference, wilson_interval
from vlmsafety.scoring.inputs import cluster_codes

__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_MIN_CLUSTERS",
    "DEFAULT_N_BOOT",
    "DEFAULT_SEED",
    "MIN_DISCORDANT",
    "McNemarMethod",
    "McNemarResult",
    "PairedDifference",
    "bootstrap_plan",
    "cluster_bootstrap_counts",
    "mcnemar",
    "paired_bootstrap_difference",
    "percentile_interval",
    "wilson_interval",
]

DEFAULT_CONFIDENCE = 0.95
DEFAULT_N_BOOT = 1000
DEFAULT_SEED = 0
DEFAULT_MIN_CLUSTERS = 20
"""Fewest clusters a bootstrap interval is drawn from: resampling 2 or 5 clusters gives intervals
of (nearly) zero width that look precise; below this the rates carry their Wilson interval only."""

# Upper bound on the entries of one dense block (replicates x clusters, or clusters x cells), so
# memory stays around 100-200 MB whatever the input size.
_MAX_BLOCK = 1 << 24

McNemarMethod = Literal["exact", "mid-p", "chi2"]


def bootstrap_plan(n_boot: int, n_clusters: int,
                   min_clusters: int = DEFAULT_MIN_CLUSTERS) -> tuple[int, str]:
    """The replicates to draw for ``n_clusters`` clusters, and a note saying what was done.

    ``n_boot`` when there are at least ``min_clusters`` clusters, else 0 (no bootstrap interval:
    the Wilson interval stands alone, and the note says so).

    Example:
        >>> bootstrap_plan(1000, 412)
        (1000, 'clustered bootstrap, 1000 replicates over 412 clusters')
        >>> bootstrap_plan(1000, 5)
        (0, 'no bootstrap: 5 clusters < min_clusters=20; Wilson intervals only')
        >>> bootstrap_plan(0, 5)
        (0, 'no bootstrap (n_boot=0); Wilson intervals only')
    """
    if not isinstance(min_clusters, int) or isinstance(min_clusters, bool) or min_clusters < 1:
        raise ScoringInputError(f"min_clusters must be a positive integer, got {min_clusters!r}")
    if not n_boot:
        return 0, "no bootstrap (n_boot=0); Wilson intervals only"
    if n_clusters < min_clusters:
        return 0, (f"no bootstrap: {n_clusters} clusters < min_clusters={min_clusters}; "
                   "Wilson intervals only")
    return int(n_boot), f"clustered bootstrap, {n_boot} replicates over {n_clusters} clusters"


def _replicate_weights(rng: np.random.Generator, n_rep: int, n_clusters: int) -> np.ndarray:
    """``(n_rep, n_clusters)`` matrix: how often each cluster is drawn in each replicate."""
    # int32 draws are twice as fast to generate; adding int64 offsets yields the int64 index
    # bincount wants in the same pass.
    dtype = np.int32 if n_clusters < (1 << 31) else np.int64
    draws = rng.integers(0, n_clusters, size=(n_rep, n_clusters), dtype=dtype)
    flat = draws + (np.arange(n_rep, dtype=np.int64) * n_clusters)[:, None]
    return np.bincount(flat.ravel(), minlength=n_rep * n_clusters).reshape(n_rep, n_clusters)


def cluster_bootstrap_counts(
    clusters: np.ndarray,
    cells: np.ndarray,
    *,
    n_clusters: int,
    n_cells: int,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Bootstrap replicates of per-cell counts, resampling whole clusters with replacement.

    Each entry ``i`` adds one to cell ``cells[i]`` in cluster ``clusters[i]`` (pass the same row
    several times to count it in several cells). Replicate ``b`` draws ``n_clusters`` clusters with
    replacement and sums their cell counts. The result depends only on the inputs and ``seed``.

    Args:
        clusters: Integer cluster code of each entry, in ``[0, n_clusters)``. Codes must be
            assigned in a canonical order (e.g. sorted ids) for results not to depend on row order.
        cells: Integer cell code of each entry, in ``[0, n_cells)``.
        n_clusters: Number of clusters (clusters with no entries still count as drawable).
        n_cells: Number of cells.
        n_boot: Number of replicates (>= 1).
        seed: Seed of the ``numpy.random.Generator`` (PCG64).
        weights: Optional non-negative integer weight per entry (default 1).

    Returns:
        ``(n_boot, n_cells)`` float64 array of replicate counts.

    Example:
        >>> reps = cluster_bootstrap_counts(np.array([0, 0, 1]), np.array([0, 1, 1]),
        ...                                 n_clusters=2, n_cells=2, n_boot=4, seed=1)
        >>> reps.shape, bool((reps.sum(axis=1) % 1 == 0).all())
        ((4, 2), True)
    """
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 1:
        raise ScoringInputError(f"n_boot must be a positive integer, got {n_boot!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ScoringInputError(f"seed must be an integer, got {seed!r}")
    clusters = np.asarray(clusters, dtype=np.int64)
    cells = np.asarray(cells, dtype=np.int64)
    if clusters.shape != cells.shape:
        raise ScoringInputError(
            f"clusters and cells differ in length: {clusters.size} != {cells.size}"
        )
    w = None if weights is None else np.asarray(weights, dtype=np.float64)
    if w is not None and w.shape != cells.shape:
        raise ScoringInputError(f"weights has length {w.size}, expected {cells.size}")
    out = np.zeros((n_boot, n_cells), dtype=np.float64)
    if n_clusters == 0 or n_cells == 0:
        return out
    rng = np.random.Generator(np.random.PCG64(int(seed)))
    col_block = max(1, _MAX_BLOCK // n_clusters)
    blocks = []
    for c0 in range(0, n_cells, col_block):
        c1 = min(n_cells, c0 + col_block)
        sel = (cells >= c0) & (cells < c1) if (c0, c1) != (0, n_cells) else slice(None)
        flat = clusters[sel] * (c1 - c0) + (cells[sel] - c0)
        table = np.bincount(flat, weights=None if w is None else w[sel],
                            minlength=n_clusters * (c1 - c0)).reshape(n_clusters, c1 - c0)
        blocks.append((c0, c1, table))
    # Replicate sums are integers bounded by n_clusters * (largest cluster count); float32 matrix
    # products are exact below 2**24 and twice as fast, float64 is used above that.
    largest = max((int(t.max()) if t.size else 0) for _, _, t in blocks)
    dtype = np.float32 if n_clusters * largest < (1 << 24) else np.float64
    blocks = [(c0, c1, t.astype(dtype)) for c0, c1, t in blocks]
    rep_block = max(1, min(n_boot, _MAX_BLOCK // n_clusters))
    for b0 in range(0, n_boot, rep_block):
        b1 = min(n_boot, b0 + rep_block)
        weights = _replicate_weights(rng, b1 - b0, n_clusters).astype(dtype)
        for c0, c1, table in blocks:
            out[b0:b1, c0:c1] = weights @ table
    return out


def percentile_interval(
    replicates: np.ndarray, confidence: float = DEFAULT_CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over bootstrap replicates (axis 0), ignoring undefined (NaN) ones.

    Example:
        >>> lo, hi = percentile_interval(np.array([[0.1], [0.2], [np.nan], [0.3]]), 0.5)
        >>> float(lo[0]), float(hi[0])
        (0.15, 0.25)
    """
    _z(confidence)
    alpha = (1.0 - confidence) / 2.0
    reps = np.asarray(replicates, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns -> NaN interval
        q = np.nanquantile(reps, [alpha, 1.0 - alpha], axis=0)
    return q[0], q[1]


@dataclass(frozen=True)
class PairedDifference:
    """A difference of two rates measured on the same items, with a paired bootstrap interval.

    Attributes:
        estimate: ``rate_b - rate_a`` (NaN when either rate is over no items).
        rate_a: Rate of the first model.
        rate_b: Rate of the second model.
        n_a: Items counted for the first model.
        n_b: Items counted for the second model.
        ci_low: Lower bound of the interval of the difference (clustered, paired).
        ci_high: Upper bound.
        n_boot: Replicates used (0: no interval).
        seed: Seed used.
        method: ``"bootstrap"`` (percentile, clustered) or ``"mover-wilson"``: on the same items
            with fewer than :data:`MIN_DISCORDANT` discordant items, where the percentile
            bootstrap is too narrow (a point with none), the MOVER-Wilson interval of the two
            discordant shares on the cluster design effect's effective n
            (:func:`vlmsafety.scoring.binomial.mover_difference`, :func:`~.binomial.cluster_deff`).
    """

    estimate: float
    rate_a: float
    rate_b: float
    n_a: int
    n_b: int
    ci_low: float
    ci_high: float
    n_boot: int
    seed: int
    method: str = "bootstrap"

    def to_dict(self) -> dict[str, float | int | str | None]:
        """JSON-ready dict (NaN becomes None)."""
        return {k: _none_if_nan(v) for k, v in self.__dict__.items()}


MIN_DISCORDANT = 10
"""Fewest discordant items (one model right, the other not) for a percentile bootstrap interval of
a paired difference; below, the MOVER-Wilson interval of the discordant shares."""


def _discordant_interval(a: np.ndarray, b: np.ndarray, codes: np.ndarray,
                         confidence: float) -> tuple[float, float]:
    """MOVER-Wilson interval of ``mean(b) - mean(a)`` on paired items: ``P(b > a) - P(a > b)``,
    each share on ``n / deff`` items (``deff`` of the discordance over the clusters)."""
    n = a.size
    up, down = float(np.sum(b & ~a)), float(np.sum(a & ~b))
    _, inverse = np.unique(codes, return_inverse=True)
    deff = cluster_deff(np.bincount(inverse, weights=(a != b).astype(float)),
                        np.bincount(inverse)) if up + down > 0 else 1.0
    n_eff = n / deff
    lo, hi = mover_difference(up / n * n_eff, n_eff, down / n * n_eff, n_eff, confidence)
    return max(-1.0, lo), min(1.0, hi)


def _none_if_nan(v: float) -> float | int | None:
    return None if isinstance(v, float) and math.isnan(v) else v


def _as_bool(values: Sequence[object] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ScoringInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "iuf":
        bad = np.flatnonzero((arr != 0) & (arr != 1))
        if bad.size == 0:
            return arr.astype(bool)
        pos = int(bad[0])
        raise ScoringInputError(f"{name}: position {pos}: {arr[pos].item()!r} is not a binary "
                                "outcome; allowed: 0, 1, False, True")
    for pos, v in enumerate(arr.tolist()):
        if v not in (0, 1):
            raise ScoringInputError(f"{name}: position {pos}: {v!r} is not a binary outcome; "
                                    "allowed: 0, 1, False, True")
    return arr.astype(bool)


def _paired_outcomes(
    outcome_a: Sequence[object] | np.ndarray, outcome_b: Sequence[object] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    a = _as_bool(outcome_a, "outcome_a")
    b = _as_bool(outcome_b, "outcome_b")
    if a.size != b.size:
        raise ScoringInputError(f"outcome_a and outcome_b differ in length: {a.size} != {b.size}")
    if a.size == 0:
        raise ScoringInputError("outcome_a and outcome_b are empty; need at least one item")
    return a, b


def paired_bootstrap_difference(
    outcome_a: Sequence[object] | np.ndarray,
    outcome_b: Sequence[object] | np.ndarray,
    *,
    clusters: Sequence[object] | np.ndarray | None = None,
    mask_a: Sequence[object] | np.ndarray | None = None,
    mask_b: Sequence[object] | np.ndarray | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    min_clusters: int = DEFAULT_MIN_CLUSTERS,
) -> PairedDifference:
    """Difference ``rate(b) - rate(a)`` of two models on the same items, with a paired interval.

    Both models' outcomes are resampled together (same clusters in each replicate), which is what
    makes the interval paired: the item-level correlation between models narrows it.

    Args:
        outcome_a: Binary outcome per item for model A (e.g. "answered right").
        outcome_b: The same items for model B, in the same order.
        clusters: Cluster id per item (prompt / source item); default: every item its own cluster.
        mask_a: Which items count for model A (e.g. scored ones); default all.
        mask_b: The same for model B.
        n_boot: Replicates (0 for no interval).
        seed: Seed of the generator.
        confidence: Interval coverage.
        min_clusters: No interval (``n_boot`` recorded as 0) when fewer clusters hold a counted
            item (see :func:`bootstrap_plan`).

    Example:
        >>> d = paired_bootstrap_difference([0, 0, 1, 1], [1, 1, 1, 1], n_boot=200, seed=0,
        ...                                 min_clusters=1)
        >>> d.estimate, d.rate_a, d.rate_b
        (0.5, 0.5, 1.0)
        >>> bool(d.ci_low <= d.estimate <= d.ci_high)
        True
        >>> paired_bootstrap_difference([0, 0, 1, 1], [1, 1, 1, 1], n_boot=200).n_boot
        0
    """
    a, b = _paired_outcomes(outcome_a, outcome_b)
    ma = np.ones(a.size, bool) if mask_a is None else _as_bool(mask_a, "mask_a")
    mb = np.ones(b.size, bool) if mask_b is None else _as_bool(mask_b, "mask_b")
    for name, m in (("mask_a", ma), ("mask_b", mb)):
        if m.size != a.size:
            raise ScoringInputError(f"{name} has length {m.size}, expected {a.size}")
    codes, n_clusters = cluster_codes(clusters, a.size)
    if codes.size != a.size:
        raise ScoringInputError(f"clusters has length {codes.size}, expected {a.size}")
    na, nb = int(ma.sum()), int(mb.sum())
    ra = float(np.sum(a & ma) / na) if na else math.nan
    rb = float(np.sum(b & mb) / nb) if nb else math.nan
    low = high = math.nan
    n_boot, _ = bootstrap_plan(n_boot, int(np.unique(codes[ma | mb]).size), min_clusters)
    if n_boot:
        parts = [np.flatnonzero(a & ma), np.flatnonzero(ma), np.flatnonzero(b & mb), np.flatnonzero(mb)]
        rows = np.concatenate(parts)
        cells = np.repeat(np.arange(4), [p.size for p in parts])
        reps = cluster_bootstrap_counts(codes[rows], cells, n_clusters=n_clusters, n_cells=4,
                                        n_boot=n_boot, seed=seed)
        with np.errstate(invalid="ignore", divide="ignore"):
            diff = reps[:, 2] / reps[:, 3] - reps[:, 0] / reps[:, 1]
        lo, hi = percentile_interval(diff[:, None], confidence)
        low, high = float(lo[0]), float(hi[0])
        if np.array_equal(ma, mb) and int(np.sum((a != b) & ma)) < MIN_DISCORDANT:
            low, high = _discordant_interval(a[ma], b[ma], codes[ma], confidence)
            return PairedDifference(rb - ra, ra, rb, na, nb, low, high, int(n_boot), int(seed),
                                    "mover-wilson")
    return PairedDifference(rb - ra, ra, rb, na, nb, low, high, int(n_boot), int(seed))


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test on paired binary outcomes.

    Attributes:
        b10: Items right for A and wrong for B.
        b01: Items wrong for A and right for B.
        n: Discordant pairs (``b01 + b10``).
        statistic: Chi-square statistic (``chi2``) or the smaller discordant count (exact, mid-p).
        p_value: Two-sided p-value (1.0 when there are no discordant pairs).
        method: ``"exact"``, ``"mid-p"`` or ``"chi2"``.
    """

    b10: int
    b01: int
    n: int
    statistic: float
    p_value: float
    method: str

    def to_dict(self) -> dict[str, float | int | str]:
        """JSON-ready dict."""
        return dict(self.__dict__)


def _binom_half_cdf(k: int, n: int) -> tuple[float, float]:
    """``P(X <= k)`` and ``P(X = k)`` for ``X ~ Binomial(n, 1/2)``, stable for large ``n``."""
    if n <= 4096:  # exact integer arithmetic, one rounding at the end
        terms = [math.comb(n, j) for j in range(k + 1)]
        return min(1.0, sum(terms) / 2**n), terms[-1] / 2**n
    ks = np.arange(k, dtype=np.float64)
    # log pmf(j + 1) - log pmf(j) = log((n - j) / (j + 1)); pmf(0) = 2**-n.
    log_pmf = -n * math.log(2.0) + np.concatenate([[0.0], np.cumsum(np.log((n - ks) / (ks + 1)))])
    pmf = np.exp(log_pmf)
    return float(min(1.0, pmf.sum())), float(pmf[-1])


def mcnemar(
    outcome_a: Sequence[object] | np.ndarray,
    outcome_b: Sequence[object] | np.ndarray,
    *,
    method: McNemarMethod = "exact",
    correction: bool = True,
) -> McNemarResult:
    """McNemar's test: do two models differ in how often they are right on the same items?

    Only discordant pairs matter: ``b10`` (A right, B wrong) and ``b01`` (A wrong, B right).

    * ``"exact"``: two-sided binomial test of ``min(b01, b10)`` under ``Binomial(b01 + b10, 1/2)``.
    * ``"mid-p"``: the exact p-value minus the probability of the observed count (less
      conservative; recommended by Fagerland et al. 2013).
    * ``"chi2"``: ``(|b01 - b10| - 1)^2 / (b01 + b10)`` on 1 degree of freedom (without the ``- 1``
      when ``correction=False``).

    Args:
        outcome_a: Binary outcome per item for model A.
        outcome_b: The same items for model B.
        method: ``"exact"`` (default), ``"mid-p"`` or ``"chi2"``.
        correction: Continuity correction for ``"chi2"``.

    Example:
        >>> a = [1] * 9 + [0] * 1 + [1] * 5
        >>> b = [0] * 9 + [1] * 1 + [1] * 5
        >>> r = mcnemar(a, b)
        >>> (r.b10, r.b01, r.p_value)
        (9, 1, 0.021484375)
        >>> mcnemar(a, b, method="mid-p").p_value
        0.01171875
        >>> round(mcnemar(a, b, method="chi2").p_value, 5)
        0.02686
    """
    if method not in ("exact", "mid-p", "chi2"):
        raise ScoringInputError(f"unknown McNemar method {method!r}; allowed: 'exact', 'mid-p', 'chi2'")
    a, b = _paired_outcomes(outcome_a, outcome_b)
    b10 = int(np.sum(a & ~b))
    b01 = int(np.sum(~a & b))
    n = b10 + b01
    if n == 0:
        return McNemarResult(b10, b01, 0, 0.0, 1.0, method)
    if method == "chi2":
        diff = abs(b01 - b10) - (1.0 if correction else 0.0)
        stat = max(diff, 0.0) ** 2 / n
        return McNemarResult(b10, b01, n, float(stat), float(math.erfc(math.sqrt(stat / 2.0))), method)
    k = min(b01, b10)
    cdf, pk = _binom_half_cdf(k, n)
    p = min(1.0, 2.0 * cdf)
    if method == "mid-p":
        p = min(1.0, 2.0 * cdf - pk)
    return McNemarResult(b10, b01, n, float(k), float(p), method)
