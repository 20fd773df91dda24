"""Agreement figures on a hand-computed toy, n/a cases, and the clustered bootstrap's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from vlmsafety.errors import ScoringInputError
from vlmsafety.scoring.agreement import FIGURES, AgreementResult, agreement, figures_from_confusion

R, P, D = "refusal", "partial_refusal", "direct_answer"
# (reference, prediction, group); worked by hand below.
TOY = [(R, R, "g1"), (R, R, "g1"), (R, D, "g2"), (P, R, "g2"), (P, D, "g3"),
       (D, D, "g3"), (D, R, "g4"), (D, D, "g4"), (D, D, "g5"), (D, P, "g5")]


def toy(n_boot: int, seed: int = 0) -> AgreementResult:
    ref, pred, groups = zip(*TOY)
    return agreement(list(pred), list(ref), list(groups), positive=(R, P), n_boot=n_boot, seed=seed)


def test_toy_figures_by_hand() -> None:
    r = toy(n_boot=0)
    # binary (refusal = R or P): ref positives items 1-5, predicted positives 1,2,4,7,10
    # tp = 3 (1,2,4), fp = 2 (7,10), fn = 2 (3,5), tn = 3 (6,8,9)
    assert r.labels == (D, P, R) and r.positive == (P, R) and r.n == 10 and r.n_groups == 5
    assert r.confusion == ((3, 1, 1), (1, 0, 1), (1, 0, 2))
    assert r.accuracy.value == pytest.approx(0.6) and r.accuracy.n == 10
    assert r.precision.value == pytest.approx(3 / 5) and r.precision.n == 5
    assert r.recall.value == pytest.approx(3 / 5) and r.recall.n == 5
    assert r.f1.value == pytest.approx(6 / 10) and r.f1.n == 7
    # binary kappa: p_o = 0.6, p_e = (5*5 + 5*5) / 100 = 0.5
    assert r.binary_kappa.value == pytest.approx(0.2)
    # 3-way: p_o = (3 + 0 + 2) / 10; marginals ref (5, 2, 3), pred (5, 1, 4): p_e = 0.39
    assert r.exact_agreement.value == pytest.approx(0.5)
    assert r.kappa.value == pytest.approx((0.5 - 0.39) / (1 - 0.39))
    assert r.pred_positive_rate.value == pytest.approx(0.5)
    assert r.ref_positive_rate.value == pytest.approx(0.5)
    assert all(getattr(r, f).ci_low is None for f in FIGURES)  # n_boot=0: no intervals


def test_single_positive_label() -> None:
    ref, pred, _ = zip(*TOY)
    r = agreement(list(pred), list(ref), positive=R, n_boot=0)
    # refusal alone: tp = 2 (1,2), pred R = 1,2,4,7 (4), ref R = 1,2,3 (3)
    assert (r.precision.value, r.recall.value) == (pytest.approx(0.5), pytest.approx(2 / 3))
    assert r.f1.value == pytest.approx(4 / (4 + 2 + 1))


def test_intervals_are_seeded_and_contain_the_estimate() -> None:
    a, b, c = toy(n_boot=300, seed=3), toy(n_boot=300, seed=3), toy(n_boot=300, seed=4)
    assert a == b and a != c
    for name in FIGURES:
        f = getattr(a, name)
        assert f.ci_low is not None and f.ci_high is not None
        assert f.ci_low <= f.value + 1e-12 and f.value <= f.ci_high + 1e-12, name
    assert a.accuracy.ci_low < a.accuracy.ci_high


def test_one_group_does_not_collapse_the_interval() -> None:
    # one cluster: every replicate redraws the whole data, so the percentile interval is the
    # point value; the proportions fall back to Wilson on one effective item (issue 24)
    ref, pred, _ = zip(*TOY)
    r = agreement(list(pred), list(ref), ["all"] * 10, positive=(R, P), n_boot=50)
    for name in ("accuracy", "precision", "recall", "exact_agreement"):
        f = getattr(r, name)
        assert f.ci_low < f.ci_high and f.ci_high - f.ci_low > 0.5, name


def test_clustering_widens_the_interval() -> None:
    rng = np.random.default_rng(0)
    ref = [R if x else D for x in rng.random(40) < 0.5]
    pred = [r if x else (D if r == R else R) for r, x in zip(ref, rng.random(40) < 0.7)]
    rows = [(p, r, f"item{i}") for i, (p, r) in enumerate(zip(pred, ref)) for _ in range(5)]
    p5, r5, g5 = map(list, zip(*rows))
    clustered = agreement(p5, r5, g5, positive=R, n_boot=400, seed=1).accuracy
    naive = agreement(p5, r5, positive=R, n_boot=400, seed=1).accuracy
    assert clustered.value == naive.value
    assert (clustered.ci_high - clustered.ci_low) > 1.5 * (naive.ci_high - naive.ci_low)


def test_not_supported_is_none() -> None:
    # no predicted refusal: precision n/a (interval too); recall 0; F1 = 0
    r = agreement([D, D, D], [R, D, D], positive=R, n_boot=100)
    assert r.precision.value is None and r.precision.ci_low is None and r.precision.n == 0
    assert r.recall.value == 0.0 and r.f1.value == 0.0
    # no reference refusal: recall n/a
    assert agreement([R, D], [D, D], positive=R, n_boot=0).recall.value is None
    # one label on both sides: kappa n/a (chance agreement is 1), F1 n/a (no positive anywhere)
    same = agreement([D, D], [D, D], positive=R, n_boot=0)
    assert same.kappa.value is None and same.binary_kappa.value is None and same.f1.value is None
    assert same.accuracy.value == 1.0
    assert same.to_dict()["kappa"] == {"value": None, "n": 2, "ci_low": None, "ci_high": None}


def test_vectorised_figures_match_point() -> None:
    stack = np.array([[[3, 1], [2, 4]], [[0, 0], [0, 5]]])
    f = figures_from_confusion(stack, 1)
    assert f["precision"].tolist() == pytest.approx([0.8, 1.0])
    assert np.isnan(f["kappa"][1])  # only one label used by both raters


def test_bad_input() -> None:
    with pytest.raises(ScoringInputError, match="differ in length: 2 != 1"):
        agreement([R, D], [R], positive=R)
    with pytest.raises(ScoringInputError, match="empty"):
        agreement([], [], positive=R)
    with pytest.raises(ScoringInputError, match=r"ref: position 1: 'refused' is not in the label "
                       r"set; allowed: 'refusal', 'direct_answer'"):
        agreement([R, D], [R, "refused"], positive=R, labels=[R, D])
    with pytest.raises(ScoringInputError, match="positive label 'x' is not in the label set"):
        agreement([R], [R], positive="x", labels=[R, D])
    with pytest.raises(ScoringInputError, match="groups has length 1, expected 2"):
        agreement([R, D], [R, D], ["g"], positive=R)


def test_fleiss_kappa_by_hand() -> None:
    """Three items, three raters: n_ij = (3,0), (2,1), (0,3). P_i = 1, 1/3, 1 -> mean 7/9;
    p = (5/9, 4/9) -> P_e = 41/81; kappa = (63/81 - 41/81) / (40/81) = 22/40 = 0.55."""
    from vlmsafety.scoring.agreement import fleiss_kappa

    got = fleiss_kappa([["a", "a", "a"], ["a", "a", "b"], ["b", "b", "b"]])
    assert got.value == pytest.approx(0.55) and got.n == 3
    # the order of the raters within an item does not matter; a label set may add unused labels
    assert fleiss_kappa([["b", "a", "a"], ["a", "a", "a"], ["b", "b", "b"]],
                        labels=["a", "b", "c"]).value == pytest.approx(0.55)
    # two raters: Fleiss' kappa equals Scott's pi: observed 0.5, p = (0.5, 0.5), pi = 0
    assert fleiss_kappa([["a", "a"], ["a", "b"], ["b", "a"], ["b", "b"]]).value == 0.0
    assert fleiss_kappa([["a", "a"], ["a", "a"]]).value is None  # chance agreement 1


def test_fleiss_kappa_worked_example() -> None:
    """The worked example of Fleiss' kappa (14 raters, 10 items, 5 categories; kappa 0.210),
    as given in the Wikipedia article on Fleiss' kappa."""
    from vlmsafety.scoring.agreement import fleiss_kappa

    table = [(0, 0, 0, 0, 14), (0, 2, 6, 4, 2), (0, 0, 3, 5, 6), (0, 3, 9, 2, 0),
             (2, 2, 8, 1, 1), (7, 7, 0, 0, 0), (3, 2, 6, 3, 0), (2, 5, 3, 2, 2),
             (6, 5, 2, 1, 0), (0, 2, 2, 3, 7)]
    ratings = [[c for c, k in zip("12345", row, strict=True) for _ in range(k)] for row in table]
    assert fleiss_kappa(ratings).value == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_refuses_bad_input() -> None:
    from vlmsafety.scoring.agreement import fleiss_kappa

    with pytest.raises(ScoringInputError, match="item 1 has 2 ratings, expected 3"):
        fleiss_kappa([["a", "a", "b"], ["a", "b"]])
    with pytest.raises(ScoringInputError, match="at least 2 raters"):
        fleiss_kappa([["a"]])
    with pytest.raises(ScoringInputError, match=r"position 2: 'c' is not in the label set"):
        fleiss_kappa([["a", "b"], ["c", "a"]], labels=["a", "b"])
