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
from vlmsafety.scoring.stats import DEFAULT_CONFIDENCE, _z

__all__ = ["LabelPlan", "Moments", "labels_needed", "moments_from_accuracy",
           "moments_from_pilot", "ppi_variance"]


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
    """

    n_items: int
    target_width: float
    confidence: float
    n_corrected: int | None
    n_human_only: int | None
    lam: float
    moments: Moments

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``moments`` nested, with its agreement)."""
        out = asdict(self)
        out["moments"]["agreement"] = self.moments.agreement
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
    limit = (target_width / (2 * z)) ** 2  # the largest variance allowed
    var_y = m.human_rate * (1 - m.human_rate)
    human = max(1, math.ceil(var_y / limit - 1e-9))
    lo, hi = 1, n_items
    if ppi_variance(m, hi, n_items)[0] > limit:
        corrected: int | None = None
    else:
        while lo < hi:  # the variance falls as n grows
            mid = (lo + hi) // 2
            if ppi_variance(m, mid, n_items)[0] <= limit:
                hi = mid
            else:
                lo = mid + 1
        corrected = lo
    lam = ppi_variance(m, corrected or n_items, n_items)[1]
    return LabelPlan(n_items, target_width, confidence, corrected,
                     human if human <= n_items else None, lam, m)
