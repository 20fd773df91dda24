"""What to evaluate and how: one typed request for :func:`~vlmsafety.evaluation.run_evaluation`,
:func:`~vlmsafety.evaluation.evaluate_models` and :func:`~vlmsafety.evaluation.judge_and_score`.

Example:
    >>> req = EvaluationRequest("dual", "./dual-sample", ["a.jsonl", "b=preds/b.jsonl"], n_boot=0)
    >>> req.predictions, req.judge.startswith("refusal-lr@"), req.settings
    (('a.jsonl', 'b=preds/b.jsonl'), True, {})
    >>> req.with_changes(seed=1).seed
    1
    >>> EvaluationRequest("dual", "./d", ["a.jsonl"], min_coverage=2)
    Traceback (most recent call last):
    ...
    vlmsafety.errors.InvalidArgumentError: --min-coverage must be a number in [0, 1], got 2
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlmsafety.evaluation.coverage import DEFAULT_MIN_COVERAGE, check_min_coverage
from vlmsafety.evaluation.inputs import ModelInput, split_input
from vlmsafety.judges.base import Judge
from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE
from vlmsafety.scoring.stats import DEFAULT_MIN_CLUSTERS, bootstrap_plan

__all__ = ["EvaluationRequest", "PredictionsInput"]

PredictionsInput = str | os.PathLike[str] | ModelInput
"""One model's file: ``PATH``, ``NAME=PATH`` or a :class:`ModelInput`."""


@dataclass(frozen=True)
class EvaluationRequest:
    """One evaluation: the benchmark, the dataset, each model's file, the judge and the settings.

    Only the first three fields are required; every other one has the default of
    ``vlmsafety evaluate``. Sequences are stored as tuples and mappings as dicts, so a request
    can be kept, compared and changed with :meth:`with_changes`.

    Attributes:
        benchmark: A registered benchmark's name (:func:`vlmsafety.specs.benchmarks`).
        dataset: A folder built by ``vlmsafety build`` (or ``dataset_scripts/``), or a Hub repo id.
        predictions: One predictions JSONL per model (``PATH``, ``NAME=PATH`` or
            :class:`ModelInput`; a single one may be given alone); with the ``precomputed``
            judge, judged JSONL files.
        judge: A registered judge's name, resolved by :func:`~vlmsafety.judges.load_judge`
            (default :data:`~vlmsafety.judges.DEFAULT_OFFLINE_JUDGE`; ``"chat"``, ``"cascade"``,
            ``"precomputed"`` for the files' own labels), or a judge object.
        judge_options: Options of a named judge (``{"base_url": ..., "model": ...}`` for
            ``chat``); the chat rubric defaults to the benchmark's own ``judge_scheme``.
        configs: Configs to score (default: every config of the benchmark that the dataset has
            and that any predictions file covers).
        settings: Metric settings that replace the spec's defaults (MOSSBench:
            ``{"empty_policy": "exclude"}``); every setting is recorded in ``metric``.
        allow_missing: Score rows that have a prediction and count the others (default: a row
            without a prediction is an error).
        revision: Hub revision (branch, tag or commit) of ``dataset``; recorded.
        human_labels: Human-labels files (``vlmsafety annotate``; one per annotator): each
            headline rate is then also corrected by PPI++ (:mod:`vlmsafety.evaluation.human`).
        n_boot: Bootstrap replicates for intervals and comparisons (0: Wilson intervals only).
        seed: Bootstrap seed.
        min_coverage: Warn when a model's predictions cover less of the scored rows (or when
            models' coverages differ).
        min_clusters: No bootstrap interval (rates or gaps) from fewer clusters; Wilson instead.
        command: The command line recorded in the results (default: this process's argv).
        progress: Progress bars.

    Raises:
        InvalidArgumentError: ``min_coverage`` outside [0, 1].
        ScoringInputError: ``min_clusters`` below 1.
    """

    benchmark: str
    dataset: str | os.PathLike[str]
    predictions: Sequence[PredictionsInput]
    judge: str | Judge = DEFAULT_OFFLINE_JUDGE
    judge_options: Mapping[str, Any] = field(default_factory=dict)
    configs: Sequence[str] | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    allow_missing: bool = False
    revision: str | None = None
    human_labels: Sequence[str | os.PathLike[str]] = ()
    n_boot: int = 1000
    seed: int = 0
    min_coverage: float = DEFAULT_MIN_COVERAGE
    min_clusters: int = DEFAULT_MIN_CLUSTERS
    command: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        preds = self.predictions
        if isinstance(preds, (str, os.PathLike, ModelInput)):
            preds = (preds,)
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "predictions", tuple(preds))
        set_(self, "configs", None if self.configs is None else tuple(self.configs))
        set_(self, "human_labels", tuple(self.human_labels or ()))
        set_(self, "settings", dict(self.settings or {}))
        set_(self, "judge_options", dict(self.judge_options or {}))
        check_min_coverage(self.min_coverage)
        bootstrap_plan(0, 0, self.min_clusters)  # checks min_clusters

    def with_changes(self, **changes: Any) -> EvaluationRequest:
        """A copy with ``changes`` applied (checked again)."""
        return dataclasses.replace(self, **changes)

    def input_paths(self) -> list[Path]:
        """Every file or folder the evaluation reads (an output must be none of them)."""
        paths = [m.path if isinstance(m, ModelInput) else Path(split_input(m)[1])
                 for m in self.predictions]
        if Path(self.dataset).exists():
            paths.append(Path(self.dataset))
        return paths + [Path(p) for p in self.human_labels]
