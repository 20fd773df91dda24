"""Typed results of an evaluation, kept typed until they are written.

:class:`EvaluationResult` is what :func:`~vlmsafety.evaluation.judge_and_score` returns;
``to_dict()`` gives the JSON-ready dict that ``results.json`` holds (and that
:func:`~vlmsafety.evaluation.evaluate_models` returns), with :data:`SCHEMA_VERSION`. The settings
recorded there are read from these objects, never typed out by hand.

Example:
    >>> m = MetricInfo("safe_completion", "0.1.0", n_boot=0, seed=0,
    ...                settings={"partial_refusal": "separate"})
    >>> m.to_dict()["partial_refusal"], m.to_dict()["unscored"]
    ('separate', 'exclude')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from vlmsafety.evaluation.human import HumanLabelsInfo, ModelHumanCheck
from vlmsafety.scoring.core import Rate, ScoreResult
from vlmsafety.scoring.corrected import CorrectedRate
from vlmsafety.specs.base import Headline

__all__ = [
    "SCHEMA_VERSION",
    "DatasetInfo",
    "EvaluationResult",
    "GapTest",
    "JudgeInfo",
    "Leaderboard",
    "LeaderboardRow",
    "MetricInfo",
    "ModelResult",
    "PredictionsInfo",
]

SCHEMA_VERSION: Final = "2"
"""Version of the results.json layout (2: ``schema_version`` added; demo writes this layout)."""


@dataclass(frozen=True)
class DatasetInfo:
    """What was scored: source, revision, version, rows per config, shard checksums."""

    source: str
    revision: str | None
    version: str | None
    configs: Mapping[str, int]
    configs_without_predictions: list[str]
    files: Mapping[str, str]
    image_source: Mapping[str, Mapping[str, int]]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "revision": self.revision, "version": self.version,
                "configs": {c: {"n_rows": n} for c, n in self.configs.items()},
                "configs_without_predictions": list(self.configs_without_predictions),
                "files": dict(self.files), "image_source": dict(self.image_source)}


@dataclass(frozen=True)
class JudgeInfo:
    """The judge's name (with version) and kind (its class, or ``precomputed``)."""

    name: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MetricInfo:
    """The metric and every setting that changes its numbers."""

    name: str
    version: str
    n_boot: int
    seed: int
    confidence: float = 0.95
    unscored: str = "exclude"
    settings: Mapping[str, Any] = field(default_factory=dict)
    min_clusters: int = 20
    min_coverage: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "n_boot": self.n_boot,
                "seed": self.seed, "confidence": self.confidence, "unscored": self.unscored,
                "min_clusters": self.min_clusters, "min_coverage": self.min_coverage,
                **self.settings}


@dataclass(frozen=True)
class PredictionsInfo:
    """One model's predictions file: path, checksum, line counts."""

    path: str
    sha256: str
    n_lines: int
    n_other_configs: int
    n_failed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelResult:
    """One model: its input, label counts, rows without a prediction, and its scores.

    ``coverage`` is the share of the scored rows that have a prediction (1.0 without
    ``--allow-missing``).

    ``scores`` is the spec's scorer output: group (``"harmful"``, a config, ...) -> the scoring
    core's result object (e.g. :class:`~vlmsafety.scoring.SafeCompletionResult`), which
    serialises itself. ``human``: with human labels, each headline rate corrected (PPI++) and
    the judge's agreement with people (``None`` without).
    """

    predictions: PredictionsInfo
    n_missing: Mapping[str, int]
    label_counts: Mapping[str, int]
    scores: Mapping[str, ScoreResult]
    coverage: float = 1.0
    human: ModelHumanCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"predictions": self.predictions.to_dict(), "n_missing": dict(self.n_missing),
               "coverage": self.coverage, "label_counts": dict(self.label_counts),
               "scores": {k: v.to_dict() for k, v in self.scores.items()}}
        if self.human is not None:
            out["human"] = self.human.to_dict()
        return out


@dataclass(frozen=True)
class GapTest:
    """The gap between two adjacent models of a leaderboard (``a`` ranked above ``b``): a - b."""

    a: str
    b: str
    difference: float | None
    difference_ci_low: float | None
    difference_ci_high: float | None
    n_both_scored: int
    mcnemar: Mapping[str, Any]
    paired_bootstrap: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["mcnemar"], out["paired_bootstrap"] = dict(self.mcnemar), dict(self.paired_bootstrap)
        return out


@dataclass(frozen=True)
class LeaderboardRow:
    """One model's place on a leaderboard: its headline rate, coverage and, with human labels,
    the rate corrected by them."""

    model: str
    rate: Rate
    coverage: float
    corrected: CorrectedRate | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"model", rate, count, n, ci_low, ..., "coverage"[, "corrected"]}``."""
        out = {"model": self.model, **self.rate.to_dict(), "coverage": self.coverage}
        if self.corrected is not None:
            out["corrected"] = self.corrected.to_dict()
        return out


@dataclass(frozen=True)
class Leaderboard:
    """One headline rate, models ranked, with a test of every adjacent gap."""

    headline: Headline
    rows: Sequence[LeaderboardRow]
    adjacent: Sequence[GapTest]

    def to_dict(self) -> dict[str, Any]:
        head = asdict(self.headline)
        if head.get("path") is None:
            head.pop("path", None)  # the default place: results.json as before
        else:
            head["path"] = list(head["path"])
        return {**head, "rows": [r.to_dict() for r in self.rows],
                "adjacent": [a.to_dict() for a in self.adjacent]}


@dataclass(frozen=True)
class EvaluationResult:
    """Everything an evaluation found, as written to ``results.json``.

    ``plots``: the plot files written beside it (``None`` until the result is written; then
    ``results.json``'s ``plots``).
    """

    vlmsafety_version: str
    created_utc: str
    command: str
    benchmark: str
    dataset: DatasetInfo
    warnings: Sequence[str]
    judge: JudgeInfo
    metric: MetricInfo
    models: Mapping[str, ModelResult]
    leaderboards: Sequence[Leaderboard]
    schema_version: str = SCHEMA_VERSION
    human_labels: HumanLabelsInfo | None = None
    plots: Sequence[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict of ``results.json`` (``human_labels`` only when given, ``plots``
        once written)."""
        extra: dict[str, Any] = ({} if self.human_labels is None
                                 else {"human_labels": self.human_labels.to_dict()})
        if self.plots is not None:
            extra["plots"] = list(self.plots)
        return {
            "schema_version": self.schema_version,
            "vlmsafety_version": self.vlmsafety_version,
            "created_utc": self.created_utc,
            "command": self.command,
            "benchmark": self.benchmark,
            "dataset": self.dataset.to_dict(),
            "warnings": list(self.warnings),
            "judge": self.judge.to_dict(),
            "metric": self.metric.to_dict(),
            "models": {name: m.to_dict() for name, m in self.models.items()},
            "leaderboards": [b.to_dict() for b in self.leaderboards],
            **extra,
        }
