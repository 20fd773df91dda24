"""Score-type intervals for proportions that keep their coverage at the edges.

Safety rates live at the edges: an unsafe rate of 0-2%, a category of a few source items, a human
sample of a few dozen labels. Three constructions serve every interval the scoring core prints:

* :func:`wilson_interval` - Wilson's score interval (Wilson, JASA 22, 1927) with the boundary
  modification of Brown, Cai & DasGupta ("Interval estimation for a binomial proportion",
  Statistical Science 16, 2001, section 4.1.1): for 1 to 3 successes (at least 10 items per
  success) the lower bound is the Poisson bound ``lambda_x / n`` (and likewise the upper bound for
  1 to 3 failures), which removes
  the dip of the plain Wilson interval's coverage to about 0.84 just above 0 (e.g. a true rate of
  0.25% with 50 labels: 0.88 without it). Zero successes give ``[0, z^2 / (n + z^2)]``, never a
  point.
* :func:`effective_wilson` - the same interval on an *effective* sample size: ``n / deff`` for a
  weighted sample (Kish's design effect of unequal weights, :func:`kish_n`) or for copies of one
  source item (a cluster design effect, :func:`cluster_deff`), the construction of Korn and
  Graubard ("Confidence intervals for proportions with small expected number of positive counts
  estimated from survey data", Survey Methodology 24, 1998) with Wilson's score in place of
  Clopper-Pearson (as evaluated by Dean and Pagano, J. Survey Stat. Methodol. 3, 2015).
* :func:`bootstrap_wilson` - a rate over clustered items with its design effect measured by the
  clustered bootstrap (replicate variance over the binomial one), Wilson on ``n / deff``: unlike
  the percentile bootstrap it is never ``[0, 0]`` at a count of 0 (nor ``[1, 1]`` at ``n``).
* :func:`mover_difference` - a difference of two proportions from their Wilson intervals, the
  method of variance estimates recovery (MOVER: Newcombe, Stat. Med. 17, 1998; Zou and Donner,
  Stat. Med. 27, 2008): non-degenerate when both counts are 0.

Pure ``math``/numpy; no random state.

Example:
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 4), round(high, 4)
    (0.4902, 0.9433)
    >>> [round(x, 4) for x in wilson_interval(0, 50)]
    [0.0, 0.0713]
    >>> [round(x, 4) for x in mover_difference(0, 50, 0, 50)]
    [-0.0713, 0.0713]
"""

from __future__ import annotations

import math
from functools import cache
from statistics import NormalDist
from typing import Any, overload

import numpy as np

from vlmsafety.errors import ScoringInputError

__all__ = ["MIN_POSITIVES", "bootstrap_wilson", "cluster_deff", "effective_wilson", "kish_n",
           "mover_combination", "mover_difference", "poisson_lower", "wilson_interval"]

MIN_POSITIVES = 5
"""Fewest successes (and failures) for a normal-theory or percentile interval of a proportion
(the ``n p >= 5`` rule of thumb); below it the score-type intervals here are used."""

BOUNDARY_COUNTS = 3
"""Successes (or failures) up to which the Poisson bound replaces Wilson's, where ``n`` is at
least 10 per count (Brown et al. use 2 for n <= 50 and 3 up to 100; the dip they remove is there
at every larger n too)."""


