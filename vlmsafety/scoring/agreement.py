"""Agreement of raters (a judge and humans, or people): confusion, binary figures, kappa.

:func:`fleiss_kappa` measures three or more raters who each label every item.

:func:`agreement` compares predicted labels with reference labels over a fixed label set and
returns an :class:`AgreementResult`:

* the confusion matrix (rows = reference, columns = prediction);
* binary figures for one *positive* label against the rest (e.g. refusal vs not): accuracy,
  precision, recall, F1 (``2 tp / (2 tp + fp + fn)``), binary Cohen's kappa, and the predicted
  and reference positive rates;
* exact agreement and Cohen's kappa over all labels of the set.

Every figure carries a percentile interval from a bootstrap that resamples whole *groups* (the
prompt, the question) with replacement (:func:`vlmsafety.scoring.stats.cluster_bootstrap_counts`),
seeded. A figure the data cannot support is ``None`` ("n/a"): precision with no predicted
positive, recall with no reference positive, kappa when chance agreement is 1 (both raters give one
and the same label to every item). Replicates where a figure is undefined are left out of its
interval; an interval with no defined replicate is ``None``.

Pure numpy: no files, no logging, no global random state.

Example:
    >>> r = agreement(["refusal", "refusal", "direct_answer", "direct_answer"],
    ...               ["refusal", "direct_answer", "direct_answer", "refusal"],
    ...               positive="refusal", n_boot=0)
    >>> r.confusion  # rows: reference (direct_answer, refusal); columns: prediction
    ((1, 1), (1, 1))
    >>> r.accuracy.value, r.precision.value, r.recall.value, r.f1.value, r.kappa.value
    (0.5, 0.5, 0.5, 0.5, 0.0)
    >>> agreement(["direct_answer"], ["refusal"], positive="refusal", n_boot=0).precision.value is None
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.binomial import MIN_POSITIVES, effective_wilson
from vlmsafety.scoring.inputs import encode
from vlmsafety.scoring.stats import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_BOOT,
    DEFAULT_SEED,
    cluster_bootstrap_counts,
    percentile_interval,
)

__all__ = ["FIGURES", "AgreementFigure", "AgreementResult", "agreement", "figures_from_confusion",
           "fleiss_kappa"]

FIGURES: tuple[str, ...] = (
    "accuracy", "precision", "recall", "f1", "binary_kappa", "exact_agreement", "kappa",
    "pred_positive_rate", "ref_positive_rate",
)
"""The figures of an :class:`AgreementResult`, in display order."""


@dataclass(frozen=True)
class AgreementFigure:
    """One figure with the count it rests on and its clustered bootstrap interval.

    Attributes:
        value: The figure; ``None`` when the data cannot support it (n/a).
        n: Items in its denominator (for kappa and the rates: all items compared).
        ci_low: Lower bound of the percentile interval (``None``: not computed or undefined).
        ci_high: Upper bound.
    """

    value: float | None
    n: int
    ci_low: float | None = None
    ci_high: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class AgreementResult:
    """Agreement of predictions with references over ``labels`` (see :func:`agreement`).

    Attributes:
        labels: The label set, in the order of the confusion matrix's rows and columns.
        positive: The label(s) the binary figures treat as positive.
        n: Items compared.
        n_groups: Groups (bootstrap clusters) among them.
        confusion: ``confusion[i][j]`` = items with reference ``labels[i]`` predicted ``labels[j]``.
        accuracy: Binary accuracy (positive vs the rest).
        precision: Of the items predicted positive, the share positive in the reference.
        recall: Of the reference positives, the share predicted positive.
        f1: ``2 tp / (2 tp + fp + fn)`` (n/a when neither side has a positive).
        binary_kappa: Cohen's kappa of the positive-vs-rest split.
        exact_agreement: Share of items with the same label on both sides (all labels).
        kappa: Cohen's kappa over all labels.
        pred_positive_rate: Share of items predicted positive.
        ref_positive_rate: Share of items positive in the reference.
        n_boot: Replicates of the interval (0: none).
        seed: Seed of the bootstrap.
        confidence: Level of the intervals.
    """

    labels: tuple[str, ...]
    positive: tuple[str, ...]
    n: int
    n_groups: int
    confusion: tuple[tuple[int, ...], ...]
    accuracy: AgreementFigure
    precision: AgreementFigure
    recall: AgreementFigure
    f1: AgreementFigure
    binary_kappa: AgreementFigure
    exact_agreement: AgreementFigure
    kappa: AgreementFigure
    pred_positive_rate: AgreementFigure
    ref_positive_rate: AgreementFigure
    n_boot: int
    seed: int
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (figures as ``{value, n, ci_low, ci_high}``; ``None`` = n/a)."""
        out: dict[str, Any] = {
            "labels": list(self.labels), "positive": list(self.positive), "n": self.n,
            "n_groups": self.n_groups, "confusion": [list(row) for row in self.confusion],
        }
        for name in FIGURES:
            out[name] = getattr(self, name).to_dict()
        out.update(n_boot=self.n_boot, seed=self.seed, confidence=self.confidence)
        return out


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def figures_from_confusion(
    confusion: np.ndarray, positive: int | Sequence[int]
) -> dict[str, np.ndarray]:
    """Every figure of :data:`FIGURES` from confusion matrices (vectorised over leading axes).

    Args:
        confusion: ``(..., k, k)`` counts, rows = reference, columns = prediction.
        positive: Index (or indices) of the positive label(s).

    Returns:
        Figure name -> array of shape ``confusion.shape[:-2]``; ``nan`` where undefined.

    Example:
        >>> f = figures_from_confusion(np.array([[5, 1], [2, 2]]), positive=1)
        >>> round(float(f["precision"]), 4), round(float(f["recall"]), 4), round(float(f["kappa"]), 4)
        (0.6667, 0.5, 0.3478)
    """
    c = np.asarray(confusion, dtype=np.float64)
    pos = np.atleast_1d(np.asarray(positive, dtype=np.int64))
    n = c.sum(axis=(-2, -1))
    tp = c[..., pos, :][..., pos].sum(axis=(-2, -1))
    pred_pos = c[..., :, pos].sum(axis=(-2, -1))
    ref_pos = c[..., pos, :].sum(axis=(-2, -1))
    fp, fn = pred_pos - tp, ref_pos - tp
    tn = n - tp - fp - fn
    diag = np.trace(c, axis1=-2, axis2=-1)

    def kappa(observed: np.ndarray, chance: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((n > 0) & (chance < 1 - 1e-12),
                            (observed - chance) / np.where(chance < 1, 1 - chance, 1), np.nan)

    p_o = _div(diag, n)
    n_sq = np.where(n > 0, n * n, 1)
    p_e = (c.sum(axis=-1) * c.sum(axis=-2)).sum(axis=-1) / n_sq
    b_o = _div(tp + tn, n)
    b_e = (ref_pos * pred_pos + (n - ref_pos) * (n - pred_pos)) / n_sq
    return {
        "accuracy": b_o,
        "precision": _div(tp, pred_pos),
        "recall": _div(tp, ref_pos),
        "f1": _div(2 * tp, 2 * tp + fp + fn),
        "binary_kappa": kappa(b_o, b_e),
        "exact_agreement": p_o,
        "kappa": kappa(p_o, p_e),
        "pred_positive_rate": _div(pred_pos, n),
        "ref_positive_rate": _div(ref_pos, n),
    }


def _denominators(c: np.ndarray, pos: list[int]) -> dict[str, int]:
    tp = int(c[np.ix_(pos, pos)].sum())
    pred_pos, ref_pos = int(c[:, pos].sum()), int(c[pos, :].sum())
    return {"precision": pred_pos, "recall": ref_pos, "f1": pred_pos + ref_pos - tp}


def _codes(values: Sequence[object], labels: tuple[str, ...], name: str) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(labels)}
    out = np.empty(len(values), dtype=np.int64)
    for pos, v in enumerate(values):
        code = index.get(v) if isinstance(v, str) else None
        if code is None:
            allowed = ", ".join(map(repr, labels))
            raise ScoringInputError(f"{name}: position {pos}: {v!r} is not in the label set; "
                                    f"allowed: {allowed}")
        out[pos] = code
    return out


