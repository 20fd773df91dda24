"""What a benchmark is, in one object: :class:`BenchmarkSpec`.

A spec is the only place that knows a benchmark's configs, the columns evaluation reads, the
reference column and its classes, the bootstrap cluster of each config, the behaviour labels a
judge or an annotator chooses from (with one-line definitions), the headline rates, the judge's
rubric and the scorer. Builders, evaluation, the report, the demo and the metric modules read it;
adding a benchmark means adding one spec module (and a builder).

Example:
    >>> h = Headline("benign_refusal_rate", "Refusal rate on benign items", None, "benign",
    ...              "refusal_rate", higher_is_better=False)
    >>> h.subset, h.higher_is_better
    ('benign', False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vlmsafety.errors import InvalidArgumentError, UnknownNameError
from vlmsafety.scoring.core import ScoreResult

__all__ = ["BenchmarkSpec", "ConfigSpec", "Headline", "Outcomes", "Rows", "Scorer"]

Outcomes = tuple[np.ndarray, np.ndarray, list[Any]]
"""Per row of a headline's subset: counted right (bool), counted at all (bool), bootstrap cluster."""

Rows = Mapping[str, Sequence[Mapping[str, Any]]]
"""Dataset rows (metadata only) by config, in dataset order."""

Scorer = Callable[..., Mapping[str, ScoreResult]]
"""``score(rows, labels, *, n_boot, seed, judge, min_clusters, **settings) -> scores``: group
name -> the scoring core's result object (``to_dict()`` gives its JSON),
where ``rows`` are :data:`Rows` and ``labels`` maps an id to its label (rows without one are left
out); ``min_clusters``: no bootstrap interval from fewer clusters (the scoring core's rule)."""


@dataclass(frozen=True)
class Headline:
    """One leaderboard rate.

    Attributes:
        key: Stable key in results.json (``"harmful_safe_completion_rate"``).
        title: Heading of its leaderboard.
        config: The config it is computed on; ``None``: every scored config pooled.
        subset: The reference class of the items it counts (``"harmful"``, ``"unsafe"``).
        metric: The rate's name in the scorer's output (``"safe_completion_rate"``, ``"sra_u"``).
        higher_is_better: The direction of the leaderboard.
        path: Where its rate group sits in a model's scores (``("benign", "by_stimulus",
            "negated_harm")``); ``None``: ``(config or subset, "overall")``.
    """

    key: str
    title: str
    config: str | None
    subset: str
    metric: str
    higher_is_better: bool
    path: tuple[str, ...] | None = None

    @property
    def scores_path(self) -> tuple[str, ...]:
        """The keys leading from a model's scores to the group holding :attr:`metric`."""
        if self.path is not None:
            return self.path
        return (self.subset if self.config is None else self.config, "overall")


@dataclass(frozen=True)
class ConfigSpec:
    """One config (subset) of a benchmark's dataset.

    Attributes:
        name: Config name in the Hub folder (``data/<name>/``).
        description: One line for cards and reports.
        cluster_column: The column whose values are the bootstrap's clusters (items that move
            together: a source item with its perturbed copies, a prompt with its images).
    """

    name: str
    description: str
    cluster_column: str


@dataclass(frozen=True)
class BenchmarkSpec:
    """A benchmark's shape and how it is judged and scored.

    Attributes:
        name: Registry name (``"dual"``), also ``results.json``'s ``benchmark``.
        title: Display name (``"DUAL-Bench"``).
        metric: Name of its ``evaluate`` module (``"safe_completion"``).
        configs: Its configs, in report order.
        columns: Metadata columns evaluation reads (the image is never decoded).
        reference_column: The column that says what an item is; ``None`` when every item is of
            the one class in ``reference_classes`` (MOSSBench: all benign).
        reference_classes: Value of ``reference_column`` -> one-line definition.
        labels: Behaviour labels a judge or annotator chooses from -> one-line definition.
        judge_scheme: Rubric of the chat judge for this benchmark.
        settings: Metric settings recorded in results.json (policies, modes), with their
            defaults; ``evaluate`` may override each one (``--vsc-mode``, ``--partial-refusal``,
            ``--category-bootstrap``) within ``setting_choices``.
        headlines: ``headlines(configs) -> tuple[Headline, ...]`` for the scored configs.
        judge_prompt: ``judge_prompt(row) -> str``: what the judge is told the model was asked.
        score: The scorer (see :data:`Scorer`), keyed by what the report reads.
        outcomes: ``outcomes(rows, labels, headline, **settings) -> Outcomes`` for paired
            comparisons (``rows`` as for ``score``; a row without a label is not counted).
        bootstrap_note: How the bootstrap resamples, for the report.
        report_module: Module with this benchmark's report sections and plots (``sections``,
            ``plots``), or ``None`` for the generic report.
        prompt_column: The column holding the text sent with the image (``generate`` reads it).
        uses_responses: Whether ``score`` and ``outcomes`` also take ``responses`` (id ->
            response text, ``None`` for a failed generation), e.g. to find empty responses.
        setting_choices: Setting -> its allowed values (a setting not listed takes any value).
    """

    name: str
    title: str
    metric: str
    configs: tuple[ConfigSpec, ...]
    columns: tuple[str, ...]
    reference_column: str | None
    reference_classes: Mapping[str, str]
    labels: Mapping[str, str]
    judge_scheme: str
    settings: Mapping[str, Any]
    headlines: Callable[[Sequence[str]], tuple[Headline, ...]]
    judge_prompt: Callable[[Mapping[str, Any]], str]
    score: Scorer
    outcomes: Callable[..., Outcomes]
    bootstrap_note: str = ""
    report_module: str | None = None
    prompt_column: str = "prompt"
    uses_responses: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    setting_choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def config_names(self) -> tuple[str, ...]:
        """The configs' names, in report order."""
        return tuple(c.name for c in self.configs)

    def with_settings(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """:attr:`settings` with ``overrides`` applied, each checked (a list-valued setting given
        as text is split at commas).

        Raises:
            UnknownNameError: a setting this benchmark does not have (the message lists its own).
            InvalidArgumentError: a value outside the setting's allowed values.
        """
        out = dict(self.settings)
        for key, value in (overrides or {}).items():
            if key not in self.settings:
                raise UnknownNameError(
                    f"{self.title} has no metric setting {key!r}; its settings: "
                    + (", ".join(self.settings) or "none"))
            if isinstance(out[key], (list, tuple)) and isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]  # "a,b" on the CLI
            allowed = self.setting_choices.get(key)
            if allowed is not None and value not in allowed:
                raise InvalidArgumentError(
                    f"{self.title}: {key}={value!r} is not allowed; allowed: "
                    + ", ".join(map(str, allowed)))
            out[key] = value
        return out

    def config(self, name: str) -> ConfigSpec:
        """The config called ``name``.

        Raises:
            UnknownNameError: no such config (the message lists the allowed ones).
        """
        for c in self.configs:
            if c.name == name:
                return c
        raise UnknownNameError(f"{self.title} has no config {name!r}; allowed: "
                               + ", ".join(self.config_names))
