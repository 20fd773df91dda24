"""Evaluation's side of judging: read each model's file, check coverage, run the one judging loop.

The loop itself is :func:`vlmsafety.judges.apply.judge_predictions`; this module only says what
the judge is told the model was asked (the benchmark spec's ``judge_prompt`` of the dataset row)
and which lines belong to the rows being scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vlmsafety.errors import PredictionsFormatError
from vlmsafety.evaluation.inputs import ModelInput
from vlmsafety.evaluation.reference import Reference
from vlmsafety.judges.apply import judge_predictions
from vlmsafety.judges.base import Judge
from vlmsafety.predictions import Judgement, read_judgements, read_predictions

__all__ = ["check_coverage", "judge_model", "make_judge", "read_model"]


def make_judge(judge: Any) -> Judge | None:
    """A judge object from ``judge`` (``None``: the files hold labels already).

    Raises:
        JudgeError: a string that names no registered judge (the message lists them).
    """
    from vlmsafety.judges.registry import load_judge

    if isinstance(judge, str) and judge != "precomputed":
        return load_judge(judge)  # a registered name; unknown names name the registered ones
    return None if judge in (None, "precomputed") else judge


def read_model(model: ModelInput, judge: Judge | None, ref: Reference,
               by_id: Mapping[str, Any]) -> tuple[list[Any], int]:
    """One model's predictions (or, when ``judge`` is None, its judgements), ids checked, and
    how many of its lines were for rows of configs not scored (:attr:`Reference.outside`)."""
    known = by_id.keys() | ref.outside.keys()
    read = read_judgements if judge is None else read_predictions
    records = read(model.path, known_ids=known)
    kept = [r for r in records if r.id in by_id]
    return kept, len(records) - len(kept)


def judge_model(model: ModelInput, records: Sequence[Any], ref: Reference, judge: Judge | None,
                by_id: Mapping[str, Any]) -> tuple[list[Judgement], str]:
    """Judgements of one model's records (its own labels when ``judge`` is None)."""
    if judge is None:
        names = sorted({j.judge for j in records})
        return list(records), "+".join(names) or "precomputed"
    spec = ref.spec
    judged = judge_predictions(records, judge, model=model.name,
                               prompt_of=lambda p: spec.judge_prompt(by_id[p.id]))
    return judged, judge.name


def check_coverage(records_by_model: Mapping[str, Sequence[Any]], ref: Reference) -> None:
    """Raise before any judging when a model lacks a prediction for a row being scored."""
    problems = []
    for name, records in records_by_model.items():
        have = {r.id for r in records}
        absent = {c: [r["id"] for r in rows if r["id"] not in have]
                  for c, rows in ref.rows.items()}
        absent = {c: ids for c, ids in absent.items() if ids}
        if absent:
            where = ", ".join(f"{len(ids)} of {len(ref.rows[c])} in {c!r}"
                              for c, ids in absent.items())
            first = [i for ids in absent.values() for i in ids][:3]
            problems.append(f"model {name!r}: {where} (e.g. {', '.join(map(repr, first))})")
    if problems:
        raise PredictionsFormatError(
            "dataset rows without a prediction: " + "; ".join(problems)
            + ". Pass --allow-missing to score the rows that have one and count the others, "
            "or --config NAME to score fewer configs")
