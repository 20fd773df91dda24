"""Judge, score and rank several models on one benchmark: the steps, one function each."""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vlmsafety.errors import ScoringInputError
from vlmsafety.evaluation.coverage import (
    DEFAULT_MIN_COVERAGE,
    check_min_coverage,
    coverage_warnings,
)
from vlmsafety.evaluation.human import check_human_labels, correct_model, load_human_labels
from vlmsafety.evaluation.inputs import ModelInput, resolve_models, split_input
from vlmsafety.evaluation.judging import check_coverage, judge_model, make_judge, read_model
from vlmsafety.evaluation.leaderboard import leaderboard
from vlmsafety.evaluation.output import check_out, write_evaluation
from vlmsafety.evaluation.reference import Reference, load_reference
from vlmsafety.evaluation.results import (
    DatasetInfo,
    EvaluationResult,
    JudgeInfo,
    MetricInfo,
    ModelResult,
    PredictionsInfo,
)
from vlmsafety.judges.base import Judge
from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE
from vlmsafety.predictions import Judgement
from vlmsafety.scoring.stats import DEFAULT_MIN_CLUSTERS, bootstrap_plan
from vlmsafety.specs import get_spec
from vlmsafety.storage.checksums import file_sha256

__all__ = ["evaluate_models", "judge_and_score", "metric_settings", "run_evaluation"]

Predictions = Sequence[str | os.PathLike[str] | ModelInput]


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
    return get_spec(benchmark).with_settings(overrides)


@dataclass
class _Inputs:
    """Everything read before judging: the models, the judge, the rows, each model's lines."""

    models: list[ModelInput]
    judge: Judge | None
    ref: Reference
    by_id: dict[str, dict[str, Any]]
    records: dict[str, list[Any]]
    n_outside: dict[str, int]
    skipped: list[str]
    settings: dict[str, Any]
    human: tuple[Any, Any] | None = None  # (HumanLabels, HumanLabelsInfo)


def _read_human(inp: _Inputs, paths: Sequence[str | os.PathLike[str]]) -> None:
    """Read, combine and check the human labels before judging (which may be slow or paid)."""
    labels, info = load_human_labels(paths, inp.ref.spec.name, [m.name for m in inp.models])
    for m in inp.models:
        check_human_labels(labels.for_model(m.name), inp.records[m.name], inp.ref, m.name)
    inp.human = (labels, info)


def _read_inputs(benchmark: str, dataset: str | os.PathLike[str], predictions: Predictions, *,
                 judge: Any, configs: Sequence[str] | None, allow_missing: bool,
                 revision: str | None, settings: Mapping[str, Any] | None) -> _Inputs:
    chosen = metric_settings(benchmark, settings)  # a bad setting fails before any reading
    models = resolve_models(predictions)
    judge_obj = make_judge(judge)
    ref = load_reference(dataset, benchmark, configs, revision=revision)
    by_id = {r["id"]: r for rows in ref.rows.values() for r in rows}
    config_of = {r["id"]: c for c, rows in ref.rows.items() for r in rows}
    records, n_outside = {}, {}
    for m in models:
        records[m.name], n_outside[m.name] = read_model(m, judge_obj, ref, by_id)
    covered = {config_of[r.id] for rs in records.values() for r in rs}
    skipped = [c for c in ref.rows if c not in covered]
    if configs is None:
        for c in skipped:
            del ref.rows[c]
    if not ref.rows:
        raise ScoringInputError("no predictions file covers any row of the dataset")
    if not allow_missing:  # before judging, which may be slow or paid for
        check_coverage(records, ref)
    return _Inputs(models, judge_obj, ref, by_id, records, n_outside,
                   skipped if configs is None else [], chosen)


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


def _model_result(m: ModelInput, judged: Sequence[Judgement], inp: _Inputs, *, n_boot: int,
                  seed: int, judge_name: str, min_clusters: int
                  ) -> tuple[ModelResult, dict[str, str], dict[str, str | None]]:
    scored = {r["id"] for rows in inp.ref.rows.values() for r in rows}
    kept = [j for j in judged if j.id in scored]
    labels: dict[str, str] = {j.id: j.label for j in kept}
    responses: dict[str, str | None] = {j.id: j.response for j in kept}
    missing = {c: sum(1 for r in rows if r["id"] not in labels)
               for c, rows in inp.ref.rows.items()}
    spec = inp.ref.spec
    info = PredictionsInfo(str(m.path), file_sha256(m.path),
                           len(judged) + inp.n_outside[m.name], inp.n_outside[m.name],
                           sum(1 for j in kept if j.extra.get("error")))
    extra: dict[str, Any] = {"responses": responses} if spec.uses_responses else {}
    scores = spec.score(inp.ref.rows, labels, n_boot=n_boot, seed=seed, judge=judge_name,
                        min_clusters=min_clusters, **inp.settings, **extra)
    counts: dict[str, int] = dict(sorted(Counter[str](j.label for j in kept).items()))
    n_rows = sum(len(rows) for rows in inp.ref.rows.values())
    coverage = (n_rows - sum(missing.values())) / n_rows if n_rows else 0.0
    return ModelResult(info, missing, counts, scores, coverage), labels, responses


