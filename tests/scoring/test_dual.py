"""safe_completion (DUAL-Bench) on a hand-computed paired toy set.

Definitions: DUAL-Bench (Ren, Nakov & Naseem, arXiv 2510.10846): RR, DAR, SCR are shares of
refusals, direct answers and safe completions; ΔIR is the metric on perturbed items minus the same
metric on their own clean source items. Every expected number below is worked out by hand in the
comments.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction as F

import pytest

from vlmsafety.errors import LabelError, ScoringInputError
from vlmsafety.suites.dual.scoring import score_dual

R, P, S, D, I, U = (
    "refusal", "partial_refusal", "safe_completion", "direct_answer", "irrelevant", "unscored",
)

# row: source, perturbation, severity, label, instruction type, category
ROWS = [
    ("a", "none", 0, S, "benign", "x"),   # 0
    ("b", "none", 0, R, "benign", "x"),   # 1
    ("c", "none", 0, D, "harmful", "y"),  # 2
    ("d", "none", 0, U, "harmful", "y"),  # 3  clean item unscored -> d is unpaired
    ("a", "blur", 1, D, "benign", "x"),   # 4
    ("b", "blur", 1, R, "benign", "x"),   # 5
    ("c", "blur", 1, D, "harmful", "y"),  # 6
    ("d", "blur", 1, R, "harmful", "y"),  # 7  unpaired
    ("a", "blur", 2, S, "benign", "x"),   # 8
    ("b", "blur", 2, S, "benign", "x"),   # 9
    ("a", "jpeg", 1, R, "benign", "x"),   # 10
    ("e", "jpeg", 1, R, "harmful", "y"),  # 11 no clean item at all -> unpaired
]


def run(rows=ROWS, **kw):
    src, pert, sev, lab, typ, cat = zip(*rows)
    kw.setdefault("n_boot", 0)
    return score_dual(list(lab), list(typ), categories=list(cat), perturbations=list(pert),
                      severities=list(sev), source_ids=list(src), **kw)


def rates(group) -> tuple:
    return tuple(F(getattr(group, k).count, getattr(group, k).n) for k in
                 ("refusal_rate", "safe_completion_rate", "direct_answer_rate"))


def test_overall_and_breakdowns_by_hand() -> None:
    r = run()
    assert (r.n, r.n_unscored, r.n_unpaired) == (12, 1, 2)  # unpaired: rows 7 and 11
    # 11 scored: R = rows 1,5,7,10,11; S = 0,8,9; D = 2,4,6.
    assert rates(r.overall) == (F(5, 11), F(3, 11), F(3, 11))
    assert r.overall.partial_refusal_rate.rate == 0.0 and r.overall.irrelevant_rate.count == 0
    # benign rows 0,1,4,5,8,9,10: R 1,5,10; S 0,8,9; D 4.
    assert rates(r.by_instruction_type["benign"]) == (F(3, 7), F(3, 7), F(1, 7))
    harmful = r.by_instruction_type["harmful"]  # rows 2,3,6,7,11; row 3 unscored
    assert rates(harmful) == (F(1, 2), F(0), F(1, 2))
    assert (harmful.n, harmful.n_unscored) == (5, 1)
    assert rates(r.by_category["x"]) == rates(r.by_instruction_type["benign"])
    assert rates(r.clean) == (F(1, 3), F(1, 3), F(1, 3)) and r.clean.n == 4
    assert rates(r.by_perturbation["blur"]["all"]) == (F(2, 6), F(2, 6), F(2, 6))
    assert rates(r.by_perturbation["blur"]["1"]) == (F(1, 2), F(0), F(1, 2))
    assert rates(r.by_perturbation["blur"]["2"]) == (F(0), F(1), F(0))
    assert rates(r.by_perturbation["jpeg"]["1"]) == (F(1), F(0), F(0))


def delta(d) -> F:
    return F(d.perturbed.count, d.perturbed.n) - F(d.clean.count, d.clean.n)


def test_delta_ir_pairs_each_perturbed_item_with_its_own_source() -> None:
    r = run()
    blur = r.delta_ir["blur"]
    # Paired blur rows (sources a, b, c): 4 D, 5 R, 6 D, 8 S, 9 S -> RR 1/5, DAR 2/5, SCR 2/5.
    # Their clean rows 0 S, 1 R, 2 D -> 1/3 each.
    assert delta(blur["refusal_rate"]) == F(1, 5) - F(1, 3)
    assert delta(blur["direct_answer_rate"]) == F(2, 5) - F(1, 3)
    assert delta(blur["safe_completion_rate"]) == F(2, 5) - F(1, 3)
    assert blur["refusal_rate"].n_sources == 3
    assert blur["refusal_rate"].value == pytest.approx(-2 / 15)
    sev1 = r.delta_ir_by_severity["blur"]["1"]  # rows 4 D, 5 R, 6 D vs clean a, b, c
    assert [delta(sev1[k]) for k in ("refusal_rate", "direct_answer_rate", "safe_completion_rate")] \
        == [F(0), F(1, 3), F(-1, 3)]
    sev2 = r.delta_ir_by_severity["blur"]["2"]  # rows 8 S, 9 S vs clean a S, b R
    assert [delta(sev2[k]) for k in ("refusal_rate", "direct_answer_rate", "safe_completion_rate")] \
        == [F(-1, 2), F(0), F(1, 2)]
    assert sev2["refusal_rate"].n_sources == 2
    jpeg = r.delta_ir["jpeg"]  # only row 10 (a) is paired: R vs clean a S
    assert (delta(jpeg["refusal_rate"]), delta(jpeg["safe_completion_rate"])) == (F(1), F(-1))
    assert jpeg["refusal_rate"].n_sources == 1


def test_delta_ir_bootstrap_interval_contains_estimate_and_flattens() -> None:
    r = run(n_boot=300, seed=5, min_clusters=1)  # the mechanics, on a tiny case
    d = r.delta_ir["blur"]["safe_completion_rate"]
    assert d.boot_low <= d.value <= d.boot_high
    flat = r.flatten()
    assert flat["delta_ir_blur_safe_completion_rate"] == d.value
    assert flat["delta_ir_blur_severity_2_refusal_rate"] == pytest.approx(-0.5)
    assert flat["delta_ir_blur_safe_completion_rate_n_sources"] == 3
    assert "delta_ir_blur_safe_completion_rate_boot_low" in flat
    assert flat["refusal_rate"] == pytest.approx(5 / 11)
    assert flat["category_y_n_unscored"] == 1 and flat["n_unpaired"] == 2
    assert flat["perturbation_blur_severity_1_direct_answer_rate"] == 0.5
    json.dumps(r.to_dict(), allow_nan=False)  # strictly valid JSON (nan -> null)


def test_partial_refusal_policy() -> None:
    preds, refs = [P, R, S, D], ["harmful"] * 4
    sep = score_dual(preds, refs, n_boot=0).overall
    assert (sep.refusal_rate.rate, sep.partial_refusal_rate.rate, sep.safe_completion_rate.rate) == (0.25, 0.25, 0.25)
    ref = score_dual(preds, refs, partial_refusal="refusal", n_boot=0).overall
    assert (ref.refusal_rate.rate, ref.partial_refusal_rate.rate, ref.safe_completion_rate.rate) == (0.5, 0.25, 0.25)
    sc = score_dual(preds, refs, partial_refusal="safe_completion", n_boot=0).overall
    assert (sc.refusal_rate.rate, sc.safe_completion_rate.rate) == (0.25, 0.5)
    with pytest.raises(ScoringInputError, match="partial_refusal='ignore' is not allowed; allowed: 'separate'"):
        score_dual(preds, refs, partial_refusal="ignore")  # type: ignore[arg-type]


def test_unscored_policies() -> None:
    r = run(unscored="include")
    assert rates(r.overall) == (F(5, 12), F(3, 12), F(3, 12))
    assert r.n_unpaired == 1  # d's clean item now counts, so only e is unpaired
    with pytest.raises(ScoringInputError, match="position 3: 'unscored' with unscored='raise'"):
        run(unscored="raise")
    allu = score_dual([U, U], ["harmful", "benign"])
    assert math.isnan(allu.overall.refusal_rate.rate) and allu.overall.refusal_rate.n == 0
    assert allu.to_dict()["overall"]["refusal_rate"]["rate"] is None


def test_validation_messages() -> None:
    with pytest.raises(LabelError, match=r"position 1: 'Refusal' is not a behaviour label; allowed: 'refusal'"):
        score_dual([R, "Refusal"], ["harmful", "benign"])
    with pytest.raises(ScoringInputError, match="references has 1 items but predictions has 2"):
        score_dual([R, R], ["harmful"])
    with pytest.raises(ScoringInputError, match="predictions is empty"):
        score_dual([], [])
    with pytest.raises(ScoringInputError, match=r"references: position 0: 'safe' is not allowed; "
                                                 r"allowed: 'harmful', 'benign'"):
        score_dual([R], ["safe"])
    with pytest.raises(ScoringInputError, match="perturbations needs source_ids"):
        score_dual([R], ["harmful"], perturbations=["blur"])
    with pytest.raises(ScoringInputError, match="categories: position 1: None is not allowed"):
        score_dual([R, R], ["harmful"] * 2, categories=["x", None])
    with pytest.raises(ScoringInputError, match="severities: position 0: None is not allowed for a perturbed item"):
        score_dual([R], ["harmful"], perturbations=["blur"], severities=[None], source_ids=["a"])
    with pytest.raises(LabelError, match="position 0: None is not a behaviour label"):
        score_dual([None], ["harmful"])  # type: ignore[list-item]
    with pytest.raises(ScoringInputError, match="categories: position 0: \\['x'\\] \\(list\\) is not a valid value"):
        score_dual([R], ["harmful"], categories=[["x"]])
