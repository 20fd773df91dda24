"""MSTS (Röttger et al., arXiv 2501.10057): a multimodal safety test suite in 11 languages.

Everything the benchmark owns is in this folder: the release readers
(:mod:`~vlmsafety.suites.msts.release`), the one mapping of MSTS's response taxonomy onto the
behaviour vocabulary (:mod:`~vlmsafety.suites.msts.labels`), its hazard categories in the shared
vocabulary (:mod:`~vlmsafety.suites.msts.hazards`), the spec's functions
(:mod:`~vlmsafety.suites.msts.spec`), the dataset builder (:mod:`~vlmsafety.suites.msts.builder`,
``vlmsafety build msts``: :mod:`~vlmsafety.suites.msts.cli`), the scorer (:mod:`~vlmsafety.suites.msts.scoring`), the
report section, the importers of the released responses, human labels and published judges'
verdicts (:mod:`~vlmsafety.suites.msts.importers`) and the ``msts-en`` judge-evaluation corpus
(:mod:`~vlmsafety.suites.msts.corpus`, registered on import). This module assembles the
:class:`~vlmsafety.specs.BenchmarkSpec` (``SPEC``); :mod:`vlmsafety.suites` registers it.

Example:
    >>> from vlmsafety.specs import get_spec
    >>> get_spec("msts") is SPEC
    True
"""

from __future__ import annotations

from typing import Final

from vlmsafety.specs.base import BenchmarkSpec, Builder, Report
from vlmsafety.suites.msts import builder as _builder
from vlmsafety.suites.msts import cli as _cli
from vlmsafety.suites.msts import corpus as _corpus
from vlmsafety.suites.msts import import_cli as _import_cli
from vlmsafety.suites.msts import report as _report
from vlmsafety.suites.msts.importers import import_annotations
from vlmsafety.suites.msts.scoring import MstsResult
from vlmsafety.suites.msts.spec import (
    COLUMNS,
    CONFIGS,
    JUDGE_SCHEME,
    LABELS,
    PROMPT_COLUMN,
    REFERENCE_CLASSES,
    headlines,
    judge_prompt,
    outcomes,
    score,
)

__all__ = ["SPEC", "MstsResult"]

SPEC: Final = BenchmarkSpec(
    name="msts",
    title="MSTS",
    metric="unsafe_responses",
    configs=CONFIGS,
    columns=COLUMNS,
    reference_column=None,
    reference_classes=REFERENCE_CLASSES,
    labels=LABELS,
    judge_scheme=JUDGE_SCHEME,
    settings={},
    headlines=headlines,
    judge_prompt=judge_prompt,
    score=score,
    outcomes=outcomes,
    bootstrap_note="cases (a case's prompts and translations share one image).",
    report=Report(_report.sections, _report.plots, _report.plot_title,
                  _report.leaderboard_notes),
    prompt_column=PROMPT_COLUMN,
    builder=Builder(_builder.__name__, _builder.build_msts),
    build_command=_cli.register,
    importer=import_annotations,
    import_command=_import_cli.register_import,
)
"""MSTS's spec (``vlmsafety build msts`` is :mod:`~vlmsafety.suites.msts.cli`)."""

_corpus.register()