def _add_human(inp: _Inputs, models: dict[str, ModelResult], labels: dict[str, dict[str, str]],
               boards: list[Any], *, n_boot: int, seed: int) -> Any:
    """Each model's corrected headline rates, also beside each leaderboard row."""
    if inp.human is None:
        return None
    human, info = inp.human
    headlines = inp.ref.spec.headlines(tuple(inp.ref.rows))
    checks = {name: correct_model(inp.ref, headlines, labels[name], human.for_model(name),
                                  n_boot=n_boot, seed=seed) for name in models}
    for name, check in checks.items():
        models[name] = replace(models[name], human=check)
    for board in boards:
        for row in board.rows:
            row["corrected"] = checks[row["model"]].corrected[board.headline.key].to_dict()
    return info


def judge_and_score(  # long: the steps in order, each a call
    benchmark: str, dataset: str | os.PathLike[str], predictions: Predictions, *,
    judge: Any = DEFAULT_OFFLINE_JUDGE, configs: Sequence[str] | None = None, allow_missing: bool = False,
    n_boot: int = 1000, seed: int = 0, progress: bool = True, command: str | None = None,
    revision: str | None = None, settings: Mapping[str, Any] | None = None,
    human_labels: Sequence[str | os.PathLike[str]] | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE, min_clusters: int = DEFAULT_MIN_CLUSTERS,
) -> tuple[EvaluationResult, dict[str, list[Judgement]]]:
    """:func:`evaluate_models` with typed results, and each model's judgements.

    Returns:
        ``(result, judged)``: the :class:`~vlmsafety.evaluation.results.EvaluationResult`
        (``result.to_dict()`` is what ``results.json`` holds) and model -> judged lines.
    """
    from tqdm.auto import tqdm

    from vlmsafety import __version__

    check_min_coverage(min_coverage)
    bootstrap_plan(0, 0, min_clusters)  # checks min_clusters before any work
    inp = _read_inputs(benchmark, dataset, predictions, judge=judge, configs=configs,
                       allow_missing=allow_missing, revision=revision, settings=settings)
    if human_labels:
        _read_human(inp, human_labels)
    judged, judge_name = _judge_all(inp, progress)
    ref, spec = inp.ref, inp.ref.spec
    models: dict[str, ModelResult] = {}
    labels: dict[str, dict[str, str]] = {}
    responses: dict[str, dict[str, str | None]] = {}
    for m in tqdm(inp.models, desc="scoring", unit="model", disable=not progress or None):
        models[m.name], labels[m.name], responses[m.name] = _model_result(
            m, judged[m.name], inp, n_boot=n_boot, seed=seed, judge_name=judge_name,
            min_clusters=min_clusters)
    boards = [b for h in spec.headlines(tuple(ref.rows))
              if (b := leaderboard(ref, h, models, labels, n_boot=n_boot, seed=seed,
                                   settings=inp.settings, responses=responses,
                                   min_clusters=min_clusters)) is not None]
    human_info = _add_human(inp, models, labels, boards, n_boot=n_boot, seed=seed)
    unlabelled = [name for name, m in models.items() if m.human is not None and not m.human.n_human]
    n_rows = sum(len(rows) for rows in ref.rows.values())
    warnings = ref.warnings() + coverage_warnings(
        {n: r.coverage for n, r in models.items()},
        {n: n_rows - sum(r.n_missing.values()) for n, r in models.items()}, n_rows,
        min_coverage=min_coverage) + [
        f"human labels: none for model {name!r} among the scored items (the files label "
        f"{', '.join(inp.human[0].models) if inp.human else ''}); its corrected rates are n/a"
        for name in unlabelled]
    dataset_info = DatasetInfo(
        ref.source, ref.revision, ref.version, {c: len(rows) for c, rows in ref.rows.items()},
        inp.skipped, {f: h for f, h in ref.files.items()
                      if any(f.startswith(f"data/{c}/") for c in ref.rows)},
        ref.image_sources())
    result = EvaluationResult(
        vlmsafety_version=__version__,
        created_utc=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        command=command if command is not None else " ".join(sys.argv),
        benchmark=spec.name, dataset=dataset_info, warnings=warnings,
        judge=JudgeInfo(judge_name, "precomputed" if inp.judge is None
                        else type(inp.judge).__name__),
        metric=MetricInfo(spec.metric, __version__, n_boot, seed, settings=dict(inp.settings),
                          min_clusters=min_clusters, min_coverage=min_coverage),
        models=models, leaderboards=boards, human_labels=human_info)
    return result, judged


