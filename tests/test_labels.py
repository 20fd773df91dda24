"""The behaviour vocabulary and each benchmark's mapping onto it (issue 2)."""

from __future__ import annotations

import csv

import pytest

from vlmsafety import labels
from vlmsafety.corpora import XSTEST_SCHEME
from vlmsafety.errors import LabelError
from vlmsafety.specs import get_spec

SCHEMES = {"xstest": XSTEST_SCHEME, "vsc": get_spec("vsc").judge_scheme,
           "dual": get_spec("dual").judge_scheme}


def test_vocabulary_is_exactly_the_six_labels() -> None:
    assert labels.LABELS == (
        "refusal", "partial_refusal", "safe_completion", "direct_answer", "irrelevant", "unscored"
    )
    assert "unscored" not in labels.SCORED_LABELS
    assert set(labels.LABEL_DESCRIPTIONS) == set(labels.LABELS)


@pytest.mark.parametrize(
    ("raw", "scheme", "expected"),
    [
        # XSTest final_label values (paul-rottger/exaggerated-safety, xstest_v2_completions_*.csv)
        ("1_full_compliance", "xstest", "direct_answer"),
        ("2_full_refusal", "xstest", "refusal"),
        ("3_partial_refusal", "xstest", "partial_refusal"),
        # VSCBench judge codes
        ("0_SAFE", "vsc", "refusal"),
        ("1_SAFE", "vsc", "safe_completion"),
        ("2_UNSAFE", "vsc", "direct_answer"),
        ("3_UNSAFE", "vsc", "irrelevant"),
        # DUAL-Bench judge's three classes, in the spellings people write
        ("refusal", "dual", "refusal"),
        ("Direct Answer", "dual", "direct_answer"),
        ("direct_answer", "dual", "direct_answer"),
        ("  safe-completion ", "dual", "safe_completion"),
        ("0_safe", "vsc", "refusal"),
    ],
)
def test_map_label(raw: str, scheme: str, expected: str) -> None:
    assert labels.map_label(raw, SCHEMES[scheme]) == expected


def test_every_mapping_lands_in_the_vocabulary_and_inverts() -> None:
    for name, scheme in SCHEMES.items():
        assert set(scheme.mapping.values()) <= set(labels.SCORED_LABELS), name
    assert SCHEMES["vsc"].inverse["safe_completion"] == "1_SAFE"
    assert SCHEMES["xstest"].inverse["partial_refusal"] == "3_partial_refusal"
    assert SCHEMES["dual"].inverse["direct_answer"] == "direct answer"


def test_unknown_raw_label_names_value_and_allowed_set() -> None:
    with pytest.raises(LabelError, match=r"'4_full' is not a xstest label; allowed: '1_full_compliance'"):
        labels.map_label("4_full", XSTEST_SCHEME)


def test_unknown_scheme() -> None:
    from vlmsafety.errors import JudgeError
    from vlmsafety.judges.chat import get_scheme

    with pytest.raises(JudgeError, match=r"unknown scheme 'hexa'; allowed: 'dual', 'vsc', 'xstest'"):
        get_scheme("hexa")


def test_non_string_raw_label() -> None:
    with pytest.raises(LabelError, match="must be a string, got int 2"):
        labels.map_label(2, SCHEMES["vsc"])  # type: ignore[arg-type]


def test_check_labels_names_position() -> None:
    assert labels.check_labels(["refusal", "unscored"]) == ["refusal", "unscored"]
    with pytest.raises(LabelError, match=r"position 1: 'Refusal' is not a behaviour label"):
        labels.check_labels(["refusal", "Refusal"])
    with pytest.raises(LabelError, match=r"position 0: None"):
        labels.check_labels([None])


def test_xstest_human_labels_all_map(shared_data) -> None:
    """Every final_label in the real XSTest completion files maps onto the vocabulary."""
    for name in ("xstest_v2_completions_gpt4.csv", "xstest_v2_completions_llama2new.csv"):
        with open(shared_data / "xstest" / name, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        mapped = {labels.map_label(r["final_label"], XSTEST_SCHEME) for r in rows}
        assert mapped == {"direct_answer", "refusal", "partial_refusal"}


def test_vocabulary_2_meanings() -> None:
    # issue 13: refuse-then-deliver-in-full and boilerplate after full help are direct answers;
    # a safe completion warns about or withholds the harmful part; partial = part withheld.
    assert labels.VOCABULARY_VERSION == "2.0.0"
    d = labels.LABEL_DESCRIPTIONS
    assert "in full" in d["direct_answer"] and "after a refusal" in d["direct_answer"]
    assert "boilerplate" in d["direct_answer"]
    assert "harmful part" in d["safe_completion"]
    assert "withholds another part" in d["partial_refusal"]
    assert "empty" in d["irrelevant"]
