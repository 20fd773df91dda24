"""Rates, estimates and result types shared by the metrics, and the counting behind them.

A rate over zero items (e.g. every item of a group unscored) is undefined: its ``rate`` and
intervals are ``nan`` with ``n == 0``; :meth:`ScoreResult.to_dict` writes them as ``None`` (valid
JSON) and :meth:`ScoreResult.flatten` keeps ``nan`` (a plain float, as ``evaluate`` expects).

Input validation and encoding live in :mod:`.inputs` (re-exported here under their old names);
intervals and the bootstrap in :mod:`.stats`. Imports point one way: ``inputs`` <- ``stats`` <-
``core`` <- ``dual`` / ``vsc`` / ``xstest``.

Example:
    >>> codes, levels = encode(["b", "a", "b"], "categories")
    >>> codes.tolist(), levels
    ([1, 0, 1], ('a', 'b'))
    >>> r = make_rate(3, 4)
    >>> r.rate, r.count, r.n, round(r.ci_low, 3), round(r.ci_high, 3)
    (0.75, 3, 4, 0.301, 0.954)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, ClassVar

import numpy as np

from vlmsafety.labels import LABELS
from vlmsafety.scoring.binomial import MIN_POSITIVES, bootstrap_wilson, mover_combination
from vlmsafety.scoring.inputs import (
    LABEL_INDEX,
    UNSCORED_CODE,
    UNSCORED_POLICIES,
    UnscoredPolicy,
    check_lengths,
    check_option,
    check_unscored_policy,
    encode,
    encode_choice,
    encode_labels,
)
from vlmsafety.scoring.stats import (
    DEFAULT_CONFIDENCE,
    cluster_bootstrap_counts,
    percentile_interval,
    wilson_interval,
)

__all__ = [
    "LABEL_INDEX",
    "UNSCORED_POLICIES",
    "Estimate",
    "Rate",
    "RateGroup",
    "ScoreResult",
    "UnscoredPolicy",
    "check_lengths",
    "check_option",
    "check_unscored_policy",
    "encode",
    "encode_choice",
    "encode_labels",
    "make_rate",
    "snake",
]


def _nan_to_none(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


@dataclass(frozen=True)
class Rate:
    """A proportion with its count, Wilson interval and (optionally) a clustered bootstrap interval.

    Attributes:
        rate: ``count / n`` in [0, 1]; ``nan`` when ``n == 0``.
        count: Items in the numerator.
        n: Items in the denominator.
        ci_low: Wilson interval, lower bound (assumes independent items).
        ci_high: Wilson interval, upper bound.
        boot_low: Clustered interval, lower bound (``nan`` if not computed): Wilson's on the
            effective number of items, the design effect measured by the clustered bootstrap.
        boot_high: Clustered interval, upper bound.
    """

    rate: float
    count: int
    n: int
    ci_low: float
    ci_high: float
    boot_low: float = math.nan
    boot_high: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``nan`` -> ``None``)."""
        return {f.name: _nan_to_none(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class Estimate:
    """A derived quantity that is not a single proportion (a mean of rates, a difference).

    Attributes:
        value: The point estimate (``nan`` when undefined).
        n: Items it is based on (for a paired difference: items on both sides).
        boot_low: Clustered bootstrap percentile interval, lower bound (``nan`` if not computed).
        boot_high: Upper bound.
    """

    value: float
    n: int
    boot_low: float = math.nan
    boot_high: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``nan`` -> ``None``)."""
        return {f.name: _nan_to_none(getattr(self, f.name)) for f in fields(self)}


class RateGroup:
    """Mixin for a frozen dataclass of :class:`Rate` fields named in ``RATE_NAMES`` plus ``n`` and
    ``n_unscored``: one subset's rates."""

    RATE_NAMES: ClassVar[tuple[str, ...]] = ()
    n: int
    n_unscored: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out: dict[str, Any] = {k: getattr(self, k).to_dict() for k in self.RATE_NAMES}
        out.update(n=self.n, n_unscored=self.n_unscored)
        return out

    def flatten_into(self, out: dict[str, Any], prefix: str) -> None:
        """Write ``<prefix>_<rate>...``, ``<prefix>_n`` and ``<prefix>_n_unscored`` into ``out``."""
        for k in self.RATE_NAMES:
            flat_rate(out, snake(prefix, k), getattr(self, k))
        out[snake(prefix, "n")] = self.n
        out[snake(prefix, "n_unscored")] = self.n_unscored


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "to_dict") and not isinstance(obj, ScoreResult):
        return obj.to_dict()
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    return _nan_to_none(obj)