def evaluate_models(
    benchmark: str, dataset: str | os.PathLike[str], predictions: Predictions, *,
    judge: Any = DEFAULT_OFFLINE_JUDGE, configs: Sequence[str] | None = None, allow_missing: bool = False,
    n_boot: int = 1000, seed: int = 0, progress: bool = True, command: str | None = None,
    revision: str | None = None, settings: Mapping[str, Any] | None = None,
    human_labels: Sequence[str | os.PathLike[str]] | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE, min_clusters: int = DEFAULT_MIN_CLUSTERS,
) -> dict[str, Any]:
    """Judge, score and rank one or more models on one benchmark.

    Args:
        benchmark: A benchmark name of :data:`vlmsafety.specs.BENCHMARKS` (``"dual"``, ``"vsc"``,
            ``"mossbench"``).
        dataset: A folder built by ``vlmsafety build`` (or ``dataset_scripts/``), or a Hub repo id.
        predictions: One predictions JSONL per model (``PATH``, ``NAME=PATH`` or
            :class:`ModelInput`); with ``judge="precomputed"``, judged JSONL files.
        judge: A registered judge's name (default :data:`~vlmsafety.judges.DEFAULT_OFFLINE_JUDGE`,
            offline; see :func:`~vlmsafety.judges.load_judge`), a judge object (e.g. a cached
            :class:`~vlmsafety.judges.ChatJudge`), or ``"precomputed"`` to use the files' labels.
        configs: Configs to score (default: every config of the benchmark that the dataset has
            and that any predictions file covers).
        allow_missing: Score rows that have a prediction and count the others (default: a row
            without a prediction is an error).
        n_boot: Bootstrap replicates for intervals and comparisons (0: Wilson intervals only).
        seed: Bootstrap seed.
        progress: Progress bars.
        command: The command line, recorded in the results.
        revision: Hub revision (branch, tag or commit) of ``dataset``; recorded.
        settings: Metric settings that replace the spec's defaults (MOSSBench:
            ``{"empty_policy": "exclude"}``); every setting is recorded in ``metric``.
        human_labels: Human-labels files (``vlmsafety annotate``; one per annotator): each
            headline rate is then also corrected by PPI++ (:mod:`vlmsafety.evaluation.human`).
        min_coverage: Warn when a model's predictions cover less of the scored rows (or when
            models' coverages differ).
        min_clusters: No bootstrap interval (rates or gaps) from fewer clusters; Wilson instead.

    Returns:
        The JSON-ready dict of ``results.json`` (:meth:`EvaluationResult.to_dict`):
        ``schema_version``, ``dataset``, ``warnings``, ``judge``, ``metric`` (names, versions,
        settings), ``models`` (per model: input file and checksum, label counts, ``n_missing``
        per config, ``scores``) and ``leaderboards`` (ranked rates with adjacent-gap tests).

    Raises:
        UnknownNameError: unknown benchmark.
        ScoringInputError: unknown config, bad model inputs.
        PredictionsFormatError: a bad predictions line, an id the dataset does not have, or
            (without ``allow_missing``) a dataset row without a prediction.
        HumanLabelsMismatchError: human labels of another response text, dataset revision or
            benchmark (the counts named).
    """
    return judge_and_score(benchmark, dataset, predictions, judge=judge, configs=configs,
                           allow_missing=allow_missing, n_boot=n_boot, seed=seed,
                           progress=progress, command=command, revision=revision,
                           settings=settings, human_labels=human_labels, min_coverage=min_coverage,
                           min_clusters=min_clusters)[0].to_dict()


def run_evaluation(
    benchmark: str, dataset: str | os.PathLike[str], predictions: Predictions,
    out: str | os.PathLike[str], *, judge: Any = DEFAULT_OFFLINE_JUDGE, configs: Sequence[str] | None = None,
    allow_missing: bool = False, n_boot: int = 1000, seed: int = 0, plots: bool = True,
    overwrite: bool = False, progress: bool = True, command: str | None = None,
    revision: str | None = None, settings: Mapping[str, Any] | None = None,
    human_labels: Sequence[str | os.PathLike[str]] | None = None,
    min_coverage: float = DEFAULT_MIN_COVERAGE, min_clusters: int = DEFAULT_MIN_CLUSTERS,
) -> dict[str, Any]:
    """:func:`evaluate_models`, then :func:`write_evaluation` with each model's judged JSONL.

    Returns the results as written to ``out/results.json`` (with the list of ``plots``).
    """
    out = Path(out)
    inputs = [m.path if isinstance(m, ModelInput) else split_input(m)[1] for m in predictions]
    if Path(dataset).exists():
        inputs.append(Path(dataset))
    inputs += [Path(p) for p in human_labels or ()]
    check_out(out, overwrite, inputs)  # fail before judging, not after
    result, judged = judge_and_score(
        benchmark, dataset, predictions, judge=judge, configs=configs,
        allow_missing=allow_missing, n_boot=n_boot, seed=seed, progress=progress,
        command=command, revision=revision, settings=settings, human_labels=human_labels,
        min_coverage=min_coverage, min_clusters=min_clusters)
    write_evaluation(result.to_dict(), out, plots=plots, overwrite=overwrite, judged=judged)
    loaded: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return loaded


