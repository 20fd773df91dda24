"""What a benchmark is, in one object: :class:`BenchmarkSpec`.

A spec is the only place that knows a benchmark's configs, the columns evaluation reads, the
reference column and its classes, the bootstrap cluster of each config, the behaviour labels a
judge or an annotator chooses from (with one-line definitions), the headline rates, the judge's
rubric and the scorer, and it holds the benchmark's parts as objects: its builder
(:class:`Builder`), report section (:class:`Report`), ``vlmsafety build`` subcommand, importer and
``evaluate`` modules (:class:`MetricModule`). Builders, evaluation, the report, the demo and the
metric modules read it; a benchmark is one folder that registers one spec
(``docs/adding-a-benchmark.md``).

Example:
    >>> h = Headline("benign_refusal_rate", "Refusal rate on benign items", None, "benign",
    ...              "refusal_rate", higher_is_better=False)
    >>> h.subset, h.higher_is_better
    ('benign', False)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from vlmsafety.errors import InvalidArgumentError, UnknownNameError
from vlmsafety.labels import LabelScheme
from vlmsafety.scoring.core import ScoreResult
from vlmsafety.scoring.corrected import CorrectedRate, corrected_outcomes
from vlmsafety.scoring.stats import DEFAULT_CONFIDENCE, DEFAULT_MIN_CLUSTERS

__all__ = ["BenchmarkSpec", "Builder", "ConfigSpec", "Demo", "Headline", "MetricModule",
           "Outcomes", "Report", "Rows", "Scorer", "Scoring", "SettingOption"]


class Outcomes(NamedTuple):
    """Per row of a headline's subset, in one order (a spec's ``outcomes`` returns it)."""

    right: np.ndarray
    """Counted right (bool)."""
    counted: np.ndarray
    """Counted at all (bool; ``unscored`` and rows without a label are not)."""
    clusters: list[Any]
    """The row's bootstrap cluster."""
    ids: list[str]
    """The row's id."""


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
class Builder:
    """A benchmark's dataset builder, as the core reaches it.

    Attributes:
        name: The name a sharded build records in its part manifests (the builder package's
            module name, ``"vlmsafety.suites.vsc.builder"``); ``vlmsafety build merge`` finds the
            card merger by it.
        build: The builder's entry function (``build_dual(out_dir, ...) -> Path``).
        merge_card: Joins the parts' card states (manifest ``card`` entries, in part order) into
            the card's state; ``None``: the builder makes no sharded builds.
    """

    name: str
    build: Callable[..., Path]
    merge_card: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Report:
    """A benchmark's own part of ``report.md``: functions of the JSON-ready results.

    Attributes:
        sections: ``sections(results) -> markdown lines`` after the leaderboards.
        plots: ``plots(results, folder) -> written files``.
        plot_title: ``plot_title(stem, results) -> str | None``: the caption of a plot.
        leaderboard_notes: ``leaderboard_notes(results) -> lines`` under the leaderboards.
    """

    sections: Callable[[Mapping[str, Any]], list[str]]
    plots: Callable[[Mapping[str, Any], Path], list[Path]]
    plot_title: Callable[[str, Mapping[str, Any]], str | None]
    leaderboard_notes: Callable[[Mapping[str, Any]], list[str]]


@dataclass(frozen=True)
class MetricModule:
    """An ``evaluate`` module a benchmark ships (``evaluate.load(name)`` after
    ``vlmsafety install-metrics``).

    Attributes:
        name: The module's name (``"safe_completion"``).
        folder: Its folder, evaluate's layout: ``<name>.py``, ``README.md`` (metric card),
            ``app.py``, ``requirements.txt``; the folder's name is ``name``.
    """

    name: str
    folder: Path


@dataclass(frozen=True)
class SettingOption:
    """A ``vlmsafety evaluate`` option spelling out one metric setting (every setting is also
    ``--setting KEY=VALUE``). Benchmarks sharing a setting share its option.

    Attributes:
        flag: The option (``"--partial-refusal"``).
        setting: The setting it sets (``"partial_refusal"``); ``on``/``off`` give ``True``/``False``.
        help: What it does (the benchmark's title and its default are added).
        choices: The allowed values on the command line (``None``: the spec checks them).
        metavar: The value's name in the help.
    """

    flag: str
    setting: str
    help: str
    choices: tuple[str, ...] | None = None
    metavar: str | None = None


