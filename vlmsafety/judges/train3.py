"""Train refusal-lr 3.x (:mod:`vlmsafety.judges.refusal_lr3`) from the development corpora.

    python -m vlmsafety.judges.train3 --out vlmsafety/data/refusal_lr3_1.json --overwrite [--data-dir DIR]
    python -m vlmsafety.judges.train3 --version 3.0.0 --out vlmsafety/data/refusal_lr3.json --overwrite

Deterministic (fixed iterations from zero, no randomness; rounded weights, sorted JSON), so the file
and its sha256 are the same on every run (``tests/judges/test_refusal_lr3.py`` retrains once per
test session and compares). Trained on :data:`vlmsafety.judges.devdata.DEV_CORPORA` (the three
text corpora and ``msts-en``; never MOSSBench):

1. Columns allowed a weight, per head: as 2.x (:func:`vlmsafety.judges.train._allowed_columns`):
   seen in >= 3 responses and in >= 3 prompt groups or 2 corpora; the indicators always.
2. ``refusal`` head: every row, refusal = 1; each corpus weighs the same, each class within it too.
   ``direct`` head: the human non-refusals, ``direct_answer`` = 1; the two classes weigh the same,
   and within a class each corpus. ``engage`` head: msts-en's non-refusals that are not direct
   answers, ``safe_completion`` = 1 against ``irrelevant``, classes weighing the same.
3. Calibration: the judge's decisions on out-of-fold rows (each text corpus, and each half of the
   msts-en models, scored by heads trained on the rest); Platt fit of "the label is on the right
   side of refusal / non-refusal" on (score towards the side chosen, rule override), then an
   isotonic fit of the correctness on the Platt probability. Every fold weighs the same.
4. The manifest: corpora and rows trained on, and each corpus's out-of-fold binary accuracy (what
   ``judge-eval`` prints beside an in-sample figure).
"""

from __future__ import annotations

import argparse
import dataclasses
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
from vlmsafety.judges.devdata import DEV_CORPORA, MSTS_EN, TrainSet, read_dev_corpus
from vlmsafety.judges.eval_notes import encode_fingerprints, response_fingerprints
from vlmsafety.judges.features import BITS, N_FEATURES, normalise_text
from vlmsafety.judges.refusal_lr3 import (
    HEADS,
    N3,
    VERSION3,
    VERSIONS3,
    Heads,
    _platt,
    answer_text,
    decide3,
    design,
    encode_sparse,
    feature_spec3,
    fit_isotonic,
    reads_as_3_1,
)
from vlmsafety.judges.train import L2, MIN_DF, MIN_GROUPS, _unique, fit_calibration, fit_logistic
from vlmsafety.labels import DIRECT_ANSWER, IRRELEVANT, PARTIAL_REFUSAL, REFUSAL, SAFE_COMPLETION

__all__ = ["ITERATIONS3", "calibration_folds", "fold_model_json", "main", "model_json", "train_heads"]

_SCALE = 4096
VLM_IN_REFUSAL = False
"""Whether the refusal head weighs the VLM indicators (no: on the gptfuzz fold they cost 3-4
points of accuracy; they act through the hand-written VLM rules and the other heads instead)."""
ITERATIONS3 = 150
"""Gradient steps of each head (fewer than 2.x's 300: six fits per model file)."""


def _allowed(rows: np.ndarray, cols: np.ndarray, corpus_of: np.ndarray,
             group_of: np.ndarray) -> np.ndarray:
    pairs = _unique(rows * N3 + cols)
    docs, c = pairs // N3, pairs % N3
    df = np.bincount(c, minlength=N3)
    n_groups = np.bincount(_unique(group_of[docs] * N3 + c) % N3, minlength=N3)
    n_corpora = np.bincount(_unique(corpus_of[docs] * N3 + c) % N3, minlength=N3)
    ok = (df >= MIN_DF) & ((n_groups >= MIN_GROUPS) | (n_corpora >= 2))
    ok[2 ** BITS:] = True  # 2.x's and the VLM indicators
    return ok