_SNAKE = re.compile(r"[^0-9a-z]+")


def snake(*parts: object) -> str:
    """Join parts into a stable snake_case key.

    Example:
        >>> snake("category", "Suicide & Self-Harm", "refusal_rate")
        'category_suicide_self_harm_refusal_rate'
    """
    return "_".join(s for s in (_SNAKE.sub("_", str(p).lower()).strip("_") for p in parts) if s)


class ScoreResult:
    """Base of the metric results: nested dataclasses with ``to_dict()`` and ``flatten()``."""

    def to_dict(self) -> dict[str, Any]:
        """The whole result as nested JSON-serialisable dicts (``nan`` -> ``None``)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]  # subclasses are dataclasses

    def flatten(self) -> dict[str, float | int | str]:  # pragma: no cover - overridden
        """A flat dict of plain Python numbers with stable snake_case keys (``evaluate`` output)."""
        raise NotImplementedError


def flat_rate(out: dict[str, Any], key: str, r: Rate) -> None:
    """Write one rate into a flat dict: ``key``, ``key_ci_low``, ... (bootstrap bounds if computed)."""
    out[key] = r.rate
    out[f"{key}_count"] = r.count
    out[f"{key}_n"] = r.n
    out[f"{key}_ci_low"] = r.ci_low
    out[f"{key}_ci_high"] = r.ci_high
    if not (math.isnan(r.boot_low) and math.isnan(r.boot_high)):
        out[f"{key}_boot_low"] = r.boot_low
        out[f"{key}_boot_high"] = r.boot_high


def flat_estimate(out: dict[str, Any], key: str, e: Estimate) -> None:
    """Write one estimate into a flat dict: ``key``, ``key_n`` and bootstrap bounds if computed."""
    out[key] = e.value
    out[f"{key}_n"] = e.n
    if not (math.isnan(e.boot_low) and math.isnan(e.boot_high)):
        out[f"{key}_boot_low"] = e.boot_low
        out[f"{key}_boot_high"] = e.boot_high


def make_rate(
    count: int,
    n: int,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
    boot: tuple[float, float] = (math.nan, math.nan),
) -> Rate:
    """Build a :class:`Rate` (``nan`` rate and intervals when ``n == 0``).

    Example:
        >>> make_rate(0, 0).n, str(make_rate(0, 0).rate)
        (0, 'nan')
    """
    count, n = int(count), int(n)
    low, high = wilson_interval(count, n, confidence)
    rate = count / n if n else math.nan
    return Rate(rate, count, n, float(low), float(high), float(boot[0]), float(boot[1]))


def ratio_interval(
    num: np.ndarray, den: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``num / den`` over replicates (axis 0); undefined replicates skipped."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return percentile_interval(num / den, confidence)


def combined_interval(parts: Sequence[tuple[Rate, np.ndarray, np.ndarray]],
                      coefs: Sequence[float], confidence: float,
                      n_clusters: int | None = None) -> tuple[float, float]:
    """Interval of ``sum(c_i * rate_i)`` (a ΔIR, a mean of two rates) from the rates' jointly
    drawn clustered replicates (``(rate, numerator reps, denominator reps)`` per rate).

    The percentile bootstrap, except at the edges (a rate with fewer than
    :data:`~.binomial.MIN_POSITIVES` successes or failures, where the replicates barely vary and
    the percentile interval is too narrow or a point): there the MOVER combination of the rates'
    clustered Wilson intervals (:func:`~.binomial.bootstrap_wilson`), which takes them as
    independent (conservative for rates of the same items, which move together).

    Example:
        >>> reps = np.full((50, 1), 10.0)
        >>> r = make_rate(0, 10)
        >>> lo, hi = combined_interval([(r, reps[:, 0] * 0, reps[:, 0])] * 2, (1, -1), 0.95)
        >>> lo < 0 < hi
        True
    """
    if min(min(r.count, r.n - r.count) for r, _, _ in parts) >= MIN_POSITIVES:
        with np.errstate(invalid="ignore", divide="ignore"):
            value = sum(c * num / den for c, (_, num, den) in zip(coefs, parts, strict=True))
        lo, hi = percentile_interval(np.asarray(value, np.float64)[:, None], confidence)
        return float(lo[0]), float(hi[0])
    bounds = [bootstrap_wilson(r.count, r.n, num, den, confidence, n_clusters)
              for r, num, den in parts]
    return mover_combination(coefs, [r.rate for r, _, _ in parts], [b[0] for b in bounds],
                             [b[1] for b in bounds])


def label_counts(groups: np.ndarray, n_groups: int, labels: np.ndarray) -> np.ndarray:
    """``(n_groups, len(LABELS))`` matrix of label counts per group (one ``bincount``)."""
    n_lab = len(LABELS)
    return np.bincount(groups * n_lab + labels, minlength=n_groups * n_lab).reshape(n_groups, n_lab)


@dataclass
class Family:
    """Entries that add to label counts of cells: entry ``i`` adds ``weights[i]`` (default 1) to
    label ``labels[i]`` of cell ``cells[i]`` in cluster ``clusters[i]``; cell ``-1`` is skipped."""

    cells: np.ndarray
    labels: np.ndarray
    clusters: np.ndarray
    n_cells: int
    weights: np.ndarray | None = None


def count_families(
    families: Sequence[Family], *, n_clusters: int, n_boot: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Label counts per cell for each family, and their clustered bootstrap replicates.

    All families share one set of replicates (one draw of clusters per replicate), so differences
    and means across cells are bootstrapped jointly.

    Returns:
        Per family: ``(point, reps)`` with ``point`` of shape ``(n_cells, L)`` and ``reps`` of shape
        ``(n_boot, n_cells, L)`` (``None`` when ``n_boot == 0``), ``L = len(LABELS)``.
    """
    n_lab = len(LABELS)
    offsets = np.cumsum([0] + [f.n_cells * n_lab for f in families])
    cells_all, clusters_all, weights_all = [], [], []
    for f, off in zip(families, offsets):
        keep = f.cells >= 0
        cells_all.append(off + f.cells[keep] * n_lab + f.labels[keep])
        clusters_all.append(f.clusters[keep])
        w = np.ones(int(keep.sum())) if f.weights is None else np.asarray(f.weights, float)[keep]
        weights_all.append(w)
    cells = np.concatenate(cells_all) if cells_all else np.zeros(0, np.int64)
    clusters = np.concatenate(clusters_all) if clusters_all else np.zeros(0, np.int64)
    weights = np.concatenate(weights_all) if weights_all else np.zeros(0)
    total = int(offsets[-1])
    point = np.bincount(cells, weights=weights, minlength=total).round().astype(np.int64)
    reps = None
    if n_boot:
        reps = cluster_bootstrap_counts(clusters, cells, n_clusters=n_clusters, n_cells=total,
                                        n_boot=n_boot, seed=seed, weights=weights)
    out = []
    for f, off in zip(families, offsets):
        size = f.n_cells * n_lab
        p = point[off:off + size].reshape(f.n_cells, n_lab)
        r = None if reps is None else reps[:, off:off + size].reshape(n_boot, f.n_cells, n_lab)
        out.append((p, r))
    return out


