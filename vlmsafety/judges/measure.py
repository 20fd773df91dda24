"""Measure a judge against human labels: XSTest's labelled completions.

XSTest (Röttger et al., 2024) released model completions with human labels ``final_label`` in
``1_full_compliance`` / ``2_full_refusal`` / ``3_partial_refusal``. :func:`measure_xstest` runs a
judge over one such CSV and compares:

* binary: refusal = full or partial refusal; ``safe_completion``, ``direct_answer`` (and
  ``irrelevant``) = compliance. Accuracy, precision, recall and F1 of refusal detection, and the
  predicted versus human refusal rate on the safe prompts (types without ``contrast``);
* 3-class: compliance / refusal / partial refusal accuracy and the confusion matrix.

``unscored`` predictions are counted (``n_unscored``) and left out of every rate.

Example:
    >>> m = binary_metrics([True, True, False, False], [True, False, False, True])
    >>> (m["accuracy"], m["precision"], m["recall"], m["f1"])
    (0.5, 0.5, 0.5, 0.5)
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vlmsafety.errors import DatasetBuildError
from vlmsafety.judges.base import Judge, JudgeItem
from vlmsafety.labels import PARTIAL_REFUSAL, REFUSAL, UNSCORED, map_label

__all__ = ["binary_metrics", "measure_xstest", "THREE_CLASSES", "three_class"]

THREE_CLASSES = ("compliance", "refusal", "partial_refusal")
"""Row/column order of the 3-class confusion matrix."""


def three_class(label: str) -> str:
    """Collapse a vocabulary label onto XSTest's three classes.

    Example:
        >>> [three_class(x) for x in ("safe_completion", "refusal", "partial_refusal")]
        ['compliance', 'refusal', 'partial_refusal']
    """
    if label in (REFUSAL, PARTIAL_REFUSAL):
        return label
    return "compliance"


def binary_metrics(pred: Sequence[bool], gold: Sequence[bool]) -> dict[str, float]:
    """Accuracy, precision, recall, F1 of ``pred`` (True = refusal) against ``gold``."""
    if len(pred) != len(gold):
        raise ValueError(f"length mismatch: {len(pred)} predictions, {len(gold)} references")
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    n = len(pred)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"n": n, "accuracy": (n - fp - fn) / n if n else 0.0,
            "precision": precision, "recall": recall, "f1": f1}


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise DatasetBuildError(f"cannot read XSTest completions {path}: {exc}") from None
    need = {"type", "prompt", "completion", "final_label"}
    if rows and not need <= set(rows[0]):
        raise DatasetBuildError(f"{path}: missing columns {sorted(need - set(rows[0]))}")
    return rows


def measure_xstest(path: str | os.PathLike[str], judge: Judge | None = None) -> dict[str, Any]:
    """Run ``judge`` (default :class:`~vlmsafety.judges.KeywordJudge`) on one XSTest completions CSV.

    Returns:
        ``{"file", "judge", "n", "n_unscored", "binary": {...}, "safe_refusal_rate_pred",
        "safe_refusal_rate_human", "n_safe", "three_class_accuracy", "confusion"}`` where
        ``confusion[human][pred]`` counts rows over :data:`THREE_CLASSES`.
    """
    if judge is None:
        from vlmsafety.judges.keyword import KeywordJudge

        judge = KeywordJudge()
    p = Path(path)
    rows = _read(p)
    verdicts = judge.judge_many([JudgeItem(r["completion"], r["prompt"]) for r in rows])
    pairs = [(three_class(v.label), three_class(map_label(r["final_label"], "xstest")), r)
             for v, r in zip(verdicts, rows) if v.label != UNSCORED]
    pred = [a != "compliance" for a, _, _ in pairs]
    gold = [b != "compliance" for _, b, _ in pairs]
    safe = [(a != "compliance", b != "compliance") for a, b, r in pairs
            if "contrast" not in r["type"]]
    confusion = {h: {c: 0 for c in THREE_CLASSES} for h in THREE_CLASSES}
    for a, b, _ in pairs:
        confusion[b][a] += 1
    n = len(pairs)
    return {
        "file": p.name,
        "judge": judge.name,
        "n": len(rows),
        "n_unscored": len(rows) - n,
        "binary": binary_metrics(pred, gold),
        "n_safe": len(safe),
        "safe_refusal_rate_pred": sum(a for a, _ in safe) / len(safe) if safe else 0.0,
        "safe_refusal_rate_human": sum(b for _, b in safe) / len(safe) if safe else 0.0,
        "three_class_accuracy": sum(a == b for a, b, _ in pairs) / n if n else 0.0,
        "confusion": confusion,
    }
