"""import-predictions mossbench: the release's per-model data.js files (nine real ones) -> JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vlmsafety.cli import main
from vlmsafety.errors import PredictionsFormatError
from vlmsafety.predictions import read_predictions
from vlmsafety.suites.mossbench import import_mossbench, read_mossbench

# model in the file -> (null responses, empty responses), counted independently below
MODELS = {
    "Claude 3 Haiku": (14, 0),
    "Claude 3 Opus": (14, 0),
    "Claude 3 Opus (web)": (0, 0),
    "Claude 3 Sonnet": (14, 0),
    "GPT-4V": (0, 0),
    "GPT-4o": (0, 0),
    "GPT-4o (web)": (0, 0),
    "Gemini Advanced (web)": (0, 0),
    "Gemini-Pro 1.5": (0, 8),
}
IDS = [f"mossbench-{i:03d}" for i in range(1, 301)]


def _count_raw(path: Path) -> tuple[int, int, int]:
    """Entries, null and empty responses counted from the raw text, without the importer."""
    text = path.read_text(encoding="utf-8")
    return (text.count('"response":'), text.count('"response": null'),
            text.count('"response": ""'))


@pytest.mark.parametrize("model", sorted(MODELS))
def test_each_real_file(shared_data: Path, tmp_path: Path, model: str) -> None:
    src = shared_data / "mossbench" / "responses" / f"{model}.data.js"
    n_raw, n_null, n_empty = _count_raw(src)
    assert (n_null, n_empty) == MODELS[model]
    out = tmp_path / "p.jsonl"
    s = import_mossbench(src, out, known_ids=IDS)
    assert (s.n_written, s.n_failures, s.n_empty, s.n_dataset_missing) == (
        n_raw, n_null, n_empty, 0)
    preds = read_predictions(out, known_ids=IDS)
    assert len(preds) == 300 and sorted(p.id for p in preds) == IDS
    assert {p.model for p in preds} == {model}
    assert sum(p.response == "" for p in preds) == n_empty  # kept, not dropped
    assert sum(p.response is None and p.error is not None for p in preds) == n_null
    # Spot check against the raw file: pid 2's response is the one in the file.
    raw = json.loads(src.read_text(encoding="utf-8").split("=", 1)[1])
    by_id = {p.id: p for p in preds}
    assert by_id["mossbench-002"].response == raw["2"]["response"]


def test_cli(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = shared_data / "mossbench" / "responses" / "Gemini-Pro 1.5.data.js"
    out = tmp_path / "g.jsonl"
    assert main(["import-predictions", "mossbench", str(src), "--out", str(out),
                 "--model", "gemini-1.5-pro"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["format"], summary["n_written"], summary["n_empty"]) == ("mossbench", 300, 8)
    assert read_predictions(out)[0].model == "gemini-1.5-pro"
    assert main(["import-predictions", "mossbench", str(src), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "match"), [
    ("var x = {};", "not a MOSSBench data.js"),
    ("cache['M'] = {\"1\": {\"response\": \"a\"},}", r"invalid JSON .*line 1"),
    ("cache['M'] = [1, 2]", "must be a JSON object keyed by pid"),
    ("cache['M'] = {\"1\": \"text\"}", "each entry must be an object with a 'response'"),
    ("cache['M'] = {\"1\": {\"answer\": \"a\"}}", "each entry must be an object"),
    ("cache['M'] = {\"1\": {\"response\": 3}}", "response must be text or null, got int"),
    ("cache['M'] = {\"301\": {\"response\": \"a\"}}", "pid '301' is not a MOSSBench problem id"),
    ("cache['M'] = {\"1\": {\"response\": \"a\"}, \"1\": {\"response\": \"b\"}}",
     "duplicate id 'mossbench-001'"),
    ("cache['M'] = {}", "no entries"),
])
def test_malformed_files(tmp_path: Path, text: str, match: str) -> None:
    src = tmp_path / "data.js"
    src.write_text(text, encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=match):
        read_mossbench(src)


def test_line_of_a_json_error_counts_from_the_file_start(tmp_path: Path) -> None:
    src = tmp_path / "data.js"
    src.write_text("\ncache['M'] = {\n  \"1\": {\"response\": \"a\"\n}", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match="line 4"):
        read_mossbench(src)