def _fit_head(texts: list[str], prompts: list[str], y: np.ndarray, weight: np.ndarray,
              corpus_of: np.ndarray, groups: list[str], *,
              vlm_columns: bool = True) -> tuple[np.ndarray, float]:
    if len(texts) == 0 or len(set(y.tolist())) < 2:  # nothing to learn: a zero head
        return np.zeros(N3), 0.0 if len(texts) == 0 else (4.0 if y[0] else -4.0)
    norm = [normalise_text(t) for t in texts]
    d = design(norm, [p or None for p in prompts])
    _, group_of = np.unique(np.array(groups), return_inverse=True)
    ok = _allowed(d.rows, d.cols, corpus_of, group_of)
    if not vlm_columns:
        ok[N_FEATURES:] = False
    keep = ok[d.cols]
    # the allowed columns renumbered 0..k-1 (the same model as on all N3 columns, fitted on a
    # small, cache-friendly weight vector)
    cols = np.flatnonzero(ok)
    index = np.full(N3, -1, dtype=np.int64)
    index[cols] = np.arange(len(cols))
    wk, b = fit_logistic(d.rows[keep], index[d.cols[keep]], d.vals[keep], len(cols), y, weight,
                         l2=L2, iterations=ITERATIONS3)
    w = np.zeros(N3)
    w[cols] = wk
    q = np.clip(np.round(w * _SCALE), -32767, 32767) / _SCALE
    return q, round(b, 4)


def _balanced(keys: Sequence[tuple[Any, Any]]) -> np.ndarray:
    """Weights making each outer key weigh the same, and each inner key within it."""
    outer: dict[Any, set[Any]] = {}
    count: dict[tuple[Any, Any], int] = {}
    for k in keys:
        outer.setdefault(k[0], set()).add(k[1])
        count[k] = count.get(k, 0) + 1
    return np.array([1.0 / (len(outer) * len(outer[k[0]]) * count[k]) for k in keys])


def train_heads(sets: Sequence[TrainSet]) -> dict[str, tuple[np.ndarray, float]]:
    """Fit the three heads on ``sets`` (rounded weights over :data:`N3` columns, bias)."""
    texts = [t for s in sets for t in s.texts]
    prompts = [p for s in sets for p in s.prompts]
    labels = [x for s in sets for x in s.labels]
    groups = [g for s in sets for g in s.groups]
    names = [s.name for s in sets for _ in s.texts]
    y_ref = np.concatenate([s.y for s in sets])
    corpus_of = np.unique(np.array(names), return_inverse=True)[1]
    heads = {"refusal": _fit_head(texts, prompts, y_ref, _balanced(list(zip(names, y_ref))),
                                  corpus_of, groups, vlm_columns=VLM_IN_REFUSAL)}
    non = np.flatnonzero(y_ref == 0)
    y_dir = np.array([labels[i] == DIRECT_ANSWER for i in non], dtype=np.float64)
    heads["direct"] = _fit_head(
        [texts[i] for i in non], [prompts[i] for i in non], y_dir,
        _balanced([(y, names[i]) for y, i in zip(y_dir.tolist(), non)]), corpus_of[non],
        [groups[i] for i in non])
    eng = [i for i in non if labels[i] in (SAFE_COMPLETION, IRRELEVANT)]
    y_eng = np.array([labels[i] == SAFE_COMPLETION for i in eng], dtype=np.float64)
    heads["engage"] = _fit_head(
        [texts[i] for i in eng], [prompts[i] for i in eng], y_eng,
        _balanced([(0, y) for y in y_eng.tolist()]), corpus_of[eng], [groups[i] for i in eng])
    return heads


def calibration_folds(sets: Sequence[TrainSet]) -> list[tuple[list[TrainSet], TrainSet]]:
    """``(training sets, held-out set)``: each text corpus, then each half of msts-en's models
    (alternate models in sorted order); a corpus or half absent from ``sets`` gives no fold."""
    out: list[tuple[list[TrainSet], TrainSet]] = []
    for k, s in enumerate(sets):
        others = [x for j, x in enumerate(sets) if j != k]
        models = sorted(set(s.units))
        if s.name.startswith(MSTS_EN) and len(models) >= 2:
            units = np.array(s.units)
            for half in (models[0::2], models[1::2]):
                held = np.isin(units, half)
                out.append(([*others, s.subset(~held, f"{s.name}-rest")],
                            s.subset(held, f"{s.name}-half")))
        elif others:
            out.append((others, s))
    return out


def _calibrate(z: np.ndarray, over: np.ndarray, correct: np.ndarray, w: np.ndarray
               ) -> dict[str, Any]:
    """Platt fit of ``correct`` on (z, override), then isotonic on its probability."""
    x = np.stack([z, over, np.ones_like(z)], axis=1)
    a, b, c = (round(v, 6) for v in fit_calibration(x, correct, w * len(z) / w.sum()).tolist())
    p = _platt(z, np.ones(len(z), dtype=bool), over, (a, b, c))
    iso_x, iso_y = fit_isotonic(p, correct, w)
    return {"a": a, "b": b, "c": c, "isotonic_x": iso_x.tolist(), "isotonic_y": iso_y.tolist()}