def _none(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _check_agreement_inputs(
    pred: Sequence[str], ref: Sequence[str], groups: Sequence[object] | None,
    positive: str | Sequence[str], labels: Sequence[str] | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The label set and the positive labels, after checking lengths and membership."""
    if len(pred) != len(ref):
        raise ScoringInputError(f"pred and ref differ in length: {len(pred)} != {len(ref)}")
    if len(pred) == 0:
        raise ScoringInputError("pred and ref are empty; need at least one item")
    if groups is not None and len(groups) != len(pred):
        raise ScoringInputError(f"groups has length {len(groups)}, expected {len(pred)}")
    positives = (positive,) if isinstance(positive, str) else tuple(positive)
    if not positives:
        raise ScoringInputError("positive names no label; need at least one")
    if labels is None:
        present = {v for v in (*pred, *ref) if isinstance(v, str)} | set(positives)
        label_set = tuple(sorted(present))
    else:
        label_set = tuple(labels)
        if len(set(label_set)) != len(label_set):
            raise ScoringInputError(f"labels repeat a value: {label_set!r}")
    for lab in positives:
        if lab not in label_set:
            raise ScoringInputError(f"positive label {lab!r} is not in the label set; "
                                    f"allowed: {', '.join(map(repr, label_set))}")
    return label_set, positives


def _boot_intervals(g_codes: np.ndarray, cells: np.ndarray, n_groups: int, k: int,
                    pos: list[int], *, n_boot: int, seed: int, confidence: float,
                    confusion: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """Percentile intervals of every figure from a bootstrap that resamples groups, replaced at
    the edges (:func:`_edge_intervals`)."""
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    if n_boot:
        reps = cluster_bootstrap_counts(g_codes, cells, n_clusters=n_groups, n_cells=k * k,
                                        n_boot=n_boot, seed=seed)
        boot = figures_from_confusion(reps.reshape(n_boot, k, k), pos)
        for name in FIGURES:
            lo, hi = percentile_interval(boot[name][:, None], confidence)
            low[name], high[name] = float(lo[0]), float(hi[0])
        _edge_intervals(confusion, pos, boot, n_groups, confidence, low, high)
    return low, high


_PROPORTIONS = ("accuracy", "precision", "recall", "exact_agreement", "pred_positive_rate",
                "ref_positive_rate")


def _edge_intervals(c: np.ndarray, pos: list[int], boot: dict[str, np.ndarray], n_groups: int,
                    confidence: float, low: dict[str, float], high: dict[str, float]) -> None:
    """Where a proportion has fewer than 5 hits or misses (a judge agreeing with every label:
    ``1.000 [1.000, 1.000]``) or a point interval (one group), Wilson's interval on the effective
    n (design effect from the replicates, else items per group); the kappas then follow from the agreement
    proportion's interval with chance agreement held at its value, and F1 from Wilson on
    ``tp`` of ``tp + (fp + fn) / 2``."""
    point = figures_from_confusion(c, pos)
    n = int(c.sum())
    dens = {**{name: n for name in _PROPORTIONS}, **_denominators(c, pos)}
    for name in _PROPORTIONS:
        p, den = float(point[name]), dens[name]
        point_interval = high[name] - low[name] <= 0
        if math.isnan(p) or den == 0 or (min(p * den, den - p * den) >= MIN_POSITIVES
                                         and not point_interval):
            continue
        if 0 < p < 1 and not point_interval:
            deff = float(np.nanvar(boot[name])) / (p * (1 - p) / den)
        else:
            deff = den / min(den, n_groups)
        low[name], high[name] = effective_wilson(p, den / min(float(den), max(1.0, deff)),
                                                 confidence)
    p_e = float((c.sum(axis=1) * c.sum(axis=0)).sum()) / n**2
    ref_pos, pred_pos = float(c[pos, :].sum()) / n, float(c[:, pos].sum()) / n
    b_e = ref_pos * pred_pos + (1 - ref_pos) * (1 - pred_pos)
    for name, base, chance in (("kappa", "exact_agreement", p_e),
                               ("binary_kappa", "accuracy", b_e)):
        if high[name] - low[name] <= 0 and chance < 1 and not math.isnan(float(point[name])):
            low[name] = (low[base] - chance) / (1 - chance)
            high[name] = (high[base] - chance) / (1 - chance)
    if high["f1"] - low["f1"] <= 0 and not math.isnan(float(point["f1"])):
        tp = float(c[np.ix_(pos, pos)].sum())
        half_errors = (dens["f1"] - tp) / 2
        low["f1"], high["f1"] = effective_wilson(tp / (tp + half_errors), tp + half_errors,
                                                 confidence)


def agreement(
    pred: Sequence[str],
    ref: Sequence[str],
    groups: Sequence[object] | None = None,
    *,
    positive: str | Sequence[str],
    labels: Sequence[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
) -> AgreementResult:
    """Agreement of ``pred`` with ``ref``: confusion, binary figures, kappa, clustered intervals.

    Args:
        pred: Predicted labels (a judge's, or a second annotator's), one per item.
        ref: Reference labels (the human label, or the first annotator's), one per item.
        groups: Cluster of each item for the bootstrap (default: every item its own cluster).
        positive: The label the binary figures treat as positive (e.g. ``"refusal"``), or
            several (``("refusal", "partial_refusal")``: either counts as a refusal).
        labels: The label set and its order (default: the sorted labels present on either side,
            plus the positive ones).
        n_boot: Bootstrap replicates (0: no intervals).
        seed: Seed of the bootstrap.
        confidence: Level of the intervals.

    Returns:
        The :class:`AgreementResult`.

    Raises:
        ScoringInputError: lengths differ, no items, a label outside ``labels`` (naming the
            position, the value and the allowed set), a positive label not in ``labels``.

    Example:
        >>> r = agreement(["a", "a", "b"], ["a", "b", "b"], ["g1", "g1", "g2"], positive="a",
        ...               n_boot=200, seed=1)
        >>> r.recall.value, r.precision.value, r.n_groups
        (1.0, 0.5, 2)
        >>> r.ref_positive_rate.value, r.ref_positive_rate.n
        (0.3333333333333333, 3)
    """
    label_set, positives = _check_agreement_inputs(pred, ref, groups, positive, labels)
    k = len(label_set)
    cells = _codes(ref, label_set, "ref") * k + _codes(pred, label_set, "pred")
    pos = sorted({label_set.index(lab) for lab in positives})
    confusion = np.bincount(cells, minlength=k * k).reshape(k, k)
    point = figures_from_confusion(confusion, pos)
    if groups is None:
        g_codes, n_groups = np.arange(len(pred), dtype=np.int64), len(pred)
    else:
        g_codes, levels = encode(list(groups), "groups")
        n_groups = len(levels)
    low, high = _boot_intervals(g_codes, cells, n_groups, k, pos, n_boot=n_boot, seed=seed,
                                confidence=confidence, confusion=confusion)
    n = len(pred)
    dens = _denominators(confusion, pos)
    figs: dict[str, AgreementFigure] = {}
    for name in FIGURES:
        value = _none(float(point[name]))
        lo_v, hi_v = low.get(name, math.nan), high.get(name, math.nan)
        figs[name] = AgreementFigure(
            value, dens.get(name, n),
            None if value is None else _none(lo_v), None if value is None else _none(hi_v))
    return AgreementResult(
        labels=label_set, positive=tuple(label_set[i] for i in pos), n=n, n_groups=n_groups,
        confusion=tuple(tuple(int(x) for x in row) for row in confusion),
        n_boot=n_boot, seed=seed, confidence=confidence, **figs,
    )


def fleiss_kappa(ratings: Sequence[Sequence[str]],
                 labels: Sequence[str] | None = None) -> AgreementFigure:
    """Fleiss' kappa of several raters who each label every item (Fleiss, 1971).

    With ``n`` raters, ``n_ij`` of them giving item ``i`` label ``j`` over ``N`` items:
    ``P_i = (sum_j n_ij^2 - n) / (n (n - 1))``, ``p_j = sum_i n_ij / (N n)``,
    ``kappa = (mean P_i - sum_j p_j^2) / (1 - sum_j p_j^2)``; ``None`` when every rating is the
    same label (chance agreement 1).

    Args:
        ratings: Per item, the labels its raters gave (the same number, at least 2, per item).
        labels: The label set (default: the labels present).

    Returns:
        The kappa with ``n`` = items (no interval).

    Raises:
        ScoringInputError: no item, fewer than two raters, items with different numbers of
            raters, or a label outside ``labels``.

    Example:
        >>> fleiss_kappa([["a", "a", "a"], ["a", "a", "b"], ["b", "b", "b"]]).value  # 22/40
        0.55
    """
    if not ratings:
        raise ScoringInputError("ratings are empty; need at least one item")
    n_raters = len(ratings[0])
    if n_raters < 2:
        raise ScoringInputError(f"Fleiss' kappa needs at least 2 raters per item, got {n_raters}")
    for pos, item in enumerate(ratings):
        if len(item) != n_raters:
            raise ScoringInputError(f"item {pos} has {len(item)} ratings, expected {n_raters} "
                                    "(every rater labels every item)")
    label_set = tuple(labels) if labels is not None else tuple(
        sorted({v for item in ratings for v in item if isinstance(v, str)}))
    codes = _codes([v for item in ratings for v in item], label_set, "ratings")
    counts = np.zeros((len(ratings), len(label_set)), dtype=np.float64)
    np.add.at(counts, (np.repeat(np.arange(len(ratings)), n_raters), codes), 1)
    p_i = ((counts ** 2).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    p_j = counts.sum(axis=0) / counts.sum()
    chance = float((p_j ** 2).sum())
    value = None if chance >= 1 - 1e-12 else (float(p_i.mean()) - chance) / (1 - chance)
    return AgreementFigure(None if value is None else round(value, 12), len(ratings))