@dataclass(frozen=True)
class Demo:
    """An embedded sample for ``vlmsafety demo``.

    Attributes:
        build: ``build(folder) -> folder``: builds the sample dataset (replacing ``folder``).
        responses: ``(model name, responses JSONL)`` per shipped model (a path or a package
            resource).
        summary: ``summary(results)``: prints the benchmark's tables after scoring (``results``:
            the :class:`~vlmsafety.evaluation.EvaluationResult`).
    """

    build: Callable[[Path], Path]
    responses: tuple[tuple[str, Any], ...]
    summary: Callable[[Any], None]


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
        judge_scheme: The chat judge's codes and rubric for this benchmark
            (:class:`~vlmsafety.labels.LabelScheme`).
        settings: Metric settings recorded in results.json (policies, modes), with their
            defaults; ``evaluate`` may override each one (``--vsc-mode``, ``--partial-refusal``,
            ``--category-bootstrap``) within ``setting_choices``.
        headlines: ``headlines(configs) -> tuple[Headline, ...]`` for the scored configs.
        judge_prompt: ``judge_prompt(row) -> str``: what the judge is told the model was asked.
        score: The scorer (see :data:`Scorer`), keyed by what the report reads.
        outcomes: ``outcomes(rows, labels, headline, **settings) -> Outcomes`` for paired
            comparisons and the human-label correction (``rows`` as for ``score``; a row
            without a label is not counted).
        bootstrap_note: How the bootstrap resamples, for the report.
        report: This benchmark's report sections and plots; ``None``: the generic report only.
        prompt_column: The column holding the text sent with the image (``generate`` reads it).
        uses_responses: Whether ``score`` and ``outcomes`` also take ``responses`` (id ->
            response text, ``None`` for a failed generation), e.g. to find empty responses.
        setting_choices: Setting -> its allowed values (a setting not listed takes any value).
        builder: Its dataset builder, ``None`` when it has none.
        build_command: ``register(subparsers)``: adds ``vlmsafety build <name>`` (``None``: none).
        importer: ``importer(source, out, **options) -> ImportSummary``: the benchmark's own
            release format of responses into predictions JSONL; ``None``: none.
        import_command: ``register(subparsers)``: adds ``vlmsafety import-predictions <name>``
            (its importer on the command line); ``None``: none.
        metric_modules: The ``evaluate`` modules it ships.
        demo: Its embedded sample for ``vlmsafety demo`` (``None``: none).
        options: Named ``vlmsafety evaluate`` options for some of its settings.
        numerators: ``numerators(**settings) -> {flat key: (reference class, labels counted)}``:
            the headline rates of its ``evaluate`` module, for their human-label correction
            (:func:`vlmsafety.scoring.corrected.corrected_flat`); ``None``: it has none.
    """

    name: str
    title: str
    metric: str
    configs: tuple[ConfigSpec, ...]
    columns: tuple[str, ...]
    reference_column: str | None
    reference_classes: Mapping[str, str]
    labels: Mapping[str, str]
    judge_scheme: LabelScheme
    settings: Mapping[str, Any]
    headlines: Callable[[Sequence[str]], tuple[Headline, ...]]
    judge_prompt: Callable[[Mapping[str, Any]], str]
    score: Scorer
    outcomes: Callable[..., Outcomes]
    bootstrap_note: str = ""
    report: Report | None = None
    prompt_column: str = "prompt"
    uses_responses: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    setting_choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    builder: Builder | None = None
    build_command: Callable[[Any], None] | None = None
    importer: Callable[..., Any] | None = None
    import_command: Callable[[Any], None] | None = None
    metric_modules: tuple[MetricModule, ...] = ()
    demo: Demo | None = None
    numerators: Callable[..., Mapping[str, tuple[str, tuple[str, ...]]]] | None = None
    options: tuple[SettingOption, ...] = ()

    @property
    def config_names(self) -> tuple[str, ...]:
        """The configs' names, in report order."""
        return tuple(c.name for c in self.configs)

    def with_settings(self, overrides: Mapping[str, Any] | None = None) -> Scoring:
        """The scorer bound to :attr:`settings` with ``overrides`` applied, each checked (a
        list-valued setting given as text is split at commas): the one object every consumer
        scores with (:class:`Scoring`).

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
        return Scoring(self, out)

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


@dataclass(frozen=True)
class Scoring:
    """A benchmark's scorer bound to its metric settings (:meth:`BenchmarkSpec.with_settings`).

    The headline scores, the leaderboards' paired comparisons, the human-label correction and
    the metric modules all score through one of these, so a setting (and, where the spec reads
    them, the responses) cannot be left out on one path.

    Attributes:
        spec: The benchmark.
        settings: Every metric setting, checked (recorded in ``results.json``).
    """

    spec: BenchmarkSpec
    settings: Mapping[str, Any]

    def _responses(self, responses: Mapping[str, str | None] | None) -> dict[str, Any]:
        return {"responses": responses or {}} if self.spec.uses_responses else {}

    def score(self, rows: Rows, labels: Mapping[str, str], *, n_boot: int, seed: int,
              judge: str | None = None, min_clusters: int = DEFAULT_MIN_CLUSTERS,
              responses: Mapping[str, str | None] | None = None) -> Mapping[str, ScoreResult]:
        """The spec's scores of the labelled rows (see :data:`Scorer`); ``responses`` (id ->
        text, ``None`` for a failed generation) reach the scorer when the spec reads them."""
        return self.spec.score(rows, labels, n_boot=n_boot, seed=seed, judge=judge,
                               min_clusters=min_clusters, **self.settings,
                               **self._responses(responses))

    def outcomes(self, rows: Rows, labels: Mapping[str, str], headline: Headline, *,
                 responses: Mapping[str, str | None] | None = None) -> Outcomes:
        """Per row of ``headline``'s subset: counted right, counted at all, cluster, id."""
        return self.spec.outcomes(rows, labels, headline, **self.settings,
                                  **self._responses(responses))

    def numerators(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The metric module's headline rates under these settings (see
        :attr:`BenchmarkSpec.numerators`).

        Raises:
            UnknownNameError: the benchmark has no metric module with headline numerators.
        """
        if self.spec.numerators is None:
            raise UnknownNameError(f"{self.spec.title} has no metric-module headline rates")
        return dict(self.spec.numerators(**self.settings))

    def corrected(self, rows: Rows, judge: Mapping[str, str], human: Mapping[str, str],
                  headline: Headline, *, sampling_prob: Mapping[str, float],
                  strata: Mapping[str, Any] | None = None,
                  responses: Mapping[str, str | None] | None = None,
                  confidence: float = DEFAULT_CONFIDENCE) -> CorrectedRate:
        """``headline``'s rate corrected by human labels on a random sample (PPI++): the judge's
        outcomes on every item and the humans' on the labelled ones, both counted by
        :meth:`outcomes` (these settings, these responses).

        Args:
            rows: The scored rows.
            judge: id -> the judge's label.
            human: id -> the human label (labelled items only).
            headline: The rate.
            sampling_prob: id -> the labelled item's inclusion probability.
            strata: id -> the labelled item's stratum (default one stratum).
            responses: id -> response text, for a spec that reads them.
            confidence: Level of the intervals.
        """
        j = self.outcomes(rows, judge, headline, responses=responses)
        h = self.outcomes(rows, human, headline, responses=responses)
        labelled = np.array([i in human for i in j.ids], bool)
        prob = [sampling_prob.get(i, np.nan) if i in human else np.nan for i in j.ids]
        where = strata or {}
        return corrected_outcomes(j.right, j.counted, h.right, h.counted & labelled, prob,
                                  [where.get(i, "") if i in human else "" for i in j.ids],
                                  confidence=confidence)