def _decisions(heads: Heads, held: TrainSet
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    norm = [normalise_text(t) for t in held.texts]
    prompts: list[str | None] = [p or None for p in held.prompts]
    d = design(norm, prompts)
    sc = heads.scores(d)
    labels, _, over = decide3(held.texts, prompts, sc, d.flags, norm, d.vlm,
                              advice=reads_as_3_1(heads.version))
    refusing = np.array([x in (REFUSAL, PARTIAL_REFUSAL) for x in labels])
    z = np.where(refusing, sc["refusal"], -sc["refusal"])
    return z, over, refusing == (held.y == 1)


def _answers(s: TrainSet) -> TrainSet:
    """``s`` with each response read as 3.1 reads it (:func:`answer_text`)."""
    return dataclasses.replace(s, texts=[answer_text(t) for t in s.texts])


def model_json(sets: Sequence[TrainSet], version: str = VERSION3) -> str:
    """The 3.x model file's text: heads, out-of-fold calibration, manifest.

    ``version`` (one of :data:`VERSIONS3`) chooses what is read: 3.1.0 the answer after a leading
    transcription of the image's text, 3.0.0 (the earlier packaged file, reproducible) all of it.
    """
    if version not in VERSIONS3:
        raise ValueError(f"version {version!r}: one of {', '.join(VERSIONS3)}")
    originals = sets
    if reads_as_3_1(version):
        sets = [_answers(s) for s in sets]
    zs: list[np.ndarray] = []
    overs: list[np.ndarray] = []
    corrects: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    oof: dict[str, list[np.ndarray]] = {}
    for train, held in calibration_folds(sets):
        h = Heads(train_heads(train), (1.0, 0.0, 0.0), np.array([0.0]), np.array([0.0]), version)
        z, over, correct = _decisions(h, held)
        zs.append(z)
        overs.append(over)
        corrects.append(correct)
        weights.append(np.full(len(z), 1.0 / len(z)))
        base = held.name.split("-minus-")[0].removesuffix("-half")
        oof.setdefault(base, []).append(correct)
    z, over = np.concatenate(zs), np.concatenate(overs).astype(np.float64)
    correct, w = np.concatenate(corrects).astype(np.float64), np.concatenate(weights)
    calibration = _calibrate(z, over, correct, w)
    calibration["method"] = "Platt then isotonic, on out-of-fold decisions"
    heads = train_heads(sets)
    doc = {
        "format": "vlmsafety-refusal-lr", "version": version, "features": feature_spec3(version),
        "trained_on": sorted({s.name.split("-minus-")[0] for s in sets}),
        "manifest": {
            "corpora": {s.name: len(s.texts) for s in sets},
            "out_of_fold_accuracy": {k: round(float(np.concatenate(v).mean()), 4)
                                     for k, v in sorted(oof.items())},
            "note": "out-of-fold: each text corpus, and each half of the msts-en models, "
                    "judged by heads trained without it",
            "response_fingerprints_b64": encode_fingerprints(
                response_fingerprints([t for s in originals for t in s.texts])),
        },
        "l2": L2, "iterations": ITERATIONS3,
        "calibration": calibration,
        "heads": {name: {**encode_sparse(heads[name][0]), "bias": heads[name][1]} for name in HEADS},
    }
    return json.dumps(doc, sort_keys=True, indent=0, ensure_ascii=True) + "\n"


def fold_model_json(sets: Sequence[TrainSet]) -> str:
    """:func:`model_json` for a fold of the fold table (every development set it is given)."""
    return model_json(sets)


def main(argv: list[str] | None = None) -> int:
    """Command line: retrain and write the 3.x model file (atomically; refuses to overwrite)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"folder of the corpora (default: ${DATA_DIR_ENV}, else "
                             "../shared/data beside a checkout)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--overwrite", action="store_true")
    parser.add_argument("--version", choices=VERSIONS3, default=VERSION3,
                        help=f"model version to train (default {VERSION3}; 3.0.0 reproduces the "
                             "earlier packaged file)")
    args = parser.parse_args(argv)
    if args.out.exists() and not args.overwrite:
        print(f"error: {args.out} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    text = model_json([read_dev_corpus(n, args.data_dir) for n in DEV_CORPORA], args.version)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({len(text) / 1e6:.2f} MB, "
          f"sha256 {hashlib.sha256(text.encode()).hexdigest()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
