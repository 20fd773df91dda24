"""Train the learned refusal judge's weights from the shipped human-labelled corpora (deterministic).

    python -m vlmsafety.judges.train [--data-dir ../shared/data] [--out vlmsafety/data/refusal_lr.json]

What is fitted (everything from the corpora named in :data:`TRAIN_CORPORA`; never MOSSBench):

1. The columns allowed a weight: hashed word n-gram buckets (see
   :mod:`vlmsafety.judges.features`) that occur in at least :data:`MIN_DF` responses *and* in at
   least two corpora or :data:`MIN_GROUPS` prompt groups, so a phrase tied to one GPTFuzz question
   or one XSTest prompt cannot get a weight of its own; the hand-written indicators always.
2. A logistic regression (refusal = 1: XSTest's full and partial refusals, GPTFuzz's "not
   jailbroken"; compliance = 0) with an L2 penalty :data:`L2`, full-batch Nesterov gradient
   descent for :data:`ITERATIONS` steps from zero (no randomness). Each corpus weighs the same in
   the loss, whatever its size; GPTFuzz's repeated (question, response) rows are counted once.
3. The calibration: Platt scaling ``p = sigmoid(a * score + b)`` fitted on *out-of-corpus*
   scores (each corpus scored by a model trained on the others), so the confidence reflects how
   the model does on data it never saw.

Weights are rounded to 4 decimals and written as sorted JSON, so the file and its sha256 are the
same on every run (``tests/judges/test_refusal_lr.py`` retrains and compares).

Example:
    >>> w, b = fit_logistic(np.array([0, 1]), np.array([0, 1]), np.array([1.0, 1.0]), 2,
    ...                     np.array([1.0, 0.0]), np.array([1.0, 1.0]), l2=0.1, iterations=200)
    >>> bool(w[0] > 0 > w[1])
    True
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vlmsafety.errors import DatasetBuildError
from vlmsafety.judges.features import (
    BITS,
    FEATURE_SPEC,
    N_FEATURES,
    Features,
    batch_features,
    batch_scores,
)
from vlmsafety.judges.refusal_lr import WEIGHT_SCALE, encode_weights

__all__ = [
    "ITERATIONS",
    "L2",
    "MIN_DF",
    "MIN_GROUPS",
    "TRAIN_CORPORA",
    "TrainSet",
    "fit_logistic",
    "fit_platt",
    "main",
    "model_json",
    "oof_scores",
    "read_training_corpus",
    "train_model",
]

TRAIN_CORPORA = ("xstest-gpt4", "xstest-llama2new", "gptfuzz")
"""The shipped human-labelled corpora the shipped weights are trained on (the three folds)."""
L2 = 3e-4
"""L2 penalty on the weights (per unit of mean loss)."""
ITERATIONS = 300
"""Gradient steps."""
MIN_DF = 3
"""A feature must occur in at least this many responses of the training data."""
MIN_GROUPS = 3
"""... and in at least this many prompt groups (GPTFuzz question, XSTest prompt) or two corpora."""

_XSTEST = {"1_full_compliance": 0, "2_full_refusal": 1, "3_partial_refusal": 1}
_GPTFUZZ = {"direct_answer": 0, "refusal": 1}


@dataclass(frozen=True)
class TrainSet:
    """One corpus for training: responses, prompts, binary refusal targets and prompt groups."""

    name: str
    texts: list[str]
    prompts: list[str]
    y: np.ndarray
    groups: list[str]


def read_training_corpus(name: str, data_dir: str | os.PathLike[str]) -> TrainSet:
    """Read one shipped corpus as binary refusal targets; GPTFuzz's repeated rows counted once.

    Raises:
        DatasetBuildError: unknown name (names the allowed ones) or an unreadable file.
    """
    root = Path(data_dir)
    if name.startswith("xstest-"):
        path, col, text, mapping = (root / "xstest" / f"xstest_v2_completions_{name[7:]}.csv",
                                    "final_label", "completion", _XSTEST)
    elif name == "gptfuzz":
        path, col, text, mapping = root / "judges" / "gptfuzz.csv", "human_label", "response", _GPTFUZZ
    else:
        raise DatasetBuildError(f"unknown training corpus {name!r}; allowed: {', '.join(TRAIN_CORPORA)}")
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise DatasetBuildError(f"cannot read corpus {name!r} at {path}: {exc}") from None
    seen: set[tuple[str, str]] = set()
    texts, prompts, ys, groups = [], [], [], []
    for r in rows:
        group = r.get("question_id") or r["prompt"]
        key = (group, r[text])
        if key in seen:
            continue
        seen.add(key)
        texts.append(r[text])
        prompts.append(r["prompt"])
        ys.append(mapping[r[col]])
        groups.append(f"{name}:{group}")
    return TrainSet(name, texts, prompts, np.array(ys, dtype=np.float64), groups)


def _allowed_columns(sets: Sequence[TrainSet], f: Features) -> np.ndarray:
    """Columns seen in >= MIN_DF responses and in >= MIN_GROUPS prompt groups or >= 2 corpora."""
    corpus_of = np.concatenate([np.full(len(ts.y), k) for k, ts in enumerate(sets)])
    group_names = [g for ts in sets for g in ts.groups]
    _, group_of = np.unique(np.array(group_names), return_inverse=True)
    pairs = np.unique(f.rows * N_FEATURES + f.cols)  # (document, column) once each
    docs, cols = pairs // N_FEATURES, pairs % N_FEATURES
    df = np.bincount(cols, minlength=N_FEATURES)
    n_groups = np.bincount(np.unique(group_of[docs] * N_FEATURES + cols) % N_FEATURES,
                           minlength=N_FEATURES)
    n_corpora = np.bincount(np.unique(corpus_of[docs] * N_FEATURES + cols) % N_FEATURES,
                            minlength=N_FEATURES)
    ok = (df >= MIN_DF) & ((n_groups >= MIN_GROUPS) | (n_corpora >= 2))
    ok[2 ** BITS:] = True  # the hand-written indicators are always in
    return ok


def fit_logistic(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_features: int,
                 y: np.ndarray, sample_weight: np.ndarray, *, l2: float = L2,
                 iterations: int = ITERATIONS) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression on a sparse (COO) design; Nesterov descent from zero.

    Minimises ``sum(sw * logloss) / sum(sw) + l2 / 2 * |w|^2`` (the bias is not penalised).
    Deterministic: fixed step ``1 / L`` from a bound on the curvature, fixed iteration count.

    Returns:
        ``(weights, bias)``.
    """
    n = len(y)
    sw = sample_weight / sample_weight.sum()
    row_sq = np.bincount(rows, weights=vals * vals, minlength=n)
    lipschitz = 0.25 * float((row_sq + 1.0).max()) + l2
    step = 1.0 / lipschitz
    w = np.zeros(n_features)
    b = 0.0
    w_prev, b_prev = w.copy(), b
    for t in range(1, iterations + 1):
        mom = (t - 1) / (t + 2)
        vw = w + mom * (w - w_prev)
        vb = b + mom * (b - b_prev)
        z = vb + np.bincount(rows, weights=vals * vw[cols], minlength=n)
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        r = sw * (p - y)
        gw = np.bincount(cols, weights=vals * r[rows], minlength=n_features) + l2 * vw
        gb = float(r.sum())
        w_prev, b_prev = w, b
        w = vw - step * gw
        b = vb - step * gb
    return w, b


