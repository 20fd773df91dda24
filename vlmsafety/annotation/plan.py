"""``vlmsafety annotate --plan``: the human labels each headline rate needs for a target width.

For every model and headline rate, the judge's verdicts on the rate's items (``spec.outcomes``)
and, with a pilot, the people's verdicts on the pilot items give the moments that
:func:`vlmsafety.scoring.planning.labels_needed` turns into label counts; without a pilot (or
with fewer than :data:`MIN_PILOT` pilot items for a rate) an assumed judge accuracy does.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from vlmsafety.annotation.items import infer_benchmark
from vlmsafety.evaluation.inputs import parse_model_inputs
from vlmsafety.evaluation.reference import load_reference
from vlmsafety.human_labels import HumanLabel, combine_annotators, read_human_labels
from vlmsafety.predictions import read_judgements
from vlmsafety.scoring.planning import labels_needed, moments_from_accuracy, moments_from_pilot
from vlmsafety.specs import get_spec

__all__ = ["MIN_PILOT", "format_plan", "plan_annotation"]

MIN_PILOT = 10
"""Pilot items a rate needs before its moments replace the assumed accuracy."""


def _human_by_model(pilot: Sequence[str | os.PathLike[str]] | None) -> dict[str, dict[str, str]]:
    if not pilot:
        return {}
    labels = read_human_labels(list(pilot))
    if len(labels.annotators) > 1:
        labels = combine_annotators(labels)
    out: dict[str, dict[str, str]] = {}
    rec: HumanLabel
    for rec in labels:
        out.setdefault(rec.model, {})[rec.id] = str(rec.label)
    return out


def plan_annotation(
    dataset: str | os.PathLike[str], predictions: Sequence[str | os.PathLike[str]], *,
    benchmark: str | None = None, pilot: Sequence[str | os.PathLike[str]] | None = None,
    target_width: float = 0.05, assume_accuracy: float = 0.85, revision: str | None = None,
) -> dict[str, Any]:
    """Labels needed per model and headline rate (judged predictions files are required).

    Returns:
        ``benchmark``, ``target_width``, ``assume_accuracy`` and per model: per headline key
        the :class:`~vlmsafety.scoring.planning.LabelPlan` as a dict plus ``source`` (``pilot``
        or ``assumed``), ``n_in_rate`` and ``n_sample`` (the ``--n`` of a proportional sample
        that puts ``n_corrected`` labels on the rate's items, or all of them when the target is
        out of reach); ``recommended_n``: the largest ``n_sample`` per model (a number, at most
        the model's rows).

    Raises:
        PredictionsFormatError: a predictions file without judge labels (judge it first).
    """
    spec = get_spec(benchmark or infer_benchmark(dataset, revision))
    ref = load_reference(dataset, spec, revision=revision)
    humans = _human_by_model(pilot)
    known = set(ref.ids)
    out: dict[str, Any] = {"benchmark": spec.name, "target_width": target_width,
                           "assume_accuracy": assume_accuracy, "models": {},
                           "recommended_n": {}}
    for model in parse_model_inputs(list(predictions)):
        judge = {j.id: j.label for j in read_judgements(model.path, known_ids=known)}
        rows = {c: [r for r in rs if r["id"] in judge] for c, rs in ref.rows.items()}
        rows = {c: rs for c, rs in rows.items() if rs}
        n_all = sum(len(rs) for rs in rows.values())
        plans: dict[str, Any] = {}
        scoring = spec.with_settings()
        for h in spec.headlines(list(rows)):
            f = scoring.outcomes(rows, judge, h).right
            y, labelled, _, _ = scoring.outcomes(rows, humans.get(model.name, {}), h)
            if not len(f):
                continue
            if int(labelled.sum()) >= MIN_PILOT:
                moments = moments_from_pilot(list(y[labelled]), list(f[labelled]))
                source = "pilot"
            else:
                moments = moments_from_accuracy(float(f.mean()), assume_accuracy)
                source = "assumed"
            plan = labels_needed(moments, n_items=len(f), target_width=target_width)
            # unreachable within the rate's items: label all of them (the exact human rate)
            n_sample = math.ceil((plan.n_corrected or len(f)) * n_all / len(f))
            plans[h.key] = {**plan.to_dict(), "source": source, "n_in_rate": len(f),
                            "n_sample": n_sample, "title": h.title}
        out["models"][model.name] = plans
        needs = [p["n_sample"] for p in plans.values()]
        out["recommended_n"][model.name] = min(n_all, max(needs)) if needs else None
    return out


def format_plan(plan: dict[str, Any]) -> str:
    """The plan as a readable table."""
    lines = [(f"Labels needed for a 95% interval {plan['target_width']:g} wide "
             f"({plan['benchmark']}; judge-corrected = PPI++, human-only = labels alone)")]
    for model, plans in plan["models"].items():
        lines.append(f"\n{model}:")
        lines.append(f"  {'rate':<34} {'items':>6} {'agree':>6} {'source':>8} "
                     f"{'corrected':>9} {'human-only':>10} {'--n':>6}")
        for key, p in plans.items():
            source = (f"pilot {p['moments']['n_pilot']}" if p["source"] == "pilot"
                      else "assumed")
            lines.append(
                f"  {key:<34} {p['n_in_rate']:>6} {p['moments']['agreement']:>6.2f} "
                f"{source:>8} {_n(p['n_corrected']):>9} {_n(p['n_human_only']):>10} "
                f"{_n(p['n_sample']):>6}")
        lines.append(f"  annotate --n {_n(plan['recommended_n'][model])} (proportional sample) "
                     "covers every rate")
        lines += _rare_notes(plans)
    if any(p["source"] == "assumed" for ps in plan["models"].values() for p in ps.values()):
        lines.append(f"\n'assumed': fewer than {MIN_PILOT} pilot labels for the rate, so the "
                     f"judge is assumed {plan['assume_accuracy']:.0%} accurate with symmetric "
                     "errors (--pilot FILE measures it)")
    lines.append("'>N': more labels than the rate has items for the target (label all of them: "
                 "the exact human rate); --n then labels every row")
    return "\n".join(lines)


def _rare_notes(plans: dict[str, Any]) -> list[str]:
    """Per rate: a warning when the sample will hold fewer than 5 positives, and the Neyman
    allocation by the judge's verdict when it needs fewer labels than a proportional sample."""
    out = []
    for key, p in plans.items():
        n = p["n_corrected"] or p["n_in_rate"]
        if p["few_positives"]:
            out.append(f"  warning: {key}: about {p['expected_positives']:.1f} positives expected "
                       f"among {n} labels (< 5): its interval will be the human-only Wilson one "
                       f"({p['method']}), the judge cannot narrow it")
        share, strat = p["flagged_share"], p["n_stratified"]
        if strat is not None and strat < n and not math.isnan(share):
            judge = p["moments"]["judge_rate"]
            n_flag = math.ceil(share * strat)
            out.append(
                f"  stratify {key} by the judge's verdict (Neyman): {strat} labels, {n_flag} "
                f"among the {judge:.1%} judge-flagged items and {strat - n_flag} among the rest; "
                "weight each label by N_h / n_h (its stratum's items over its labels), as "
                "sampling_prob = n_h / N_h in the labels file")
    return out


def _n(value: int | None) -> str:
    return ">N" if value is None else str(value)
