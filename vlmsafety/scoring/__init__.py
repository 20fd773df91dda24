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

Renamed in 0.1.x (the old names work until 0.2.0 and warn with a :class:`DeprecationWarning`):
``safe_completion`` -> :func:`score_dual` (the old name was also a label and a rate),
``safety_calibration`` -> :func:`score_vsc` and its ``pair_ids=`` -> ``prompt_ids=`` (VSCBench's
finer ``pair_id`` column is not what it takes), ``over_refusal`` -> :func:`score_xstest`. The
``evaluate`` modules keep their names.

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
    safe_completion,
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
    safety_calibration,
    score_vsc,
)
from vlmsafety.scoring.xstest import OverRefusalResult, RefusalRates, over_refusal, score_xstest

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
    "over_refusal",  # deprecated alias of score_xstest, removed in 0.2.0
    "paired_bootstrap_difference",
    "safe_completion",  # deprecated alias of score_dual, removed in 0.2.0
    "safety_calibration",  # deprecated alias of score_vsc, removed in 0.2.0
    "score_dual",
    "score_vsc",
    "score_xstest",
    "wilson_interval",
]