def _z(confidence: float) -> float:
    if not (isinstance(confidence, (int, float)) and 0.0 < confidence < 1.0):
        raise ScoringInputError(f"confidence must be a number in (0, 1), got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


@cache
def poisson_lower(k: int, alpha: float) -> float:
    """The ``lambda`` with ``P(Poisson(lambda) >= k) = alpha`` (bisection; ``k >= 1``).

    Example:
        >>> round(poisson_lower(1, 0.05), 4), round(poisson_lower(2, 0.05), 4)
        (0.0513, 0.3554)
    """
    lo, hi = 0.0, float(k) + 10.0 * math.sqrt(k) + 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        below = math.exp(-mid) * sum(mid**j / math.factorial(j) for j in range(k))
        lo, hi = (mid, hi) if 1.0 - below < alpha else (lo, mid)
    return (lo + hi) / 2


@overload
def wilson_interval(count: float, n: float, confidence: float = 0.95) -> tuple[float, float]: ...
@overload
def wilson_interval(count: np.ndarray, n: np.ndarray | float,
                    confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]: ...
def wilson_interval(
    count: Any, n: Any, confidence: float = 0.95
) -> tuple[float, float] | tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``count / n`` with Brown, Cai and DasGupta's boundary fix.

    Works on scalars or arrays (element-wise); ``count`` and ``n`` may be effective (non-integer)
    sizes. Where ``n == 0`` the interval is ``(nan, nan)``: a rate over no items is undefined,
    not 0. The interval always contains ``count / n`` and is a point only when ``n`` is infinite.

    Args:
        count: Number of successes.
        n: Number of trials.
        confidence: Coverage, default 0.95.

    Returns:
        ``(low, high)``, floats for scalar input, arrays otherwise.

    Raises:
        ScoringInputError: ``count`` outside ``[0, n]`` or ``confidence`` outside (0, 1).

    Example:
        >>> wilson_interval(0, 0)
        (nan, nan)
        >>> [round(x, 4) for x in wilson_interval(0, 5)]
        [0.0, 0.4345]
        >>> [round(x, 4) for x in wilson_interval(1, 50)]   # plain Wilson's lower bound: 0.0035
        [0.001, 0.105]
    """
    z = _z(confidence)
    c = np.asarray(count, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    if np.any(c < 0) or np.any(c > m):
        raise ScoringInputError(f"need 0 <= count <= n, got count={count!r}, n={n!r}")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = c / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
        alpha = 1.0 - confidence
        for k in range(1, BOUNDARY_COUNTS + 1):
            bound = poisson_lower(k, alpha) / m
            near = k <= m / 10  # the Poisson bound is for rare events: n at least 10 per count
            low = np.where(near & (np.round(c) == k), np.minimum(low, bound), low)
            high = np.where(near & (np.round(m - c) == k), np.maximum(high, 1.0 - bound), high)
    # Guard rounding: the interval must contain the point estimate exactly.
    low = np.where(m > 0, np.minimum(low, p), np.nan)
    high = np.where(m > 0, np.maximum(high, p), np.nan)
    if np.ndim(low) == 0:
        return float(low), float(high)
    return low, high


def kish_n(weights: Any) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` of a weighted sample.

    Example:
        >>> kish_n([1, 1, 1, 1]), kish_n([1, 1, 1, 3])
        (4.0, 3.0)
    """
    w = np.asarray(weights, np.float64)
    s2 = float(np.sum(w * w))
    return float(np.sum(w)) ** 2 / s2 if s2 > 0 else 0.0


def effective_wilson(rate: float, n_eff: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of an estimated ``rate`` worth ``n_eff`` independent items.

    Example:
        >>> [round(x, 3) for x in effective_wilson(0.25, 20.0)]
        [0.112, 0.469]
    """
    if not n_eff > 0 or math.isnan(rate):
        return math.nan, math.nan
    r = min(1.0, max(0.0, rate))
    return wilson_interval(r * n_eff, n_eff, confidence)


def cluster_deff(count_by_cluster: Any, n_by_cluster: Any) -> float:
    """Design effect of a proportion over clustered items (copies of one source item).

    The ratio estimator's cluster-robust variance over the binomial one, bounded by ``[1,
    n / clusters]`` (the upper end: every copy agrees with its source, the items are worth one per
    cluster). With the rate at 0 or 1 or fewer than 2 clusters the data cannot tell the two apart
    and the upper end is used (conservative).

    Example:
        >>> cluster_deff([0, 0, 0], [4, 4, 4])       # nothing observed: as many items as clusters
        4.0
        >>> cluster_deff([2, 2, 2, 2], [4, 4, 4, 4])  # every cluster alike: no design effect
        1.0
        >>> round(cluster_deff([4, 0, 4, 0], [4, 4, 4, 4]), 3)   # copies agree: all of it
        4.0
    """
    y = np.asarray(count_by_cluster, np.float64)
    m = np.asarray(n_by_cluster, np.float64)
    keep = m > 0
    y, m = y[keep], m[keep]
    c, n = int(m.size), float(m.sum())
    if c == 0:
        return 1.0
    top = max(1.0, n / c)
    p = float(y.sum()) / n
    if c < 2 or p <= 0.0 or p >= 1.0:
        return top
    v = c / (c - 1.0) * float(np.sum((y - p * m) ** 2)) / n**2
    return float(min(top, max(1.0, v / (p * (1.0 - p) / n))))


def mover_combination(coefs: Any, estimates: Any, lows: Any, highs: Any
                      ) -> tuple[float, float]:
    """Interval of ``sum(c_i * theta_i)`` from each ``theta_i``'s interval (MOVER; Zou, Huang and
    Zhang, Comput. Stat. Data Anal. 53, 2009), the estimates taken as independent.

    Example:
        >>> [round(x, 3) for x in mover_combination([1, -1], [0.0, 0.0], [0.0, 0.0], [0.1, 0.1])]
        [-0.1, 0.1]
    """
    c = np.asarray(coefs, np.float64)
    e, lo, hi = (np.asarray(v, np.float64) for v in (estimates, lows, highs))
    d = float(np.sum(c * e))
    down = np.where(c > 0, c * (e - lo), c * (e - hi))  # how far each term can pull it down
    up = np.where(c > 0, c * (hi - e), c * (lo - e))
    return d - float(np.sqrt(np.sum(down**2))), d + float(np.sqrt(np.sum(up**2)))


def mover_difference(count_a: float, n_a: float, count_b: float, n_b: float,
                     confidence: float = 0.95) -> tuple[float, float]:
    """Interval of ``count_a / n_a - count_b / n_b`` from the two Wilson intervals (MOVER).

    The correlation of the two proportions is not used (exact for independent samples; for two
    cells of one multinomial sample it leaves out ``+2 p_a p_b / n`` of the variance, negligible
    for the rare cells it is used on).

    Example:
        >>> [round(x, 3) for x in mover_difference(5, 100, 1, 100)]
        [-0.013, 0.102]
    """
    pa, pb = count_a / n_a, count_b / n_b
    la, ua = wilson_interval(count_a, n_a, confidence)
    lb, ub = wilson_interval(count_b, n_b, confidence)
    d = pa - pb
    return (d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2),
            d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2))


def bootstrap_wilson(count: int, n: int, num_reps: Any, den_reps: Any,
                     confidence: float = 0.95, n_clusters: int | None = None
                     ) -> tuple[float, float]:
    """Wilson interval of ``count / n`` on ``n / deff`` items, ``deff`` from clustered replicates.

    ``num_reps`` and ``den_reps`` are the bootstrap replicates of the rate's numerator and
    denominator (clusters resampled). ``deff`` is the replicates' variance of the rate over
    ``p (1 - p) / n``, at least 1. At a count of 0 or ``n`` the rate does not vary between
    replicates, so the number of clusters holding the rate's items is read from the denominators
    instead, ``k = E(den)^2 / (Var(den) + E(den)^2 / n_clusters)`` (exact for ``k`` clusters of
    equal size among ``n_clusters`` resampled), and ``deff = n / k``: copies count as one item
    per source, the bound when every copy behaves like its source (without ``n_clusters``,
    ``k = E^2 / Var``, and ``deff = 1`` when the denominator does not vary).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> draws = rng.multinomial(40, [1 / 40] * 40, size=500)   # 40 clusters resampled
        >>> den = draws[:, :2] @ np.array([16, 16])                # a category: 2 of them x 16
        >>> lo, hi = bootstrap_wilson(0, 32, den * 0, den)
        >>> lo, round(hi, 2)                                        # about 2 items' worth
        (0.0, 0.64)
    """
    if n <= 0:
        return math.nan, math.nan
    num = np.asarray(num_reps, np.float64)
    den = np.asarray(den_reps, np.float64)
    p = count / n
    if 0 < count < n:
        ok = den > 0
        var = float(np.var(num[ok] / den[ok])) if ok.sum() > 1 else 0.0
        deff = var / (p * (1 - p) / n)
    else:
        mean, var = float(np.mean(den)), float(np.var(den))
        extra = mean**2 / n_clusters if n_clusters else 0.0
        deff = n * (var + extra) / mean**2 if var + extra > 0 and mean > 0 else 1.0
    return effective_wilson(p, n / min(float(n), max(1.0, deff)), confidence)
