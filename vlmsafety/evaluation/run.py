"""Judge, score and rank several models on one benchmark: the steps, one function each.

Every entry point takes one :class:`~vlmsafety.evaluation.EvaluationRequest` and returns the typed
:class:`~vlmsafety.evaluation.EvaluationResult`; dicts are made only when ``results.json`` is
written.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vlmsafety.errors import ScoringInputError
from vlmsafety.evaluation.coverage import coverage_warnings
from vlmsafety.evaluation.human import check_human_labels, correct_model, load_human_labels
from vlmsafety.evaluation.inputs import ModelInput, resolve_models
from vlmsafety.evaluation.judging import (
    check_coverage,
    is_precomputed,
    judge_model,
    read_model,
    resolve_judge,
)
from vlmsafety.evaluation.leaderboard import leaderboard
from vlmsafety.evaluation.output import check_out, write_results
from vlmsafety.evaluation.reference import Reference, load_reference
from vlmsafety.evaluation.request import EvaluationRequest
from vlmsafety.evaluation.results import (
    DatasetInfo,
    EvaluationResult,
    JudgeInfo,
    Leaderboard,
    MetricInfo,
    ModelResult,
    PredictionsInfo,
)
from vlmsafety.judges.base import Judge
from vlmsafety.predictions import Judgement
from vlmsafety.specs import Scoring, get_spec
from vlmsafety.storage.checksums import file_sha256

__all__ = ["evaluate_models", "judge_and_score", "metric_settings", "run_evaluation"]


def metric_settings(benchmark: str, overrides: Mapping[str, Any] | None = None
                    ) -> dict[str, Any]:
    """The benchmark's metric settings (its spec's defaults) with ``overrides`` applied and
    checked (:meth:`~vlmsafety.specs.BenchmarkSpec.with_settings`).

    Raises:
        UnknownNameError: a setting the benchmark does not have (the message lists them).
        InvalidArgumentError: a value the setting does not allow.

    Example:
        >>> metric_settings("mossbench", {"empty_policy": "exclude"})["empty_policy"]
        'exclude'
        >>> metric_settings("vsc", {"empty_policy": "exclude"})
        Traceback (most recent call last):
        ...
        vlmsafety.errors.UnknownNameError: VSCBench has no metric setting 'empty_policy'; its
        settings: mode, bootstrap_breakdowns
    """
    return dict(get_spec(benchmark).with_settings(overrides).settings)


@dataclass
class _Inputs:
    """Everything read before judging: the models, the judge, the rows, each model's lines."""

    models: list[ModelInput]
    judge: Judge
    ref: Reference
    by_id: dict[str, dict[str, Any]]
    records: dict[str, list[Any]]
    n_outside: dict[str, int]
    skipped: list[str]
    settings: dict[str, Any]
    human: tuple[Any, Any] | None = None  # (HumanLabels, HumanLabelsInfo)

    @property
    def scoring(self) -> Scoring:
        """The spec bound to the evaluation's settings: the scores, the leaderboards' paired
        tests and the human-label correction all count through it."""
        return self.ref.spec.with_settings(self.settings)


def _read_human(inp: _Inputs, paths: Sequence[str | os.PathLike[str]]) -> None:
    """Read, combine and check the human labels before judging (which may be slow or paid)."""
    labels, info = load_human_labels(paths, inp.ref.spec.name, [m.name for m in inp.models])
    for m in inp.models:
        check_human_labels(labels.for_model(m.name), inp.records[m.name], inp.ref, m.name)
    inp.human = (labels, info)


def _read_inputs(req: EvaluationRequest) -> _Inputs:
    chosen = metric_settings(req.benchmark, req.settings)  # a bad setting fails before reading
    models = resolve_models(req.predictions)
    judge = resolve_judge(req.judge, req.judge_options, get_spec(req.benchmark).judge_scheme)
    ref = load_reference(req.dataset, req.benchmark, req.configs, revision=req.revision)
    by_id = {r["id"]: r for rows in ref.rows.values() for r in rows}
    config_of = {r["id"]: c for c, rows in ref.rows.items() for r in rows}
    records, n_outside = {}, {}
    for m in models:
        records[m.name], n_outside[m.name] = read_model(m, judge, ref, by_id)
    covered = {config_of[r.id] for rs in records.values() for r in rs}
    skipped = [c for c in ref.rows if c not in covered]
    if req.configs is None:
        for c in skipped:
            del ref.rows[c]
    if not ref.rows:
        raise ScoringInputError("no predictions file covers any row of the dataset")
    if not req.allow_missing:  # before judging, which may be slow or paid for
        check_coverage(records, ref)
    return _Inputs(models, judge, ref, by_id, records, n_outside,
                   skipped if req.configs is None else [], chosen)


