"""How many human labels a rate needs for a target interval width, with and without the judge.

A rate is the mean of a 0/1 outcome ``Y`` (a person's verdict: the item counts as right). The
judge gives ``f`` on all ``N`` items; people label ``n`` of them at random. The power-tuned
prediction-powered estimate (PPI++: Angelopoulos et al., Science 2023; Angelopoulos, Duchi and
Zrnic, 2024) ``lam * mean_N(f) + mean_n(Y - lam * f)`` has variance

    lam^2 Var(f) / N + Var(Y - lam f) / n,   minimised by   lam = Cov(Y, f) / ((1 + n/N) Var(f))

(clipped to [0, 1]); the human labels alone have ``Var(Y) / n``. The interval is
``estimate +- z * sd``, so its full width is ``2 z sd``. Both are normal approximations for an
infinite population (no finite-population correction): a slight over-estimate of the labels
needed when ``n`` is a large share of ``N``.

**Rare rates.** With few expected positives the corrected rate does not use that normal interval
(:mod:`vlmsafety.scoring.edges`): under :data:`~.edges.MIN_POSITIVES` expected positives (or
negatives) it is the human-only Wilson interval, under :data:`~.edges.MIN_DISAGREEMENTS` expected
judge-human disagreements the MOVER-Wilson one. :func:`interval_width` gives the expected width of
the interval that will be used, so a perfect judge or a rate of 0 is not promised a width from 1
label: 0 unsafe among ``n`` labels bounds the rate by ``z^2 / (n + z^2)`` only. The plan also
gives the Neyman allocation between the judge-flagged and the other items (strata by the judge's
verdict: ``n_h`` proportional to ``W_h S_h``), which for a rare rate puts far more labels on the
flagged items than their share, each label then weighted by ``N_h / n_h``.

The moments come from a pilot (``Y`` and ``f`` on the same items: :func:`moments_from_pilot`)
or from an assumed judge accuracy with symmetric errors (:func:`moments_from_accuracy`).

Pure maths: no files, no logging, no random state.

Example:
    >>> m = Moments(human_rate=0.5, judge_rate=0.5, joint_rate=0.45)  # agreement 0.9
    >>> plan = labels_needed(m, n_items=10**9, target_width=0.05)
    >>> plan.n_human_only, plan.n_corrected   # 0.25 * (2z/w)^2 and 0.25 * (1 - 0.8^2) * (2z/w)^2
    (1537, 554)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.binomial import wilson_interval
from vlmsafety.scoring.edges import MIN_DISAGREEMENTS, MIN_POSITIVES
from vlmsafety.scoring.stats import DEFAULT_CONFIDENCE, _z

__all__ = ["LabelPlan", "Moments", "interval_width", "labels_needed", "moments_from_accuracy",
           "moments_from_pilot", "neyman_allocation", "ppi_variance"]


@dataclass(frozen=True)
class Moments:
    """The joint distribution of a 0/1 human verdict ``Y`` and the judge's ``f``.

    Attributes:
        human_rate: ``P(Y = 1)``.
        judge_rate: ``P(f = 1)``.
        joint_rate: ``P(Y = 1, f = 1)``.
        n_pilot: Items it was estimated from (0: assumed).
    """

    human_rate: float
    judge_rate: float
    joint_rate: float
    n_pilot: int = 0

    @property
    def agreement(self) -> float:
        """``P(Y = f)``."""
        return 1 - self.human_rate - self.judge_rate + 2 * self.joint_rate

    @property
    def covariance(self) -> float:
        """``Cov(Y, f)``."""
        return self.joint_rate - self.human_rate * self.judge_rate


def moments_from_pilot(human: Sequence[bool], judge: Sequence[bool]) -> Moments:
    """Moments from a pilot: the person's and the judge's verdicts on the same items.

    Raises:
        ScoringInputError: lengths differ or there is no item.

    Example:
        >>> m = moments_from_pilot([True, True, False, False], [True, False, False, False])
        >>> m.human_rate, m.judge_rate, m.joint_rate, m.agreement
        (0.5, 0.25, 0.25, 0.75)
    """
    if len(human) != len(judge):
        raise ScoringInputError(f"human and judge differ in length: {len(human)} != {len(judge)}")
    if not human:
        raise ScoringInputError("the pilot has no item labelled by both")
    n = len(human)
    return Moments(sum(map(bool, human)) / n, sum(map(bool, judge)) / n,
                   sum(bool(y) and bool(f) for y, f in zip(human, judge, strict=True)) / n, n)


def moments_from_accuracy(judge_rate: float, accuracy: float) -> Moments:
    """Moments implied by the judge's rate and an assumed accuracy with symmetric errors
    (``P(f = Y)`` = ``accuracy`` whatever ``Y``); the human rate solves
    ``judge_rate = p a + (1 - p)(1 - a)`` and is clipped to [0, 1].

    Raises:
        ScoringInputError: ``accuracy`` not in (0.5, 1] or ``judge_rate`` not in [0, 1].

    Example:
        >>> m = moments_from_accuracy(0.34, 0.9)
        >>> round(m.human_rate, 4), round(m.joint_rate, 4), round(m.agreement, 4)
        (0.3, 0.27, 0.9)
    """
    if not 0.5 < accuracy <= 1:
        raise ScoringInputError(f"accuracy must be in (0.5, 1], got {accuracy}")
    if not 0 <= judge_rate <= 1:
        raise ScoringInputError(f"judge_rate must be in [0, 1], got {judge_rate}")
    p = min(1.0, max(0.0, (judge_rate - (1 - accuracy)) / (2 * accuracy - 1)))
    return Moments(p, judge_rate, p * accuracy, 0)


def ppi_variance(m: Moments, n: int, n_items: int) -> tuple[float, float]:
    """``(variance, lam)`` of the power-tuned PPI estimate with ``n`` labels of ``n_items``.

    Example:
        >>> v, lam = ppi_variance(Moments(0.3, 0.3, 0.3), 100, 10_000)  # a perfect judge
        >>> round(v * (10_000 + 100), 6), round(lam, 4)                 # Var(Y) / (N + n)
        (0.21, 0.9901)
    """
    var_y = m.human_rate * (1 - m.human_rate)
    var_f = m.judge_rate * (1 - m.judge_rate)
    lam = 0.0 if var_f <= 0 else min(1.0, max(0.0, m.covariance / ((1 + n / n_items) * var_f)))
    var_res = max(0.0, var_y + lam * lam * var_f - 2 * lam * m.covariance)
    return lam * lam * var_f / n_items + var_res / n, lam


def _wilson_width(p: float, n: int, confidence: float) -> float:
    lo, hi = wilson_interval(p * n, float(n), confidence)
    return hi - lo


def interval_width(m: Moments, n: int, n_items: int,
                   confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, str]:
    """Expected full width of the corrected interval with ``n`` labels, and the method
    (:data:`vlmsafety.scoring.edges.METHODS`) the expected counts lead to.

    Example:
        >>> w, method = interval_width(Moments(0.0, 0.01, 0.0), 50, 2000)
        >>> round(w, 4), method                       # 0 of 50: Wilson's [0, 0.071]
        (0.0713, 'human-wilson')
        >>> round(interval_width(Moments(0.3, 0.3, 0.3), 150, 10_000)[0], 4)   # a perfect judge
        0.0499
    """
    p = m.human_rate
    d_plus, d_minus = p - m.joint_rate, m.judge_rate - m.joint_rate
    if n * min(p, 1 - p) < MIN_POSITIVES:
        return _wilson_width(p, n, confidence), "human-wilson"
    if n * (d_plus + d_minus) < MIN_DISAGREEMENTS:
        if d_plus + d_minus - (d_plus - d_minus) ** 2 > p * (1 - p):
            return _wilson_width(p, n, confidence), "human-wilson"
        lo_p, hi_p = wilson_interval(d_plus * n, float(n), confidence)
        lo_m, hi_m = wilson_interval(d_minus * n, float(n), confidence)
        return (math.sqrt((d_plus - lo_p) ** 2 + (hi_m - d_minus) ** 2)
                + math.sqrt((hi_p - d_plus) ** 2 + (d_minus - lo_m) ** 2)), "ppi-mover"
    return 2 * _z(confidence) * math.sqrt(ppi_variance(m, n, n_items)[0]), "ppi++"


def neyman_allocation(m: Moments) -> tuple[float, float]:
    """``(share, sd)``: the share of the labels the Neyman allocation puts on the judge-flagged
    items (strata by the judge's verdict) and the standard deviation per label of the stratified
    estimate, ``sum_h W_h S_h`` (variance ``sd^2 / n``).

    Example:
        >>> share, sd = neyman_allocation(Moments(0.01, 0.05, 0.009))   # flags 5x, finds 90%
        >>> round(share, 2), round(sd, 4), round(math.sqrt(0.01 * 0.99), 4)  # vs human-only
        (0.38, 0.05, 0.0995)
    """
    f = m.judge_rate
    parts = []
    for w, pos in ((f, m.joint_rate), (1 - f, m.human_rate - m.joint_rate)):
        p_h = pos / w if w > 0 else 0.0
        parts.append(w * math.sqrt(max(0.0, p_h * (1 - p_h))))
    sd = sum(parts)
    return (parts[0] / sd if sd > 0 else f), sd


@dataclass(frozen=True)
class LabelPlan:
    """Labels one rate needs for an interval of ``target_width``.

    Attributes:
        n_items: ``N``, the items the rate counts (judged).
        target_width: Full width of the interval asked for.
        confidence: Its level.
        n_corrected: Human labels the judge-corrected (PPI++) rate needs; ``None``: more than
            ``n_items``.
        n_human_only: Labels the human-only rate needs; ``None``: more than ``n_items``.
        lam: The power-tuning weight at ``n_corrected`` (0: the judge does not help).
        moments: What it assumed about people and the judge.
        method: The corrected interval's method at ``n_corrected`` (or at ``n_items``).
        expected_positives: Human positives expected among ``n_corrected`` (or all) labels.
        flagged_share: Share of the labels on judge-flagged items under Neyman allocation.
        n_stratified: Labels the Neyman-allocated stratified sample needs for the target (each
            stratum's Wilson width, weighted, in quadrature; ``None``: more than ``n_items``).
    """

    n_items: int
    target_width: float
    confidence: float
    n_corrected: int | None
    n_human_only: int | None
    lam: float
    moments: Moments
    method: str = "ppi++"
    expected_positives: float = math.nan
    flagged_share: float = math.nan
    n_stratified: int | None = None

    @property
    def few_positives(self) -> bool:
        """Fewer than :data:`~.edges.MIN_POSITIVES` positives expected in the sample."""
        return self.expected_positives < MIN_POSITIVES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``moments`` nested, with its agreement)."""
        out = asdict(self)
        out["moments"]["agreement"] = self.moments.agreement
        out["few_positives"] = self.few_positives
        return out


def labels_needed(m: Moments, *, n_items: int, target_width: float,
                  confidence: float = DEFAULT_CONFIDENCE) -> LabelPlan:
    """The smallest ``n`` whose interval is at most ``target_width`` wide (full width), for the
    judge-corrected and the human-only rate.

    Raises:
        ScoringInputError: ``n_items`` below 1 or ``target_width`` not in (0, 1].

    Example:
        >>> p = labels_needed(Moments(0.3, 0.3, 0.09), n_items=5000, target_width=0.05)
        >>> p.n_corrected == p.n_human_only == 1291, p.lam   # an uninformative judge
        (True, 0.0)
    """
    if n_items < 1:
        raise ScoringInputError(f"n_items must be at least 1, got {n_items}")
    if not 0 < target_width <= 1:
        raise ScoringInputError(f"target_width must be in (0, 1], got {target_width}")
    z = _z(confidence)
    p = m.human_rate
    top = 1
    while top <= n_items and _wilson_width(p, top, confidence) > target_width:
        top = top * 2
    wilson = _smallest(lambda k: _wilson_width(p, k, confidence) <= target_width,
                       max(1, top // 2), min(top, n_items))
    normal = max(1, math.ceil(p * (1 - p) / (target_width / (2 * z)) ** 2 - 1e-9))
    human = None if wilson is None or normal > n_items else max(wilson, normal)
    corrected = _smallest(lambda k: interval_width(m, k, n_items, confidence)[0] <= target_width,
                          1, n_items)
    at = corrected or n_items
    share, _ = neyman_allocation(m)
    strat = _smallest(lambda k: _stratified_width(m, share, k, confidence) <= target_width,
                      2, n_items)
    return LabelPlan(n_items, target_width, confidence, corrected, human,
                     ppi_variance(m, at, n_items)[1], m, interval_width(m, at, n_items,
                                                                       confidence)[1],
                     at * min(p, 1 - p), share, strat)


def _stratified_width(m: Moments, share: float, n: int, confidence: float) -> float:
    """Width of the stratified (by the judge's verdict) estimate with ``n`` labels split by
    ``share``: each stratum's Wilson width (honest at 0 positives), weighted, in quadrature."""
    total = 0.0
    for w, pos, k in ((m.judge_rate, m.joint_rate, max(1, round(share * n))),
                      (1 - m.judge_rate, m.human_rate - m.joint_rate, max(1, n - round(share * n)))):
        if w > 0:
            total += (w * _wilson_width(min(1.0, max(0.0, pos / w)), k, confidence)) ** 2
    return math.sqrt(total)


def _smallest(ok: Any, lo: int, hi: int) -> int | None:
    """The smallest ``k`` in ``[lo, hi]`` with ``ok(k)`` (``ok`` assumed monotone), or ``None``."""
    if hi < lo or not ok(hi):
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo
