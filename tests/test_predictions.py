"""Predictions / judgements JSONL: every rejection names the file, the line and the reason (issue 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vlmsafety.errors import PredictionsFormatError
from vlmsafety.predictions import (
    Judgement,
    Prediction,
    check_coverage,
    read_judgements,
    read_predictions,
    write_jsonl,
)


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "preds.jsonl"
    p.write_text(text, encoding="utf-8")
    return p


def test_round_trip_keeps_model_and_extra_fields(tmp_path: Path) -> None:
    p = tmp_path / "out" / "p.jsonl"
    write_jsonl(p, [Prediction("a", "Sure, here.", "m1", extra={"latency": 1.5}),
                    {"id": "b", "response": "No.", "model": "m1"}])
    got = read_predictions(p)
    assert [(r.id, r.response, r.model) for r in got] == [("a", "Sure, here.", "m1"), ("b", "No.", "m1")]
    assert got[0].extra == {"latency": 1.5}
    assert got[0].to_dict() == {"id": "a", "response": "Sure, here.", "model": "m1", "latency": 1.5}


def test_blank_lines_are_ignored_and_unicode_kept(tmp_path: Path) -> None:
    p = _write(tmp_path, '\n{"id": "a", "response": "Je ne peux pas \u2019t"}\n\n')
    assert read_predictions(p)[0].response == "Je ne peux pas \u2019t"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": "a", "response": "x"}\n{"id": "b", "response": }\n',
         r"preds.jsonl:2: invalid JSON: Expecting value \(column 25\)"),
        ('["a", "x"]\n', r"preds.jsonl:1: expected a JSON object, got list"),
        ('{"response": "x"}\n', r"preds.jsonl:1: missing required key 'id'"),
        ('{"id": "a"}\n', r"preds.jsonl:1: missing required key 'response'"),
        ('{"id": 7, "response": "x"}\n', r"preds.jsonl:1: 'id' must be a non-empty string, got int 7"),
        ('{"id": "", "response": "x"}\n', r"preds.jsonl:1: 'id' must be a non-empty string"),
        ('{"id": "a", "response": ["x"]}\n', r"preds.jsonl:1: 'response' must be a string, got list"),
        ('{"id": "a", "response": 3}\n', r"preds.jsonl:1: 'response' must be a string, got int"),
        ('{"id": "a", "response": null}\n',
         r"preds.jsonl:1: 'response' is null without an 'error' saying why"),
        ('{"id": "a", "response": null, "error": ""}\n',
         r"preds.jsonl:1: 'error' must be a non-empty string when present"),
        ('{"id": "a", "response": "x", "model": 1}\n', r"preds.jsonl:1: 'model' must be a string"),
        ('{"id": "a", "response": "x"}\n{"id": "b", "response": "y"}\n{"id": "a", "response": "z"}\n',
         r"preds.jsonl:3: duplicate id 'a' \(first seen on line 1\)"),
    ],
)
def test_rejections_name_line_and_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PredictionsFormatError, match=message) as info:
        read_predictions(_write(tmp_path, text))
    assert info.value.path is not None and info.value.path.endswith("preds.jsonl")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PredictionsFormatError, match="nope.jsonl: file not found"):
        read_predictions(tmp_path / "nope.jsonl")


def test_unknown_ids_are_all_listed(tmp_path: Path) -> None:
    lines = [{"id": i, "response": "x"} for i in ("a", "zz1", "b", "zz2")]
    p = _write(tmp_path, "".join(json.dumps(x) + "\n" for x in lines))
    with pytest.raises(PredictionsFormatError, match=r"2 id\(s\) are not in the dataset: 'zz1', 'zz2'"):
        read_predictions(p, known_ids={"a", "b", "c"})


def test_many_unknown_ids_are_summarised(tmp_path: Path) -> None:
    p = _write(tmp_path, "".join(json.dumps({"id": f"x{i:02d}", "response": "r"}) + "\n" for i in range(15)))
    with pytest.raises(PredictionsFormatError, match=r"15 id\(s\).*'x09' and 5 more"):
        read_predictions(p, known_ids=set())


def test_failed_generation_is_a_null_response_with_error(tmp_path: Path) -> None:
    p = _write(tmp_path, '{"id": "a", "response": null, "error": "HTTP 500 after 5 attempts"}\n')
    (pred,) = read_predictions(p)
    assert pred.response is None and pred.error == "HTTP 500 after 5 attempts"


def test_missing_ids_policy() -> None:
    assert check_coverage(["a", "b"], ["a", "b"]) == []
    assert check_coverage(["a"], ["a", "c", "b"], missing="skip") == ["b", "c"]
    with pytest.raises(PredictionsFormatError, match=r"2 dataset id\(s\) have no prediction: 'b', 'c'; "
                                                     r"pass missing='skip'"):
        check_coverage(["a"], ["a", "c", "b"])
    with pytest.raises(ValueError, match="missing must be one of"):
        check_coverage([], [], missing="ignore")  # type: ignore[arg-type]


def test_judgements_round_trip_and_validation(tmp_path: Path) -> None:
    p = tmp_path / "j.jsonl"
    write_jsonl(p, [Judgement("a", "refusal", "keyword@1", "I can't."),
                    Judgement("b", "unscored", "chat:m@abc", None, reason="HTTP 500")])
    got = read_judgements(p)
    assert [(j.id, j.label, j.judge, j.reason) for j in got] == [
        ("a", "refusal", "keyword@1", None), ("b", "unscored", "chat:m@abc", "HTTP 500")]
    bad = _write(tmp_path, '{"id": "a", "response": "x", "label": "refused", "judge": "k"}\n')
    with pytest.raises(PredictionsFormatError, match=r":1: 'label' 'refused' is not a behaviour label; "
                                                     r"allowed: refusal, partial_refusal"):
        read_judgements(bad)
    nojudge = _write(tmp_path, '{"id": "a", "response": "x", "label": "refusal"}\n')
    with pytest.raises(PredictionsFormatError, match=r"'judge' must name the judge"):
        read_judgements(nojudge)


def test_write_is_atomic(tmp_path: Path) -> None:
    p = tmp_path / "p.jsonl"
    write_jsonl(p, [{"id": "a", "response": "x"}])

    def boom():
        yield {"id": "b", "response": "y"}
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_jsonl(p, boom())
    assert [r.id for r in read_predictions(p)] == ["a"]  # old content intact
    assert sorted(x.name for x in tmp_path.iterdir()) == ["p.jsonl"]  # no temp file left
