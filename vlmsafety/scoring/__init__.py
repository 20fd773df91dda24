"""The scoring core: rates with counts and intervals, model comparisons, per-benchmark metrics.

Pure numpy: no files, network, logging or global random state. Every ``evaluate`` module in
``metrics/`` and every report calls these functions.

* :func:`safe_completion` - DUAL-Bench RR, DAR, SCR, breakdowns and ΔIR (:mod:`.dual`).
* :func:`safety_calibration` - VSCBench SRA_u, SRA_s, mean, pair consistency (:mod:`.vsc`).
* :func:`over_refusal` - XSTest-style over-refusal and unsafe compliance (:mod:`.xstest`).
* :func:`wilson_interval`, :func:`paired_bootstrap_difference`, :func:`mcnemar` (:mod:`.stats`).

Imports point one way (``tests/scoring/test_layering.py`` checks it): :mod:`.inputs` (validation,
integer encoding) <- :mod:`.stats` (intervals, bootstrap, tests) <- :mod:`.core` (rates, result
types) <- :mod:`.dual_result` <- :mod:`.dual`, :mod:`.vsc`, :mod:`.xstest`.

Example:
    >>> from vlmsafety.scoring import over_refusal
    >>> over_refusal(["refusal", "direct_answer"], ["safe", "safe"], n_boot=0).flatten()["over_refusal_rate"]
    0.5
"""

from __future__ import annotations

from vlmsafety.scoring.core import Estimate, Rate, ScoreResult, UnscoredPolicy
from vlmsafety.scoring.dual import (
    DeltaIR,
    LabelRates,
    PartialRefusalPolicy,
    SafeCompletionResult,
    safe_completion,
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
    safety_calibration,
)
from vlmsafety.scoring.xstest import OverRefusalResult, RefusalRates, over_refusal

__all__ = [
    "Rate",
    "Estimate",
    "ScoreResult",
    "UnscoredPolicy",
    "PartialRefusalPolicy",
    "VscMode",
    "LabelRates",
    "DeltaIR",
    "SafeCompletionResult",
    "CalibrationRates",
    "SafetyCalibrationResult",
    "RefusalRates",
    "OverRefusalResult",
    "PairedDifference",
    "McNemarResult",
    "safe_completion",
    "safety_calibration",
    "over_refusal",
    "item_correct",
    "wilson_interval",
    "cluster_bootstrap_counts",
    "paired_bootstrap_difference",
    "mcnemar",
]
