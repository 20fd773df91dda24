"""Rank models on one headline rate and test every adjacent gap (McNemar + paired bootstrap).

Both tests of a gap use only the items both models have scored (``n_both_scored``, shown with
each gap), so a model with a few rows is compared on those rows alone; the paired bootstrap
interval needs ``min_clusters`` clusters among them (else there is none, and ``paired_bootstrap``
says why). Each row carries the model's coverage.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from vlmsafety.evaluation.reference import Reference
from vlmsafety.evaluation.results import GapTest, Leaderboard, LeaderboardRow, ModelResult
from vlmsafety.scoring import mcnemar, paired_bootstrap_difference
from vlmsafety.scoring.core import Rate, ScoreResult
from vlmsafety.scoring.stats import DEFAULT_MIN_CLUSTERS, bootstrap_plan
from vlmsafety.specs import Headline, Scoring

__all__ = ["headline_rate", "leaderboard"]


def headline_rate(scores: Mapping[str, ScoreResult], h: Headline) -> Rate | None:
    """The :class:`~vlmsafety.scoring.Rate` of headline ``h`` in one model's scores (``None``
    when not scored): ``h.scores_path`` leads through the scorer's result objects (a key of a
    mapping, else an attribute) to the group holding ``h.metric``."""
    group: Any = scores
    for key in (*h.scores_path, h.metric):
        group = group.get(key) if isinstance(group, Mapping) else getattr(group, key, None)
        if group is None:
            return None
    return group if isinstance(group, Rate) else None


def _negated(value: Any) -> Any:
    return None if value is None else -value


def _gap_note(d: Mapping[str, Any], n_boot: int, n_clusters: int, min_clusters: int) -> str:
    """How the gap's interval was made (the bootstrap plan, or the few-discordant fallback)."""
    note = bootstrap_plan(n_boot, n_clusters, min_clusters)[1]
    if d["method"] == "mover-wilson":
        note += ("; fewer than 10 discordant items: MOVER-Wilson interval of the discordant "
                 "shares (cluster design effect) in place of the percentile bootstrap")
    return note


def leaderboard(ref: Reference, h: Headline, models: Mapping[str, ModelResult],
                labels: Mapping[str, Mapping[str, str]], *, n_boot: int, seed: int,
                scoring: Scoring,
                responses: Mapping[str, Mapping[str, str | None]] | None = None,
                min_clusters: int = DEFAULT_MIN_CLUSTERS) -> Leaderboard | None:
    """The leaderboard of ``h`` (``None`` when no model has an item counted).

    Each model's items are counted by ``scoring`` (the spec bound to its settings,
    :meth:`~vlmsafety.specs.BenchmarkSpec.with_settings`), with its ``responses`` (model -> id
    -> text) where the spec reads them.
    """
    entries = []
    for name, info in models.items():
        rate = headline_rate(info.scores, h)
        if rate is not None and rate.n > 0:
            entries.append((name, rate))
    if not entries:
        return None
    sign = -1.0 if h.higher_is_better else 1.0
    entries.sort(key=lambda e: sign * e[1].rate)  # stable: ties keep the command-line order
    # each model's per-item outcomes once (a middle-ranked model is in two adjacent gaps)
    outcomes = {name: scoring.outcomes(ref.rows, labels[name], h,
                                       responses=(responses or {}).get(name))
                for name, _ in entries}
    adjacent = []
    for (a, _), (b, _) in itertools.pairwise(entries):
        ra, ca, clusters, _ = outcomes[a]
        rb, cb, _, _ = outcomes[b]
        both = ca & cb
        test = mcnemar(ra[both], rb[both]) if both.any() else None
        diff = paired_bootstrap_difference(ra, rb, clusters=clusters, mask_a=both, mask_b=both,
                                           n_boot=n_boot, seed=seed, min_clusters=min_clusters)
        # paired_bootstrap_difference measures b - a; every gap here is a - b (rate of the model
        # ranked higher minus the next one's). NaN (no replicates, nothing scored) becomes None.
        d = diff.to_dict()
        n_clusters = len({c for c, keep in zip(clusters, both, strict=True) if keep})
        adjacent.append(GapTest(a, b, _negated(d["estimate"]), _negated(d["ci_high"]),
                                _negated(d["ci_low"]), int(both.sum()),
                                test.to_dict() if test else {"p_value": None, "n": 0},
                                {"n_boot": d["n_boot"], "seed": d["seed"],
                                 "n_clusters": n_clusters, "method": d["method"],
                                 "note": _gap_note(d, n_boot, n_clusters, min_clusters)}))
    return Leaderboard(h, tuple(LeaderboardRow(name, rate, models[name].coverage)
                                for name, rate in entries), tuple(adjacent))