def fit_platt(scores: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None,
              iterations: int = 2000, *, fit_intercept: bool = False) -> tuple[float, float]:
    """Platt scaling ``p = sigmoid(a * score + b)`` by Newton steps on the weighted log loss.

    By default ``b`` stays 0: only the sharpness is calibrated and the decision threshold stays at
    the classifier's own (class-balanced) score 0. An intercept fitted on other corpora moved the
    threshold with their base rates and did worse on the held-out corpus (see docs/judges.md).

    Example:
        >>> a, b = fit_platt(np.array([-2.0, -1.0, 1.0, 2.0, 0.5, -0.5]),
        ...                  np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0]))
        >>> a > 0
        True
    """
    sw = np.ones_like(scores) if sample_weight is None else sample_weight
    a, b = 1.0, 0.0
    x = np.stack([scores, np.ones_like(scores)], axis=1)
    for _ in range(iterations):
        p = 0.5 * (1.0 + np.tanh(0.5 * (a * scores + b)))
        g = x.T @ (sw * (p - y)) + 1e-6 * np.array([a, b])
        h = (x * (sw * p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(2)
        if not fit_intercept:
            g[1], h[0, 1], h[1, 0], h[1, 1] = 0.0, 0.0, 0.0, 1.0
        delta = np.linalg.solve(h, g)
        a, b = a - float(delta[0]), b - float(delta[1])
        if float(np.abs(delta).max()) < 1e-10:
            break
    return a, b


def _corpus_weights(sets: Sequence[TrainSet]) -> np.ndarray:
    # every corpus weighs the same; within a corpus, each class weighs the same
    parts = []
    for ts in sets:
        w = np.empty(len(ts.y))
        for c in (0.0, 1.0):
            m = ts.y == c
            w[m] = 1.0 / (2 * max(int(m.sum()), 1))
        parts.append(w / len(sets))
    return np.concatenate(parts)


def train_model(sets: Sequence[TrainSet], *, l2: float = L2,
                iterations: int = ITERATIONS) -> tuple[np.ndarray, float]:
    """Fit weights on ``sets``; returns ``(weights over N_FEATURES columns, bias)`` (unrounded)."""
    f = batch_features([t for ts in sets for t in ts.texts])
    ok = _allowed_columns(sets, f)
    keep = ok[f.cols]
    y = np.concatenate([ts.y for ts in sets])
    w, b = fit_logistic(f.rows[keep], f.cols[keep], f.vals[keep], N_FEATURES, y,
                        _corpus_weights(sets), l2=l2, iterations=iterations)
    w[~ok] = 0.0
    return w, b


def _round_model(weights: np.ndarray, bias: float) -> tuple[np.ndarray, float]:
    q = np.clip(np.round(weights * WEIGHT_SCALE), -32767, 32767)
    return q / WEIGHT_SCALE, round(bias, 4)


def oof_scores(sets: Sequence[TrainSet], **fit: Any) -> list[np.ndarray]:
    """Scores of each corpus by a (rounded) model trained on all the others (leave one corpus out)."""
    out = []
    for i, held in enumerate(sets):
        w, b = _round_model(*train_model([s for j, s in enumerate(sets) if j != i], **fit))
        out.append(batch_scores(held.texts, w, b))
    return out


def model_json(sets: Sequence[TrainSet], **fit: Any) -> str:
    """The model file's text: weights, bias, out-of-corpus Platt calibration, provenance."""
    oof = oof_scores(sets, **fit)
    a, b_cal = fit_platt(np.concatenate(oof), np.concatenate([s.y for s in sets]),
                         _corpus_weights(sets) * len(np.concatenate(oof)))
    weights, bias = _round_model(*train_model(sets, **fit))
    doc = {
        "format": "vlmsafety-refusal-lr",
        "features": FEATURE_SPEC,
        "trained_on": [s.name for s in sets],
        "n_train": {s.name: len(s.y) for s in sets},
        "l2": fit.get("l2", L2),
        "iterations": fit.get("iterations", ITERATIONS),
        "calibration": {"a": round(a, 6), "b": round(b_cal, 6),
                        "method": "Platt on leave-one-corpus-out scores"},
        "bias": bias,
        "n_features": len(weights),
        "weight_scale": WEIGHT_SCALE,
        "weights_b64": encode_weights(weights),
    }
    return json.dumps(doc, sort_keys=True, indent=0, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: retrain and write the model file (atomically; refuses to overwrite)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("VLMSAFETY_DATA_DIR", "../shared/data")))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.overwrite:
        print(f"error: {args.out} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    sets = [read_training_corpus(n, args.data_dir) for n in TRAIN_CORPORA]
    text = model_json(sets)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.out)
    digest = hashlib.sha256(text.encode()).hexdigest()
    print(f"wrote {args.out} ({len(text) / 1e6:.2f} MB, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
