"""The scoring core: rates with counts and intervals, model comparisons, human-label correction.

Pure numpy: no files, network, logging or global random state. It names no benchmark: each
benchmark's scorer lives in its suite (``vlmsafety/suites/<name>/scoring.py``, e.g.
:func:`vlmsafety.suites.dual.score_dual`) and is built from these pieces.

* :class:`Rate`, :class:`ScoreResult` and the rate groups (:mod:`.core`).
* :func:`wilson_interval`, :func:`paired_bootstrap_difference`, :func:`mcnemar` (:mod:`.stats`).
* :func:`corrected_rate` - a judge's rate corrected by human labels on a random sample, PPI++
  (:mod:`.corrected` on labels, :mod:`.ppi` the estimator).

Imports point one way (``tests/scoring/test_layering.py`` checks it): :mod:`.inputs` (validation,
integer encoding) <- :mod:`.stats` (intervals, bootstrap, tests) <- :mod:`.core` (rates, result
types) <- :mod:`.corrected`, :mod:`.agreement`, :mod:`.planning`.

Example:
    >>> from vlmsafety.scoring import wilson_interval
    >>> [round(x, 3) for x in wilson_interval(5, 10)]
    [0.237, 0.763]
"""

from __future__ import annotations

from vlmsafety.scoring.core import Estimate, Rate, ScoreResult, UnscoredPolicy
from vlmsafety.scoring.corrected import CorrectedRate, corrected_rate
from vlmsafety.scoring.stats import (
    McNemarResult,
    PairedDifference,
    cluster_bootstrap_counts,
    mcnemar,
    paired_bootstrap_difference,
    wilson_interval,
)

__all__ = [
    "CorrectedRate",
    "Estimate",
    "McNemarResult",
    "PairedDifference",
    "Rate",
    "ScoreResult",
    "UnscoredPolicy",
    "cluster_bootstrap_counts",
    "corrected_rate",
    "mcnemar",
    "paired_bootstrap_difference",
    "wilson_interval",
]
