"""The scoring core: rates with counts and intervals, model comparisons, per-benchmark metrics.

Pure numpy: no files, network, logging or global random state. Every ``evaluate`` module in
``metrics/`` and every report calls these functions.

* :func:`score_dual` - DUAL-Bench RR, DAR, SCR, breakdowns and ΔIR (:mod:`.dual`).
* :func:`score_vsc` - VSCBench SRA_u, SRA_s, mean, pair consistency (:mod:`.vsc`).
* :func:`score_xstest` - XSTest-style over-refusal and unsafe compliance (:mod:`.xstest`).
* :func:`wilson_interval`, :func:`paired_bootstrap_difference`, :func:`mcnemar` (:mod:`.stats`).
* :func:`corrected_rate` - a judge's rate corrected by human labels on a random sample, PPI++
  (:mod:`.corrected` on labels, :mod:`.ppi` the estimator).

Imports point one way (``tests/scoring/test_layering.py`` checks it): :mod:`.inputs` (validation,
integer encoding) <- :mod:`.stats` (intervals, bootstrap, tests) <- :mod:`.core` (rates, result
types) <- :mod:`.dual_result` <- :mod:`.dual`, :mod:`.vsc`, :mod:`.xstest`.

Example:
    >>> from vlmsafety.scoring import score_xstest
    >>> score_xstest(["refusal", "direct_answer"], ["safe", "safe"], n_boot=0).flatten()["over_refusal_rate"]
    0.5
"""

from __future__ import annotations

from vlmsafety.scoring.core import Estimate, Rate, ScoreResult, UnscoredPolicy
from vlmsafety.scoring.corrected import CorrectedRate, corrected_rate
from vlmsafety.scoring.dual import (
    DeltaIR,
    LabelRates,
    PartialRefusalPolicy,
    SafeCompletionResult,
    score_dual,
)
from vlmsafety.scoring.stats import (
    McNemarResult,
    PairedDifference,
    cluster_bootstrap_counts,
    mcnemar,
    paired_bootstrap_difference,
    wilson_interval,
)
from vlmsafety.scoring.vsc import (
    CalibrationRates,
    SafetyCalibrationResult,
    VscMode,
    item_correct,
    score_vsc,
)
from vlmsafety.scoring.xstest import OverRefusalResult, RefusalRates, score_xstest

__all__ = [
    "CalibrationRates",
    "CorrectedRate",
    "DeltaIR",
    "Estimate",
    "LabelRates",
    "McNemarResult",
    "OverRefusalResult",
    "PairedDifference",
    "PartialRefusalPolicy",
    "Rate",
    "RefusalRates",
    "SafeCompletionResult",
    "SafetyCalibrationResult",
    "ScoreResult",
    "UnscoredPolicy",
    "VscMode",
    "cluster_bootstrap_counts",
    "corrected_rate",
    "item_correct",
    "mcnemar",
    "paired_bootstrap_difference",
    "score_dual",
    "score_vsc",
    "score_xstest",
    "wilson_interval",
]
