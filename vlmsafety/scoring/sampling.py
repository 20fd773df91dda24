"""A seeded, stratified sample of items for hand labelling, with a reserve in draw order.

:func:`draw_sample` gives every eligible item a position in one seeded draw order. The first
``n`` (allocated to strata in proportion to their size, by largest remainder, and at least one
per stratum when ``n`` allows) are the sample; the rest are the reserve, which replaces a skipped
item by the next reserve item of its stratum. Each item's sampling probability is its stratum's
``n_h / N_h``: equal for all under proportional allocation up to rounding, and recorded with
every human label so that an estimator can weight by it.

Pure numpy (its own seeded ``Generator``; no global random state).

Example:
    >>> d = draw_sample(["a", "a", "a", "a", "b", "b"], 3, seed=0)
    >>> d.allocation
    {'a': (2, 4), 'b': (1, 2)}
    >>> int(d.in_sample.sum()), sorted(set(d.prob.tolist()))
    (3, [0.5])
    >>> sorted(d.draw.tolist())
    [0, 1, 2, 3, 4, 5]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vlmsafety.errors import ScoringInputError

__all__ = ["SampleDesign", "allocate", "draw_sample"]


@dataclass(frozen=True)
class SampleDesign:
    """Where each item stands in a seeded stratified draw (arrays aligned with the items).

    Attributes:
        draw: Position in the draw order (0 = first); the sample comes first, then the reserve;
            -1 for an item outside the frame.
        in_sample: Whether the item is in the first-``n`` sample.
        prob: Its stratum's sampling probability ``n_h / N_h`` (0 outside the frame).
        allocation: stratum -> ``(n_h, N_h)``.
        seed: The seed of the draw.
    """

    draw: np.ndarray
    in_sample: np.ndarray
    prob: np.ndarray
    allocation: dict[str, tuple[int, int]]
    seed: int


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """Split ``n`` over strata of ``sizes`` in proportion (largest remainder; ties to the name first in A-Z order).

    Every stratum gets at least one item when ``n`` is at least the number of strata, and never
    more than its size.

    Example:
        >>> allocate({"harmful": 50, "benign": 50, "rare": 2}, 10)
        {'harmful': 4, 'benign': 5, 'rare': 1}
        >>> allocate({"a": 3, "b": 1}, 10)
        {'a': 3, 'b': 1}
    """
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    quota = {s: n * size / total for s, size in sizes.items()}
    got = {s: min(size, int(quota[s])) for s, size in sizes.items()}
    if n >= len(sizes):
        got = {s: max(1, k) if sizes[s] else 0 for s, k in got.items()}
    order = sorted(sizes, key=lambda s: (-(quota[s] - int(quota[s])), s))
    while sum(got.values()) < n:
        for s in order:
            if sum(got.values()) < n and got[s] < sizes[s]:
                got[s] += 1
    while sum(got.values()) > n:  # the minimum of one pushed the total over: take from the largest
        s = max((s for s in got if got[s] > 1), key=lambda s: (got[s], s))
        got[s] -= 1
    return got


def draw_sample(strata: Sequence[str], n: int, *, seed: int,
                eligible: Sequence[bool] | np.ndarray | None = None) -> SampleDesign:
    """Draw ``n`` items (stratified by ``strata``) and order the rest as a reserve.

    Every item gets a seeded uniform key from one ``Generator(seed)`` over *all* items, so that
    the same seed picks the same items for several models whose eligible items agree.

    Args:
        strata: The stratum of each item (one value for an unstratified sample).
        n: Sample size (all eligible items when larger).
        seed: Seed of the draw.
        eligible: Which items may be drawn (default: all), e.g. those with a response.

    Raises:
        ScoringInputError: ``n`` below 1, or ``eligible`` of another length.
    """
    if n < 1:
        raise ScoringInputError(f"n must be at least 1, got {n}")
    m = len(strata)
    frame = np.ones(m, bool) if eligible is None else np.asarray(eligible, bool)
    if frame.shape != (m,):
        raise ScoringInputError(f"eligible has length {frame.size}, expected {m}")
    keys = np.random.default_rng(seed).random(m)
    in_frame = [int(i) for i in np.flatnonzero(frame)]
    sizes: dict[str, int] = {}
    for i in in_frame:
        sizes[strata[i]] = sizes.get(strata[i], 0) + 1
    take = allocate(sizes, n)
    in_sample = np.zeros(m, bool)
    prob = np.zeros(m)
    for s, k in take.items():
        members = [i for i in in_frame if strata[i] == s]
        members.sort(key=lambda i: keys[i])
        in_sample[members[:k]] = True
        prob[members] = k / len(members)
    order = sorted(in_frame, key=lambda i: (not in_sample[i], keys[i]))
    draw = np.full(m, -1, np.int64)
    draw[order] = np.arange(len(order))
    return SampleDesign(draw, in_sample, prob,
                        {s: (take[s], sizes[s]) for s in sorted(sizes)}, seed)