def _judge_all(inp: _Inputs, progress: bool) -> tuple[dict[str, list[Judgement]], str]:
    from tqdm.auto import tqdm

    judged: dict[str, list[Judgement]] = {}
    names: set[str] = set()
    bar = tqdm(inp.models, desc="judging", unit="model", disable=not progress or None)
    for m in bar:
        bar.set_postfix_str(m.name)
        judged[m.name], name = judge_model(m, inp.records[m.name], inp.ref, inp.judge, inp.by_id)
        names.add(name)
    return judged, "+".join(sorted(names))


def _model_result(m: ModelInput, judged: Sequence[Judgement], inp: _Inputs,
                  req: EvaluationRequest, judge_name: str
                  ) -> tuple[ModelResult, dict[str, str], dict[str, str | None]]:
    scored = {r["id"] for rows in inp.ref.rows.values() for r in rows}
    kept = [j for j in judged if j.id in scored]
    labels: dict[str, str] = {j.id: j.label for j in kept}
    responses: dict[str, str | None] = {j.id: j.response for j in kept}
    missing = {c: sum(1 for r in rows if r["id"] not in labels)
               for c, rows in inp.ref.rows.items()}
    info = PredictionsInfo(str(m.path), file_sha256(m.path),
                           len(judged) + inp.n_outside[m.name], inp.n_outside[m.name],
                           sum(1 for j in kept if j.extra.get("error")))
    scores = inp.scoring.score(inp.ref.rows, labels, n_boot=req.n_boot, seed=req.seed,
                               judge=judge_name, min_clusters=req.min_clusters,
                               responses=responses)
    counts: dict[str, int] = dict(sorted(Counter[str](j.label for j in kept).items()))
    n_rows = sum(len(rows) for rows in inp.ref.rows.values())
    coverage = (n_rows - sum(missing.values())) / n_rows if n_rows else 0.0
    return ModelResult(info, missing, counts, scores, coverage), labels, responses


def _add_human(inp: _Inputs, models: dict[str, ModelResult], labels: dict[str, dict[str, str]],
               responses: dict[str, dict[str, str | None]], boards: list[Leaderboard],
               req: EvaluationRequest) -> Any:
    """Each model's corrected headline rates (counted as its headline rates are: the bound
    scorer, its responses), also beside each leaderboard row."""
    if inp.human is None:
        return None
    human, info = inp.human
    headlines = inp.ref.spec.headlines(tuple(inp.ref.rows))
    scoring = inp.scoring
    checks = {name: correct_model(inp.ref, scoring, headlines, labels[name],
                                  human.for_model(name), responses=responses[name],
                                  n_boot=req.n_boot, seed=req.seed) for name in models}
    for name, check in checks.items():
        models[name] = replace(models[name], human=check)
    for i, board in enumerate(boards):
        key = board.headline.key
        rows = tuple(replace(r, corrected=checks[r.model].corrected[key]) for r in board.rows)
        boards[i] = replace(board, rows=rows)
    return info


def _warnings(inp: _Inputs, models: Mapping[str, ModelResult], min_coverage: float) -> list[str]:
    """The dataset's warnings, the coverage warnings, and models without human labels."""
    n_rows = sum(len(rows) for rows in inp.ref.rows.values())
    unlabelled = [name for name, m in models.items() if m.human is not None and not m.human.n_human]
    return inp.ref.warnings() + coverage_warnings(
        {n: r.coverage for n, r in models.items()},
        {n: n_rows - sum(r.n_missing.values()) for n, r in models.items()}, n_rows,
        min_coverage=min_coverage) + [
        f"human labels: none for model {name!r} among the scored items (the files label "
        f"{', '.join(inp.human[0].models) if inp.human else ''}); its corrected rates are n/a"
        for name in unlabelled]


