"""DUAL-Bench: over-refusal and safe completion, with robustness under image perturbations.

Everything the benchmark owns is in this folder; this module assembles its
:class:`~vlmsafety.specs.BenchmarkSpec` (``SPEC``) from the parts, and :mod:`vlmsafety.suites`
registers it with :func:`~vlmsafety.specs.register_benchmark`, the call a benchmark of your own
makes (``docs/adding-a-benchmark.md``).

Example:
    >>> from vlmsafety.specs import get_spec
    >>> get_spec("dual") is SPEC
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from vlmsafety.labels import LABEL_DESCRIPTIONS, LABELS, UNSCORED
from vlmsafety.specs.base import (
    BenchmarkSpec,
    Builder,
    Demo,
    MetricModule,
    Report,
    SettingOption,
)
from vlmsafety.suites.dual import builder as _builder
from vlmsafety.suites.dual import cli as _cli
from vlmsafety.suites.dual import demo as _demo
from vlmsafety.suites.dual import report as _report
from vlmsafety.suites.dual.builder import build as _build
from vlmsafety.suites.dual.classes import INSTRUCTION_TYPE_DEFINITIONS
from vlmsafety.suites.dual.result import DeltaIR, LabelRates, SafeCompletionResult
from vlmsafety.suites.dual.scoring import (
    PARTIAL_REFUSAL_POLICIES,
    PartialRefusalPolicy,
    score_dual,
)
from vlmsafety.suites.dual.spec import (
    COLUMNS,
    CONFIGS,
    JUDGE_SCHEME,
    headlines,
    judge_prompt,
    numerators,
    outcomes,
    score,
)

__all__ = ["SPEC", "DeltaIR", "LabelRates", "PartialRefusalPolicy", "SafeCompletionResult",
           "score_dual"]

CATEGORY_BOOTSTRAP: Final = SettingOption(
    "--category-bootstrap", "bootstrap_breakdowns",
    "bootstrap intervals for the per-category (and per-setting / per-perturbation) rates too",
    choices=("on", "off"))
"""The option of the ``bootstrap_breakdowns`` setting (VSCBench's has the same flag)."""

_METRICS: Final = Path(__file__).parent / "metric"
"""The folders of the evaluate modules this suite ships (evaluate's layout, one per metric)."""

SPEC: Final = BenchmarkSpec(
    name="dual",
    title="DUAL-Bench",
    metric="safe_completion",
    configs=CONFIGS,
    columns=COLUMNS,
    reference_column="instruction_type",
    reference_classes=INSTRUCTION_TYPE_DEFINITIONS,
    labels={label: LABEL_DESCRIPTIONS[label] for label in LABELS if label != UNSCORED},
    judge_scheme=JUDGE_SCHEME,
    settings={"partial_refusal": "separate", "bootstrap_breakdowns": True},
    setting_choices={"partial_refusal": PARTIAL_REFUSAL_POLICIES,
                     "bootstrap_breakdowns": (False, True)},
    headlines=headlines,
    judge_prompt=judge_prompt,
    score=score,
    outcomes=outcomes,
    numerators=numerators,
    options=(
        SettingOption("--partial-refusal", "partial_refusal",
                      "how a partial refusal counts: separate (its own rate), refusal or "
                      "safe_completion", metavar="POLICY"),
        CATEGORY_BOOTSTRAP,
    ),
    bootstrap_note="clean source items (an item moves with its perturbed copies).",
    report=Report(_report.sections, _report.plots, _report.plot_title,
                  _report.leaderboard_notes),
    builder=Builder(_builder.__name__, _builder.build_dual, _build.merge_card),
    build_command=_cli.register,
    metric_modules=(MetricModule("safe_completion", _METRICS / "safe_completion"),),
    demo=Demo(_demo.build, _demo.RESPONSES, _demo.print_tables),
)
