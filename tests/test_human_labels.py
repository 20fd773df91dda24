"""The human-labels file: append-only records, last record wins, retractions, skips, checks."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from vlmsafety.errors import HumanLabelsFormatError, InvalidArgumentError
from vlmsafety.human_labels import (
    FIELDS,
    HumanLabel,
    append_record,
    combine_annotators,
    dataset_revision,
    read_human_labels,
    response_sha256,
)

BASE = HumanLabel("a", "m1", "refusal", "ann", "dual", "sha256:" + "0" * 64,
                  response_sha256("I cannot help."), "harmful", 0.25, 0, "2026-12-03T14:00:00Z")


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    rec = replace(BASE, note="long answer, boilerplate at the end")
    append_record(p, rec)
    line = json.loads(p.read_text(encoding="utf-8"))
    assert tuple(line) == FIELDS
    got = read_human_labels(p)
    assert got.labels == (rec,) and got.n_records == 1 and got.files == (str(p),)


def test_last_record_wins_and_retract_and_skip(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    append_record(p, BASE)
    append_record(p, replace(BASE, label="direct_answer"))  # a correction
    append_record(p, replace(BASE, id="b", draw=1))
    append_record(p, replace(BASE, id="b", draw=1, label=None, action="retract"))  # undo
    append_record(p, replace(BASE, id="c", draw=2, label=None, action="skip"))
    append_record(p, replace(BASE, id="d", draw=3, label=None, action="skip"))
    append_record(p, replace(BASE, id="d", draw=3, label="safe_completion"))  # skip then label
    got = read_human_labels([p])
    assert [(r.id, r.label) for r in got] == [("a", "direct_answer"), ("d", "safe_completion")]
    assert got.n_retracted == 1 and got.n_skipped == 1 and got.skipped[0].id == "c"
    assert got.n_records == 7 and len(got) == 2


def test_keys_are_per_model_and_annotator(tmp_path: Path) -> None:
    p, q = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    append_record(p, BASE)
    append_record(p, replace(BASE, model="m2", label="direct_answer"))
    append_record(q, replace(BASE, annotator="bob", label="safe_completion"))
    got = read_human_labels([p, q])
    assert len(got) == 3 and got.annotators == ("ann", "bob") and got.models == ("m1", "m2")
    assert got.for_model("m2")["a"].label == "direct_answer"
    with pytest.raises(InvalidArgumentError, match="several annotators.*combine_annotators"):
        got.for_model("m1")


def test_half_written_last_line_is_ignored_then_cut_on_append(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    append_record(p, BASE)
    with p.open("ab") as fh:  # a writer killed mid-line
        fh.write(b'{"id": "b", "model": "m1", "lab')
    got = read_human_labels(p)
    assert len(got) == 1 and got.n_truncated == 1
    append_record(p, replace(BASE, id="c"))
    lines = p.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "c"]
    assert read_human_labels(p).n_truncated == 0


def test_only_newline_missing_is_still_read(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    p.write_text(json.dumps(BASE.to_dict()), encoding="utf-8")  # complete JSON, no newline
    assert len(read_human_labels(p)) == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"label": "refusal_ish"}, (r"'label' 'refusal_ish' is not a dual label; allowed: refusal, "
                                r"partial_refusal, safe_completion, direct_answer, irrelevant")),
    ({"label": "partial_refusal", "benchmark": "vsc"},
     r"'label' 'partial_refusal' is not a vsc label; allowed: refusal, safe_completion"),
    ({"label": "unscored"}, r"'label' 'unscored' is not a dual label"),
    ({"benchmark": "duel"}, r"unknown benchmark 'duel'; allowed: dual, vsc"),
    ({"action": "delete"}, r"'action' 'delete' is not one of: label, skip, retract"),
    ({"action": "skip"}, r"a 'skip' record has \"label\": null, got 'refusal'"),
    ({"sampling_prob": 0}, r"'sampling_prob' must be in \(0, 1\], got 0"),
    ({"sampling_prob": "0.5"}, r"'sampling_prob' must be a number"),
    ({"draw": -1}, r"'draw' must be >= 0"),
    ({"draw": True}, r"'draw' must be an integer"),
    ({"response_sha256": "abc"}, r"'response_sha256' must be 64 lower-case hex digits"),
    ({"id": ""}, r"'id' must be a non-empty string"),
    ({"model": None}, r"'model' must be a string, got None"),
])
def test_bad_records_name_file_line_and_allowed_set(tmp_path: Path, change: dict,
                                                     message: str) -> None:
    p = tmp_path / "h.jsonl"
    _write(p, [BASE.to_dict(), {**BASE.to_dict(), **change}])
    with pytest.raises(HumanLabelsFormatError, match=rf"h\.jsonl:2: {message}"):
        read_human_labels(p)


def test_missing_field_bad_json_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    rec = BASE.to_dict()
    del rec["stratum"]
    _write(p, [rec])
    with pytest.raises(HumanLabelsFormatError, match=r"h\.jsonl:1: missing field 'stratum'"):
        read_human_labels(p)
    p.write_text("{not json}\n" + json.dumps(BASE.to_dict()) + "\n", encoding="utf-8")
    with pytest.raises(HumanLabelsFormatError, match=r"h\.jsonl:1: not a JSON line"):
        read_human_labels(p)
    p.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(HumanLabelsFormatError, match=r"h\.jsonl:1: expected a JSON object, got list"):
        read_human_labels(p)
    with pytest.raises(HumanLabelsFormatError, match=r"nope\.jsonl: file not found"):
        read_human_labels(tmp_path / "nope.jsonl")
    with pytest.raises(HumanLabelsFormatError, match="no human-labels file"):
        read_human_labels([])


def test_append_refuses_an_invalid_record(tmp_path: Path) -> None:
    p = tmp_path / "h.jsonl"
    with pytest.raises(HumanLabelsFormatError, match="not a dual label"):
        append_record(p, replace(BASE, label="maybe"))
    assert not p.exists() or p.read_bytes() == b""


def test_mixed_benchmarks_refused(tmp_path: Path) -> None:
    p, q = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    append_record(p, BASE)
    append_record(q, replace(BASE, benchmark="vsc"))
    with pytest.raises(HumanLabelsFormatError, match="mix benchmarks: dual .*a.jsonl.*vsc"):
        read_human_labels([p, q])


def test_majority_ties_left_out_and_counted() -> None:
    recs = (
        BASE, replace(BASE, annotator="b"), replace(BASE, annotator="c", label="direct_answer"),
        replace(BASE, id="t"), replace(BASE, id="t", annotator="b", label="direct_answer"),
        replace(BASE, id="solo", label="safe_completion", time="2026-12-03T15:00:00Z"),
        replace(BASE, model="m2", annotator="b", label="irrelevant"),
    )
    from vlmsafety.human_labels import HumanLabels

    got = combine_annotators(HumanLabels(recs, skipped=(replace(BASE, id="t", action="skip",
                                                                label=None, annotator="c"),
                                                        replace(BASE, id="z", action="skip",
                                                                label=None),)))
    assert got.n_ties == 1 and got.rule == "majority"
    assert [(r.id, r.model, r.label, r.annotator) for r in got] == [
        ("a", "m1", "refusal", "ann+b+c"), ("solo", "m1", "safe_completion", "ann"),
        ("a", "m2", "irrelevant", "b")]
    assert [r.id for r in got.skipped] == ["z"]  # "t" has labels (a tie), not a skip
    with pytest.raises(InvalidArgumentError, match="unknown rule 'mean'; allowed: majority"):
        combine_annotators(HumanLabels(recs), rule="mean")


def test_combining_different_response_texts_is_refused() -> None:
    from vlmsafety.human_labels import HumanLabels

    two = HumanLabels((BASE, replace(BASE, annotator="b", response_sha256=response_sha256("x"))))
    with pytest.raises(HumanLabelsFormatError, match="labelled different response texts"):
        combine_annotators(two)


def test_dataset_revision_per_config() -> None:
    files = {"data/clean/a.parquet": "1" * 64, "data/clean/b.parquet": "2" * 64,
             "data/perturbed/a.parquet": "3" * 64}
    clean = dataset_revision(files, "clean")
    assert clean.startswith("sha256:") and len(clean) == 7 + 64
    assert clean != dataset_revision(files, "perturbed")
    assert clean != dataset_revision({**files, "data/clean/b.parquet": "4" * 64}, "clean")
    assert dataset_revision(files, "text_only") == "unpinned"
    assert dataset_revision(files, "clean", revision="abc123") == "hub:abc123"
