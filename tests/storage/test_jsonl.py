"""One JSONL reader and writer (vlmsafety.storage.jsonl), and the readers built on it."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from vlmsafety.errors import (
    CorpusError,
    InputDataError,
    PredictionsFormatError,
    SourceDataError,
)
from vlmsafety.storage.jsonl import iter_jsonl, parse_jsonl, write_jsonl


def test_round_trip_skips_blank_lines_and_accepts_a_bom(tmp_path: Path) -> None:
    p = tmp_path / "a.jsonl"
    write_jsonl(p, ({"id": str(i), "text": "é"} for i in range(3)))
    assert [n for n, _ in iter_jsonl(p)] == [1, 2, 3]
    p.write_bytes(codecs.BOM_UTF8 + b'{"id": "a"}\n\n  \n{"id": "b"}\n')
    assert list(iter_jsonl(p)) == [(1, {"id": "a"}), (4, {"id": "b"})]
    assert list(parse_jsonl(["\ufeff{\"id\": 1}", "", "{}"])) == [(1, {"id": 1}), (3, {})]


@pytest.mark.parametrize(("data", "message"), [
    (b'{"id": "a"}\n{"id": }\n', r"x\.jsonl:2: invalid JSON: Expecting value \(column 8\)"),
    (b'{"id": "a"}\n[1, 2]\n', r"x\.jsonl:2: expected a JSON object, got list"),
    (b'{"id": "caf\xe9"}\n', r"x\.jsonl:1: not UTF-8 text: byte 0xe9 at column 12"),
])
def test_bad_lines_name_the_file_and_line(tmp_path: Path, data: bytes, message: str) -> None:
    p = tmp_path / "x.jsonl"
    p.write_bytes(data)
    with pytest.raises(InputDataError, match=message):
        list(iter_jsonl(p))


def test_the_caller_chooses_the_error_and_the_first_line_hint(tmp_path: Path) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(SourceDataError, match=r"^line 1: invalid JSON.* -- CSV\?$"):
        list(iter_jsonl(p, error=lambda m, n: SourceDataError(f"line {n}: {m}"),
                        first_line_hint=lambda line: " -- CSV?"))
    with pytest.raises(SourceDataError, match=r"^None: file not found$"):
        list(iter_jsonl(tmp_path / "missing.jsonl",
                        error=lambda m, n: SourceDataError(f"{n}: {m}")))


def test_every_jsonl_reader_uses_the_shared_rules(tmp_path: Path) -> None:
    """Predictions, corpora, lmms-eval samples and DUAL instruction lists report a bad line the
    same way, each with its own error class."""
    from vlmsafety.corpora import load_corpus
    from vlmsafety.importers import read_lmms_eval
    from vlmsafety.predictions import read_predictions
    from vlmsafety.suites.dual.builder import read_instruction_list

    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'\n{"id": }\n{"id": "a", "response": "x", "label": "refusal"}\n')
    expected = r"bad\.jsonl:2: invalid JSON: Expecting value \(column 8\)"
    with pytest.raises(PredictionsFormatError, match=expected):
        read_predictions(p)
    with pytest.raises(PredictionsFormatError, match=expected):
        read_lmms_eval(p, id_field="id")
    with pytest.raises(SourceDataError, match=expected):
        read_instruction_list(p)
    with pytest.raises(CorpusError, match=expected):
        load_corpus(p)
