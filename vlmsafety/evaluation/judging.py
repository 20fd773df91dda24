"""Evaluation's side of judging: read each model's file, check coverage, run the one judging loop.

The loop itself is :func:`vlmsafety.judges.apply.judge_predictions`; this module only says what
the judge is told the model was asked (the benchmark spec's ``judge_prompt`` of the dataset row),
which image it is shown (the row's, read only for a judge that sends images) and which lines
belong to the rows being scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vlmsafety.errors import JudgeError, PredictionsFormatError
from vlmsafety.evaluation.inputs import ModelInput
from vlmsafety.evaluation.reference import Reference
from vlmsafety.judges.apply import PrecomputedJudge, judge_predictions, sends_images
from vlmsafety.judges.base import Judge
from vlmsafety.judges.registry import load_judge
from vlmsafety.labels import LabelScheme
from vlmsafety.predictions import Judgement, read_judgements, read_predictions

__all__ = ["check_coverage", "is_precomputed", "judge_model", "read_model", "resolve_judge"]


def resolve_judge(judge: str | Judge, options: Mapping[str, Any],
                  scheme: str | LabelScheme) -> Judge:
    """The judge of an evaluation: a name through :func:`~vlmsafety.judges.load_judge` (with
    ``options``; the benchmark's rubric ``scheme`` for a judge that takes one), or a judge object.

    Raises:
        JudgeError: an unknown name or option (the message lists the allowed ones), options
            given with a judge object, or something that is neither.
    """
    if isinstance(judge, str):
        return load_judge(judge, defaults={"scheme": scheme}, **options)
    if not isinstance(judge, Judge):
        raise JudgeError(f"judge must be a registered judge's name or a Judge, got "
                         f"{type(judge).__name__} {judge!r}")
    if options:
        raise JudgeError(f"judge options {', '.join(map(repr, sorted(options)))} need a judge "
                         f"name; {judge.name!r} is already made")
    return judge


def is_precomputed(judge: Judge) -> bool:
    """Whether the files hold the labels already (``judge="precomputed"``)."""
    return isinstance(judge, PrecomputedJudge)


def read_model(model: ModelInput, judge: Judge, ref: Reference,
               by_id: Mapping[str, Any]) -> tuple[list[Any], int]:
    """One model's predictions (or, for the precomputed judge, its judgements), ids checked, and
    how many of its lines were for rows of configs not scored (:attr:`Reference.outside`)."""
    known = by_id.keys() | ref.outside.keys()
    read = read_judgements if is_precomputed(judge) else read_predictions
    records = read(model.path, known_ids=known)
    kept = [r for r in records if r.id in by_id]
    return kept, len(records) - len(kept)


def judge_model(model: ModelInput, records: Sequence[Any], ref: Reference, judge: Judge,
                by_id: Mapping[str, Any]) -> tuple[list[Judgement], str]:
    """Judgements of one model's records (its own labels for the precomputed judge)."""
    if is_precomputed(judge):
        names = sorted({j.judge for j in records})
        return list(records), "+".join(names) or "precomputed"
    spec = ref.spec
    image_of = (lambda p: ref.images().get(p.id)) if sends_images(judge) else None
    judged = judge_predictions(records, judge, model=model.name, image_of=image_of,
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
