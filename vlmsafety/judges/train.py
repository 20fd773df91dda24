"""Train the learned refusal judge's weights from the shipped human-labelled corpora (deterministic).

    python -m vlmsafety.judges.train --out vlmsafety/data/refusal_lr.json --overwrite [--data-dir DIR]

What is fitted (everything from the corpora named in :data:`TRAIN_CORPORA`; never MOSSBench):

1. The columns allowed a weight: hashed word n-gram buckets (see
   :mod:`vlmsafety.judges.features`) that occur in at least :data:`MIN_DF` responses *and* in at
   least two corpora or :data:`MIN_GROUPS` prompt groups, so a phrase tied to one GPTFuzz question
   or one XSTest prompt cannot get a weight of its own; the hand-written indicators always.
2. A logistic regression (refusal = 1: XSTest's full and partial refusals, GPTFuzz's "not
   jailbroken"; compliance = 0) with an L2 penalty :data:`L2`, full-batch Nesterov gradient
   descent for :data:`ITERATIONS` steps from zero (no randomness). Each corpus weighs the same in
   the loss, whatever its size; GPTFuzz's repeated (question, response) rows are counted once.
3. The calibration of ``Verdict.confidence``: a logistic fit of "the judge's final label is on
   the right side of refusal / non-refusal" on *out-of-corpus* decisions (each corpus scored by a
   model trained on the others, then the rules applied), from the score towards the chosen side
   and whether a rule overrode the model (:func:`vlmsafety.judges.refusal_lr.confidence`).

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
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vlmsafety.corpora import DATA_DIR_ENV
from vlmsafety.errors import CorpusError
from vlmsafety.judges.devdata import TrainSet, read_dev_corpus
from vlmsafety.judges.features import (
    BITS,
    FEATURE_SPEC,
    N_FEATURES,
    Features,
    batch_features,
    batch_scores,
    normalise_text,
)
from vlmsafety.judges.refusal_lr import WEIGHT_SCALE, decide, encode_weights
from vlmsafety.labels import PARTIAL_REFUSAL, REFUSAL

__all__ = [
    "ITERATIONS",
    "L2",
    "MIN_DF",
    "MIN_GROUPS",
    "TRAIN_CORPORA",
    "TrainSet",
    "calibrate",
    "fit_calibration",
    "fit_logistic",
    "fold_model_json",
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



def read_training_corpus(name: str, data_dir: str | os.PathLike[str] | None = None) -> TrainSet:
    """One development corpus (:func:`vlmsafety.judges.devdata.read_dev_corpus`) of
    :data:`TRAIN_CORPORA`.

    Raises:
        CorpusError: unknown name (names the allowed ones) or an unreadable data folder.
    """
    if name not in TRAIN_CORPORA:
        raise CorpusError(f"unknown training corpus {name!r}; allowed: {', '.join(TRAIN_CORPORA)}")
    return read_dev_corpus(name, data_dir)


def fold_model_json(sets: Sequence[TrainSet], **fit: Any) -> str:
    """:func:`model_json` on the sets of a fold that this recipe trains on (those of
    :data:`TRAIN_CORPORA`, or a part of one: ``msts-en-minus-<model>``)."""
    return model_json([s for s in sets if s.name.split("-minus-")[0] in TRAIN_CORPORA], **fit)


def _unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` of an integer array by sorting: the same values, ~10x faster than the
    hash table numpy >= 2.3 uses for millions of int64 (which then sorts as well)."""
    s = np.sort(x)
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if s.size else s


def _allowed_columns(sets: Sequence[TrainSet], f: Features) -> np.ndarray:
    """Columns seen in >= MIN_DF responses and in >= MIN_GROUPS prompt groups or >= 2 corpora."""
    corpus_of = np.concatenate([np.full(len(ts.y), k) for k, ts in enumerate(sets)])
    group_names = [g for ts in sets for g in ts.groups]
    _, group_of = np.unique(np.array(group_names), return_inverse=True)
    pairs = _unique(f.rows * N_FEATURES + f.cols)  # (document, column) once each
    docs, cols = pairs // N_FEATURES, pairs % N_FEATURES
    df = np.bincount(cols, minlength=N_FEATURES)
    n_groups = np.bincount(_unique(group_of[docs] * N_FEATURES + cols) % N_FEATURES,
                           minlength=N_FEATURES)
    n_corpora = np.bincount(_unique(corpus_of[docs] * N_FEATURES + cols) % N_FEATURES,
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


def fit_calibration(x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray,
                    iterations: int = 100) -> np.ndarray:
    """Weighted logistic regression ``P(y) = sigmoid(x @ beta)`` on a few dense columns (Newton).

    Example:
        >>> x = np.array([[-2.0, 1], [-1.0, 1], [1.0, 1], [2.0, 1], [0.5, 1], [-0.5, 1]])
        >>> beta = fit_calibration(x, np.array([0.0, 0, 1, 1, 0, 1]), np.ones(6))
        >>> bool(beta[0] > 0)
        True
    """
    beta = np.zeros(x.shape[1])
    ridge = 1e-6 * np.eye(x.shape[1])
    for _ in range(iterations):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ beta)))
        g = x.T @ (sample_weight * (p - y)) + 1e-6 * beta
        h = (x * (sample_weight * p * (1 - p))[:, None]).T @ x + ridge
        delta = np.linalg.solve(h, g)
        beta = beta - delta
        if float(np.abs(delta).max()) < 1e-10:
            break
    return beta


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


def calibrate(sets: Sequence[TrainSet], oof: Sequence[np.ndarray]) -> tuple[float, float, float]:
    """Fit ``(a, b, c)`` of :func:`vlmsafety.judges.refusal_lr.confidence` on the judge's
    leave-one-corpus-out decisions (model score + rules), each corpus weighing the same."""
    texts = [t for ts in sets for t in ts.texts]
    prompts: list[str | None] = [p or None for ts in sets for p in ts.prompts]
    score = np.concatenate(oof)
    norm = [normalise_text(t) for t in texts]
    flags = batch_features(texts, normalised=norm).flags
    labels, _, over = decide(texts, prompts, score, flags, norm)
    refusing = np.array([lab in (REFUSAL, PARTIAL_REFUSAL) for lab in labels])
    correct = (refusing == (np.concatenate([ts.y for ts in sets]) == 1)).astype(np.float64)
    z = np.where(refusing, score, -score)
    x = np.stack([z, over.astype(np.float64), np.ones_like(z)], axis=1)
    a, b, c = fit_calibration(x, correct, _corpus_weights(sets) * len(z)).tolist()
    return a, b, c


def model_json(sets: Sequence[TrainSet], **fit: Any) -> str:
    """The model file's text: weights, bias, out-of-corpus calibration, provenance."""
    a, b_cal, c_cal = calibrate(sets, oof_scores(sets, **fit))
    weights, bias = _round_model(*train_model(sets, **fit))
    doc = {
        "format": "vlmsafety-refusal-lr",
        "features": FEATURE_SPEC,
        "trained_on": [s.name for s in sets],
        "n_train": {s.name: len(s.y) for s in sets},
        "l2": fit.get("l2", L2),
        "iterations": fit.get("iterations", ITERATIONS),
        "calibration": {"a": round(a, 6), "b": round(b_cal, 6), "c": round(c_cal, 6),
                        "method": "logistic fit of correctness on leave-one-corpus-out decisions"},
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
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"folder of the shipped corpora (default: ${DATA_DIR_ENV}, else "
                             "../shared/data beside a checkout)")
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
