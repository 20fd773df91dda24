"""VSCBench: safety calibration (under- and over-safety) on similar safe/unsafe pairs.

Everything the benchmark owns is in this folder; this module assembles its
:class:`~vlmsafety.specs.BenchmarkSpec` (``SPEC``) from the parts, and :mod:`vlmsafety.suites`
registers it with :func:`~vlmsafety.specs.register_benchmark`, the call a benchmark of your own
makes (``docs/adding-a-benchmark.md``).

Example:
    >>> from vlmsafety.specs import get_spec
    >>> get_spec("vsc") is SPEC
    True
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from vlmsafety.labels import (
    DIRECT_ANSWER,
    IRRELEVANT,
    LABEL_DESCRIPTIONS,
    REFUSAL,
    SAFE_COMPLETION,
)
from vlmsafety.specs.base import BenchmarkSpec, Builder, MetricModule, Report, SettingOption
from vlmsafety.suites.vsc import builder as _builder
from vlmsafety.suites.vsc import cli as _cli
from vlmsafety.suites.vsc import report as _report
from vlmsafety.suites.vsc.builder import build as _build
from vlmsafety.suites.vsc.classes import SAFETY_CLASS_DEFINITIONS
from vlmsafety.suites.vsc.over_refusal import OverRefusalResult, RefusalRates, score_xstest
from vlmsafety.suites.vsc.scoring import (
    VSC_MODES,
    CalibrationRates,
    SafetyCalibrationResult,
    VscMode,
    item_correct,
    score_vsc,
)
from vlmsafety.suites.vsc.spec import (
    COLUMNS,
    CONFIGS,
    JUDGE_SCHEME,
    headlines,
    judge_prompt,
    numerators,
    outcomes,
    score,
)

__all__ = ["SPEC", "CalibrationRates", "OverRefusalResult", "RefusalRates",
           "SafetyCalibrationResult", "VscMode", "item_correct", "score_vsc", "score_xstest"]

_METRICS: Final = Path(__file__).parent / "metric"
"""The folders of the evaluate modules this suite ships (evaluate's layout, one per metric)."""

SPEC: Final = BenchmarkSpec(
    name="vsc",
    title="VSCBench",
    metric="safety_calibration",
    configs=CONFIGS,
    columns=COLUMNS,
    reference_column="label",
    reference_classes=SAFETY_CLASS_DEFINITIONS,
    labels={label: LABEL_DESCRIPTIONS[label]
            for label in (REFUSAL, SAFE_COMPLETION, DIRECT_ANSWER, IRRELEVANT)},
    judge_scheme=JUDGE_SCHEME,
    settings={"mode": "default", "bootstrap_breakdowns": True},
    setting_choices={"mode": VSC_MODES, "bootstrap_breakdowns": (False, True)},
    headlines=headlines,
    judge_prompt=judge_prompt,
    score=score,
    outcomes=outcomes,
    numerators=numerators,
    options=(
        SettingOption("--vsc-mode", "mode",
                      "counting: default (refusal or safe completion is right on unsafe items) "
                      "or parity (VSCBench's published counting; see docs/evaluate.md)",
                      metavar="MODE"),
        SettingOption("--category-bootstrap", "bootstrap_breakdowns",
                      "bootstrap intervals for the per-category (and per-setting / "
                      "per-perturbation) rates too", choices=("on", "off")),
    ),
    bootstrap_note="prompts (image-centric) or queries (text-centric); text-only items alone.",
    report=Report(_report.sections, _report.plots, _report.plot_title,
                  _report.leaderboard_notes),
    builder=Builder(_builder.__name__, _builder.build_vsc, _build.merge_card),
    build_command=_cli.register,
    metric_modules=(MetricModule("safety_calibration", _METRICS / "safety_calibration"),
                    MetricModule("over_refusal", _METRICS / "over_refusal")),
)
