"""Invariants of the scoring core, checked with hypothesis."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vlmsafety.labels import LABELS
from vlmsafety.scoring.core import Rate
from vlmsafety.scoring.stats import wilson_interval
from vlmsafety.suites.dual.scoring import score_dual
from vlmsafety.suites.vsc.over_refusal import score_xstest
from vlmsafety.suites.vsc.scoring import score_vsc

FAST = settings(max_examples=40, deadline=None)

row = st.tuples(
    st.sampled_from(LABELS),
    st.sampled_from(["harmful", "benign"]),
    st.sampled_from(["c1", "c2", "c3"]),
    st.sampled_from(["none", "blur", "jpeg"]),
    st.integers(1, 3),
    st.sampled_from(["s1", "s2", "s3", "s4"]),
)
rows = st.lists(row, min_size=1, max_size=40)


def dual(rs, **kw):
    lab, typ, cat, pert, sev, src = (list(x) for x in zip(*rs))
    return score_dual(lab, typ, categories=cat, perturbations=pert, severities=sev,
                      source_ids=src, **kw)


def all_rates(obj):
    """Every Rate inside a result (walks dataclasses and dicts)."""
    if isinstance(obj, Rate):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from all_rates(v)
    elif hasattr(obj, "__dataclass_fields__"):
        for k in obj.__dataclass_fields__:
            yield from all_rates(getattr(obj, k))


def same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


@FAST
@given(rows, st.sampled_from(["separate", "refusal", "safe_completion"]),
       st.sampled_from(["exclude", "include"]))
def test_dual_rates_partition_to_one(rs, policy, unscored) -> None:
    r = dual(rs, partial_refusal=policy, unscored=unscored, n_boot=0)
    groups = [r.overall, *r.by_instruction_type.values(), *r.by_category.values()]
    groups += [g for sev in r.by_perturbation.values() for g in sev.values()]
    for g in groups:
        if g.refusal_rate.n == 0:
            continue
        parts = [g.refusal_rate, g.safe_completion_rate, g.direct_answer_rate, g.irrelevant_rate]
        if policy == "separate":
            parts.append(g.partial_refusal_rate)
        total = sum(p.count for p in parts)
        unscored_in_den = g.n_unscored if unscored == "include" else 0
        assert total + unscored_in_den == g.refusal_rate.n


@FAST
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(["safe", "unsafe"]),
                          st.sampled_from(["t1", "t2"])), min_size=1, max_size=40))
def test_xstest_rates_partition_to_one(rs) -> None:
    lab, ref, typ = (list(x) for x in zip(*rs))
    r = score_xstest(lab, ref, types=typ, n_boot=0)
    for g in [r.safe, r.unsafe, *r.by_type.values()]:
        if g.full_refusal_rate.n:
            total = sum(getattr(g, k).count for k in
                        ("full_refusal_rate", "partial_refusal_rate", "compliance_rate", "irrelevant_rate"))
            assert total == g.full_refusal_rate.n


@FAST
@given(rows, st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(rs, rnd) -> None:
    shuffled = list(rs)
    rnd.shuffle(shuffled)
    a = dual(rs, n_boot=50, seed=3, bootstrap_breakdowns=True).to_dict()
    b = dual(shuffled, n_boot=50, seed=3, bootstrap_breakdowns=True).to_dict()
    assert same(a, b)


@FAST
@given(rows, st.integers(0, 2**32 - 1))
def test_intervals_contain_the_point_estimate(rs, seed) -> None:
    r = dual(rs, n_boot=100, seed=seed, bootstrap_breakdowns=True)
    for rate in all_rates(r):
        if rate.n == 0:
            assert math.isnan(rate.rate) and math.isnan(rate.ci_low)
            continue
        assert rate.ci_low <= rate.rate <= rate.ci_high
        if not math.isnan(rate.boot_low):
            assert rate.boot_low <= rate.rate <= rate.boot_high
    for metrics in r.delta_ir.values():
        for d in metrics.values():
            if not math.isnan(d.boot_low):
                assert d.boot_low - 1e-12 <= d.value <= d.boot_high + 1e-12


@FAST
@given(st.integers(0, 200), st.integers(0, 200))
def test_wilson_contains_estimate(count, extra) -> None:
    n = count + extra
    lo, hi = wilson_interval(count, n)
    if n:
        assert 0.0 <= lo <= count / n <= hi <= 1.0


@FAST
@given(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(["safe", "unsafe"]),
                          st.integers(0, 5)), min_size=1, max_size=30), st.integers(0, 1000))
def test_bootstrap_with_fixed_seed_is_reproducible(rs, seed) -> None:
    lab, ref, pair = (list(x) for x in zip(*rs))
    a = score_vsc(lab, ref, prompt_ids=pair, n_boot=80, seed=seed).to_dict()
    b = score_vsc(lab, ref, prompt_ids=pair, n_boot=80, seed=seed).to_dict()
    assert same(a, b)
    assert a["seed"] == seed and np.isfinite(a["n_boot"])