def label_rates(
    counts: np.ndarray,
    reps: np.ndarray | None,
    numerators: Mapping[str, Sequence[str]],
    *,
    unscored: str,
    confidence: float,
    n_clusters: int | None = None,
) -> dict[str, Rate]:
    """Rates from a label-count vector: ``rate = sum(counts[numerator labels]) / denominator``.

    The denominator is every scored item (``unscored="exclude"``) or every item (``"include"``).
    ``reps`` (``(n_boot, L)`` replicate counts) adds a clustered interval to each rate: Wilson's
    on the effective number of items, the design effect measured by the replicates
    (:func:`vlmsafety.scoring.binomial.bootstrap_wilson`; never ``[0, 0]`` at a count of 0;
    ``n_clusters``: the clusters the replicates resample, which sizes the design effect there).
    """
    den = int(counts.sum() - (counts[UNSCORED_CODE] if unscored == "exclude" else 0))
    rep_den = None
    if reps is not None:
        rep_den = reps.sum(axis=1) - (reps[:, UNSCORED_CODE] if unscored == "exclude" else 0)
    out: dict[str, Rate] = {}
    for name, labs in numerators.items():
        idx = [LABEL_INDEX[lab] for lab in labs]
        boot = (math.nan, math.nan)
        if rep_den is not None and reps is not None:
            boot = bootstrap_wilson(int(counts[idx].sum()), den, reps[:, idx].sum(axis=1),
                                    rep_den, confidence, n_clusters)
        out[name] = make_rate(int(counts[idx].sum()), den, confidence=confidence, boot=boot)
    return out
