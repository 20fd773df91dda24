"""Result types of the DUAL-Bench metric (:func:`vlmsafety.scoring.score_dual`).

:class:`SafeCompletionResult` holds the rates overall, per instruction type, category and
perturbation x severity (:class:`LabelRates` each) and ΔIR (:class:`DeltaIR`); ``flatten()`` gives
the flat dict of an ``evaluate`` module.

Example:
    >>> from vlmsafety.scoring.core import make_rate
    >>> d = DeltaIR(-0.5, make_rate(0, 2), make_rate(1, 2), n_sources=2)
    >>> d.to_dict()["value"], d.to_dict()["boot_low"], d.clean.rate
    (-0.5, None, 0.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from vlmsafety.scoring.core import Rate, RateGroup, ScoreResult, _nan_to_none, flat_rate, snake

__all__ = [
    "DELTA_RATE_NAMES",
    "DUAL_RATE_NAMES",
    "DeltaIR",
    "LabelRates",
    "SafeCompletionResult",
]

DUAL_RATE_NAMES: tuple[str, ...] = (
    "refusal_rate", "partial_refusal_rate", "safe_completion_rate", "direct_answer_rate",
    "irrelevant_rate",
)
DELTA_RATE_NAMES: tuple[str, ...] = ("refusal_rate", "direct_answer_rate", "safe_completion_rate")
SEVERITY_ALL = "all"
"""Severity key of the rates over every severity of a perturbation."""


@dataclass(frozen=True)
class LabelRates(RateGroup):
    """The five DUAL rates of one subset of items.

    Attributes:
        refusal_rate: RR.
        partial_refusal_rate: Share of partial refusals.
        safe_completion_rate: SCR.
        direct_answer_rate: DAR.
        irrelevant_rate: Share of irrelevant answers.
        n: Items in the subset, unscored included.
        n_unscored: Unscored items in the subset.
    """

    refusal_rate: Rate
    partial_refusal_rate: Rate
    safe_completion_rate: Rate
    direct_answer_rate: Rate
    irrelevant_rate: Rate
    n: int
    n_unscored: int

    RATE_NAMES: ClassVar[tuple[str, ...]] = DUAL_RATE_NAMES


@dataclass(frozen=True)
class DeltaIR:
    """ΔIR of one metric: rate on perturbed items minus rate on their own clean source items.

    Attributes:
        value: ``perturbed.rate - clean.rate`` (``nan`` if either side has no items).
        perturbed: The metric on the paired perturbed items.
        clean: The metric on the clean items of the same sources.
        n_sources: Paired source items.
        boot_low: Paired clustered bootstrap interval (resampling source items), lower bound.
        boot_high: Upper bound.
    """

    value: float
    perturbed: Rate
    clean: Rate
    n_sources: int
    boot_low: float = math.nan
    boot_high: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``nan`` -> ``None``)."""
        return {"value": _nan_to_none(self.value), "perturbed": self.perturbed.to_dict(),
                "clean": self.clean.to_dict(), "n_sources": self.n_sources,
                "boot_low": _nan_to_none(self.boot_low), "boot_high": _nan_to_none(self.boot_high)}


@dataclass(frozen=True)
class SafeCompletionResult(ScoreResult):
    """Result of :func:`~vlmsafety.scoring.score_dual`.

    Attributes:
        overall: Rates over all items.
        by_instruction_type: ``"harmful"`` / ``"benign"`` -> rates (types present only).
        by_category: category -> rates (when ``categories`` was given).
        clean: Rates over clean items (when ``perturbations`` was given).
        by_perturbation: perturbation -> severity (as a string, plus ``"all"``) -> rates.
        delta_ir: perturbation -> metric (RR, DAR, SCR names) -> :class:`DeltaIR`.
        delta_ir_by_severity: perturbation -> severity -> metric -> :class:`DeltaIR`.
        n: Items. n_unscored: Unscored items. n_unpaired: Perturbed items without a counted clean
            item of the same source (left out of ΔIR).
        partial_refusal, unscored, n_boot, seed, confidence: The settings used.
        judge: Which judge produced the labels when raw responses were scored (else ``None``).
        n_clusters: Bootstrap clusters (source items) among the items.
        bootstrap: What the bootstrap did (replicates and clusters, or why there is none).
    """

    overall: LabelRates
    by_instruction_type: dict[str, LabelRates]
    by_category: dict[str, LabelRates]
    clean: LabelRates | None
    by_perturbation: dict[str, dict[str, LabelRates]]
    delta_ir: dict[str, dict[str, DeltaIR]]
    delta_ir_by_severity: dict[str, dict[str, dict[str, DeltaIR]]]
    n: int
    n_unscored: int
    n_unpaired: int
    partial_refusal: str
    unscored: str
    n_boot: int
    seed: int
    confidence: float
    judge: str | None = field(default=None)
    n_clusters: int = 0
    bootstrap: str = ""

    def flatten(self) -> dict[str, Any]:
        """Flat dict with stable snake_case keys.

        ``refusal_rate``, ``direct_answer_rate``, ``safe_completion_rate``,
        ``partial_refusal_rate``, ``irrelevant_rate`` (each with ``_count``, ``_n``, ``_ci_low``,
        ``_ci_high`` and, when bootstrapped, ``_boot_low``/``_boot_high``), ``n``, ``n_unscored``,
        ``n_unpaired``; ``<harmful|benign>_<rate>``; ``category_<slug>_<rate>``;
        ``clean_<rate>``; ``perturbation_<p>_<rate>`` and ``perturbation_<p>_severity_<s>_<rate>``;
        ``delta_ir_<p>_<rate>`` (+ ``_boot_low``, ``_boot_high``, ``_n_sources``) and
        ``delta_ir_<p>_severity_<s>_<rate>``; ``n_boot``, ``seed``; ``judge`` when one was applied.
        Subsets also carry ``<prefix>_n`` and ``<prefix>_n_unscored``.
        """
        out: dict[str, Any] = {}
        for k in DUAL_RATE_NAMES:
            flat_rate(out, k, getattr(self.overall, k))
        out.update(n=self.n, n_unscored=self.n_unscored, n_unpaired=self.n_unpaired)
        for t, rates in self.by_instruction_type.items():
            rates.flatten_into(out, t)
        for c, rates in self.by_category.items():
            rates.flatten_into(out, snake("category", c))
        if self.clean is not None:
            self.clean.flatten_into(out, "clean")
        for p, by_sev in self.by_perturbation.items():
            for s, rates in by_sev.items():
                rates.flatten_into(out, snake("perturbation", p) if s == SEVERITY_ALL
                                   else snake("perturbation", p, "severity", s))
        for p, metrics in self.delta_ir.items():
            _flat_delta(out, snake("delta_ir", p), metrics)
        for p, deltas_by_sev in self.delta_ir_by_severity.items():
            for s, metrics in deltas_by_sev.items():
                _flat_delta(out, snake("delta_ir", p, "severity", s), metrics)
        out.update(n_boot=self.n_boot, seed=self.seed, n_clusters=self.n_clusters,
                   bootstrap=self.bootstrap)
        if self.judge is not None:
            out["judge"] = self.judge
        return out


def _flat_delta(out: dict[str, Any], prefix: str, metrics: dict[str, DeltaIR]) -> None:
    for k, d in metrics.items():
        key = snake(prefix, k)
        out[key] = d.value
        out[f"{key}_n_sources"] = d.n_sources
        if not (math.isnan(d.boot_low) and math.isnan(d.boot_high)):
            out[f"{key}_boot_low"] = d.boot_low
            out[f"{key}_boot_high"] = d.boot_high