def judge_and_score(request: EvaluationRequest
                    ) -> tuple[EvaluationResult, dict[str, list[Judgement]]]:
    """:func:`evaluate_models`, and each model's judgements.

    Returns:
        ``(result, judged)``: the :class:`~vlmsafety.evaluation.results.EvaluationResult` and
        model -> judged lines (what ``run_evaluation`` writes to ``judged/<model>.jsonl``).
    """
    from tqdm.auto import tqdm

    from vlmsafety._version import __version__

    req = request
    inp = _read_inputs(req)
    if req.human_labels:
        _read_human(inp, req.human_labels)
    judged, judge_name = _judge_all(inp, req.progress)
    ref, spec = inp.ref, inp.ref.spec
    models: dict[str, ModelResult] = {}
    labels: dict[str, dict[str, str]] = {}
    responses: dict[str, dict[str, str | None]] = {}
    for m in tqdm(inp.models, desc="scoring", unit="model", disable=not req.progress or None):
        models[m.name], labels[m.name], responses[m.name] = _model_result(
            m, judged[m.name], inp, req, judge_name)
    boards = [b for h in spec.headlines(tuple(ref.rows))
              if (b := leaderboard(ref, h, models, labels, n_boot=req.n_boot, seed=req.seed,
                                   scoring=inp.scoring, responses=responses,
                                   min_clusters=req.min_clusters)) is not None]
    human_info = _add_human(inp, models, labels, responses, boards, req)
    dataset_info = DatasetInfo(
        ref.source, ref.revision, ref.version, {c: len(rows) for c, rows in ref.rows.items()},
        inp.skipped, {f: h for f, h in ref.files.items()
                      if any(f.startswith(f"data/{c}/") for c in ref.rows)},
        ref.image_sources())
    result = EvaluationResult(
        vlmsafety_version=__version__,
        created_utc=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        command=req.command if req.command is not None else " ".join(sys.argv),
        benchmark=spec.name, dataset=dataset_info,
        warnings=_warnings(inp, models, req.min_coverage),
        judge=JudgeInfo(judge_name, "precomputed" if is_precomputed(inp.judge)
                        else type(inp.judge).__name__),
        metric=MetricInfo(spec.metric, __version__, req.n_boot, req.seed,
                          settings=dict(inp.settings), min_clusters=req.min_clusters,
                          min_coverage=req.min_coverage),
        models=models, leaderboards=boards, human_labels=human_info)
    return result, judged


def evaluate_models(request: EvaluationRequest) -> EvaluationResult:
    """Judge, score and rank one or more models on one benchmark; write nothing.

    Args:
        request: What to evaluate and how (:class:`~vlmsafety.evaluation.EvaluationRequest`:
            benchmark, dataset, predictions, judge, settings, bootstrap, ...).

    Returns:
        The typed :class:`~vlmsafety.evaluation.EvaluationResult`: ``dataset``, ``warnings``,
        ``judge``, ``metric`` (names, versions, settings), ``models`` (per model: input file
        and checksum, label counts, ``n_missing`` per config, the scorer's result objects) and
        ``leaderboards`` (ranked rates with adjacent-gap tests). ``to_dict()`` is the JSON of
        ``results.json``.

    Raises:
        UnknownNameError: unknown benchmark.
        JudgeError: an unknown judge or judge option (the message lists the allowed ones).
        ScoringInputError: unknown config, bad model inputs.
        PredictionsFormatError: a bad predictions line, an id the dataset does not have, or
            (without ``allow_missing``) a dataset row without a prediction.
        HumanLabelsMismatchError: human labels of another response text, dataset revision or
            benchmark (the counts named).
    """
    return judge_and_score(request)[0]


def run_evaluation(request: EvaluationRequest, out: str | os.PathLike[str], *,
                   plots: bool = True, overwrite: bool = False) -> EvaluationResult:
    """:func:`evaluate_models`, then write ``out``: ``results.json``, ``report.md``, ``plots/``
    (with matplotlib, unless ``plots`` is false) and ``judged/<model>.jsonl``.

    The output folder is checked before any judging: it must not exist (unless ``overwrite``,
    and then only an earlier evaluation's folder) and must hold none of the inputs.

    Returns:
        The result, with ``plots`` set: ``result.to_dict()`` is what ``results.json`` holds.

    Example: the module's (:mod:`vlmsafety.evaluation`).
    """
    out = Path(out)
    check_out(out, overwrite, request.input_paths())  # fail before judging, not after
    result, judged = judge_and_score(request)
    written = write_results(result.to_dict(), out, plots=plots, overwrite=overwrite,
                            judged=judged)
    return replace(result, plots=written)
