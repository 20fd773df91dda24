"""MOSSBench: over-sensitivity, refusals of benign queries over images with a harmless stimulus.

Everything the benchmark owns is in this folder; this module assembles its
:class:`~vlmsafety.specs.BenchmarkSpec` (``SPEC``) from the parts, and :mod:`vlmsafety.suites`
registers it with :func:`~vlmsafety.specs.register_benchmark`, the call a benchmark of your own
makes (``docs/adding-a-benchmark.md``).

Example:
    >>> from vlmsafety.specs import get_spec
    >>> get_spec("mossbench") is SPEC
    True
"""

from __future__ import annotations

from typing import Final

from vlmsafety.corpora import XSTEST_SCHEME
from vlmsafety.specs.base import BenchmarkSpec, Builder, Report
from vlmsafety.suites.mossbench import builder as _builder
from vlmsafety.suites.mossbench import cli as _cli
from vlmsafety.suites.mossbench import importer as _importer
from vlmsafety.suites.mossbench import report as _report
from vlmsafety.suites.mossbench.classes import BENIGN_QUERY_DEFINITIONS
from vlmsafety.suites.mossbench.importer import import_mossbench, read_mossbench
from vlmsafety.suites.mossbench.scoring import REFUSAL_LABELS, OverSensitivityResult
from vlmsafety.suites.mossbench.spec import (
    COLUMNS,
    CONFIGS,
    LABELS,
    NULL_POLICIES,
    PROMPT_COLUMN,
    headlines,
    judge_prompt,
    outcomes,
    score,
)

__all__ = ["SPEC", "OverSensitivityResult", "import_mossbench", "read_mossbench"]

SPEC: Final = BenchmarkSpec(
    name="mossbench",
    title="MOSSBench",
    metric="over_sensitivity",
    configs=CONFIGS,
    columns=COLUMNS,
    reference_column=None,
    reference_classes=BENIGN_QUERY_DEFINITIONS,
    labels=LABELS,
    judge_scheme=XSTEST_SCHEME,
    settings={"empty_policy": "refusal", "refusal_labels": list(REFUSAL_LABELS),
              "null_policy": "unscored"},
    setting_choices={"null_policy": NULL_POLICIES},
    headlines=headlines,
    judge_prompt=judge_prompt,
    score=score,
    outcomes=outcomes,
    bootstrap_note="items (each item is its own cluster).",
    report=Report(_report.sections, _report.plots, _report.plot_title,
                  _report.leaderboard_notes),
    prompt_column=PROMPT_COLUMN,
    uses_responses=True,
    builder=Builder(_builder.__name__, _builder.build_mossbench),
    build_command=_cli.register,
    importer=_importer.import_mossbench,
    import_command=_cli.register_import,
)
