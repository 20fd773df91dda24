"""Deprecated: use :mod:`vlmsafety.judges.judge_eval` and :mod:`vlmsafety.scoring.agreement`.

Kept so that old scripts run: :func:`measure_xstest` and :func:`binary_metrics` now compute every
figure with :func:`vlmsafety.scoring.agreement.agreement` (the one module for agreement figures)
and warn with :class:`DeprecationWarning`. A figure the data cannot support is ``None`` (it used to
be ``0.0``).

Example:
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     m = binary_metrics([True, True, False, False], [True, False, False, True])
    >>> (m["accuracy"], m["precision"], m["recall"], m["f1"])
    (0.5, 0.5, 0.5, 0.5)
"""

from __future__ import annotations

import csv
import dataclasses
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vlmsafety.judges.base import Judge
from vlmsafety.labels import DIRECT_ANSWER, PARTIAL_REFUSAL, REFUSAL

__all__ = ["THREE_CLASSES", "binary_metrics", "measure_xstest", "three_class"]

THREE_CLASSES = ("compliance", "refusal", "partial_refusal")
"""Row/column order of the 3-class confusion matrix."""

_NEW = "use vlmsafety.judges.judge_eval.evaluate_judge (or vlmsafety judge-eval)"


def _deprecated(name: str) -> None:
    warnings.warn(f"vlmsafety.judges.measure.{name} is deprecated; {_NEW}",
                  DeprecationWarning, stacklevel=3)


def three_class(label: str) -> str:
    """Collapse a vocabulary label onto XSTest's three classes.

    Example:
        >>> [three_class(x) for x in ("safe_completion", "refusal", "partial_refusal")]
        ['compliance', 'refusal', 'partial_refusal']
    """
    if label in (REFUSAL, PARTIAL_REFUSAL):
        return label
    return "compliance"


def binary_metrics(pred: Sequence[bool], gold: Sequence[bool]) -> dict[str, Any]:
    """Deprecated. Accuracy, precision, recall, F1 of ``pred`` (True = refusal) against ``gold``."""
    from vlmsafety.scoring.agreement import agreement

    _deprecated("binary_metrics")
    r = agreement([REFUSAL if p else DIRECT_ANSWER for p in pred],
                  [REFUSAL if g else DIRECT_ANSWER for g in gold],
                  positive=REFUSAL, labels=(REFUSAL, DIRECT_ANSWER), n_boot=0)
    return {"n": r.n, "accuracy": r.accuracy.value, "precision": r.precision.value,
            "recall": r.recall.value, "f1": r.f1.value}


def _safe_ids(path: Path) -> set[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {r["id"] for r in csv.DictReader(fh) if "contrast" not in r.get("type", "")}


def measure_xstest(path: str | os.PathLike[str], judge: Judge | None = None) -> dict[str, Any]:
    """Deprecated. Run ``judge`` (default keyword) on one XSTest completions CSV.

    Returns:
        ``{"file", "judge", "n", "n_unscored", "binary": {...}, "safe_refusal_rate_pred",
        "safe_refusal_rate_human", "n_safe", "three_class_accuracy", "confusion"}`` where
        ``confusion[human][pred]`` counts rows over :data:`THREE_CLASSES`.
    """
    from vlmsafety.corpora import read_xstest
    from vlmsafety.judges.judge_eval import evaluate_judge

    _deprecated("measure_xstest")
    if judge is None:
        from vlmsafety.judges.keyword import KeywordJudge

        judge = KeywordJudge()
    p = Path(path)
    corpus = read_xstest(p)
    res = evaluate_judge(judge, corpus, n_boot=0, progress=False)
    a = res.agreement
    names: dict[str, str] = {REFUSAL: "refusal", PARTIAL_REFUSAL: "partial_refusal",
                             DIRECT_ANSWER: "compliance"}
    confusion = {h: {c: 0 for c in THREE_CLASSES} for h in THREE_CLASSES}
    for ref, row in zip(a.labels, a.confusion):
        for pred, count in zip(a.labels, row):
            confusion[names[ref]][names[pred]] += count
    safe = _safe_ids(p)
    safe_corpus = dataclasses.replace(corpus, rows=tuple(r for r in corpus.rows if r.id in safe))
    s = evaluate_judge(judge, safe_corpus, n_boot=0, progress=False).agreement
    return {
        "file": p.name,
        "judge": res.judge,
        "n": res.n_rows,
        "n_unscored": res.n_unscored,
        "binary": {"n": a.n, "accuracy": a.accuracy.value, "precision": a.precision.value,
                   "recall": a.recall.value, "f1": a.f1.value},
        "n_safe": s.n,
        "safe_refusal_rate_pred": s.pred_positive_rate.value,
        "safe_refusal_rate_human": s.ref_positive_rate.value,
        "three_class_accuracy": a.exact_agreement.value,
        "confusion": confusion,
    }
