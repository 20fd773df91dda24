"""Bad input files get one clear error, never a traceback (issue 17, item 4)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from vlmsafety.cli import main
from vlmsafety.errors import DatasetNotFoundError, PredictionsFormatError
from vlmsafety.generate import generate
from vlmsafety.predictions import read_judgements, read_predictions

SHARD = "data/clean/test-00000-of-00001.parquet"


@pytest.fixture
def folder(small_dual: Path) -> Path:
    return small_dual


@pytest.fixture
def truncated(folder: Path, tmp_path: Path) -> Path:
    bad = tmp_path / "dual"
    shutil.copytree(folder, bad)
    data = (bad / SHARD).read_bytes()
    (bad / SHARD).write_bytes(data[: len(data) // 2])
    return bad


def good_preds(folder: Path, path: Path) -> Path:
    ids = pq.read_table(folder / SHARD, columns=["id"]).column("id").to_pylist()
    path.write_text("".join(json.dumps({"id": i, "response": "I can't."}) + "\n" for i in ids))
    return path


def test_evaluate_names_the_truncated_shard(folder: Path, truncated: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    preds = good_preds(folder, tmp_path / "m.jsonl")
    rc = main(["evaluate", "--benchmark", "dual", "--dataset", str(truncated), "--predictions",
               str(preds), "--out", str(tmp_path / "res"), "--allow-missing", "--no-plots",
               "--n-boot", "0"])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert SHARD in err and "Parquet magic bytes not found" in err and "truncated" in err
    assert "Traceback" not in err and not (tmp_path / "res").exists()


def test_generate_names_the_truncated_shard_and_the_cause(truncated: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as err:
        generate(truncated, out=tmp_path / "p.jsonl", base_url="http://127.0.0.1:9", model="m",
                 progress=False)
    msg = str(err.value)
    assert "config 'clean'" in msg and SHARD in msg and "Parquet magic bytes not found" in msg
    assert not (tmp_path / "p.jsonl").exists()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, format="PNG")
    return buf.getvalue()


def _parquet(path: Path) -> None:
    pq.write_table(pa.table({"id": ["a"], "response": ["x"]}), path)


@pytest.mark.parametrize("name, make, said", [
    ("p.parquet", _parquet, "this is a parquet file, not a JSON Lines file"),
    ("p.png", lambda p: p.write_bytes(_png()), "this is a PNG image, not a JSON Lines file"),
    ("p.jsonl", lambda p: p.write_bytes('{"id": "a", "response": "caf\u00e9"}\n'.encode("latin-1")),
     "p.jsonl:1: not UTF-8 text: byte 0xe9 at column 29"),
    ("p.csv", lambda p: p.write_text("id,response\na,hi\n"),
     ("looks like a CSV/TSV table (first line 'id,response'); convert it with "
      "`vlmsafety import-predictions`")),
    ("p.json", lambda p: p.write_text('[\n {"id": "a", "response": "x"}\n]\n'),
     ("looks like one JSON array, not JSON Lines (one object per line); convert it with "
      "`vlmsafety import-predictions`")),
    ("q.json", lambda p: p.write_text('[{"id": "a", "response": "x"}]\n'),
     "expected a JSON object, got list -- the file looks like one JSON array"),
    ("empty.jsonl", lambda p: p.write_text("\n\n"), "the file has no lines"),
])
def test_judge_and_evaluate_explain_a_file_that_is_not_predictions(
        name: str, make: object, said: str, folder: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    with pytest.raises(PredictionsFormatError) as err:
        read_predictions(path)
    assert said in str(err.value)
    if name == "p.parquet":
        assert "import-predictions" in str(err.value)
    out = tmp_path / "judged.jsonl"
    assert main(["judge", "--predictions", str(path), "--out", str(out)]) == 2
    text = capsys.readouterr().err
    assert said in text and "Traceback" not in text and not out.exists()
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(folder), "--predictions",
                 str(path), "--out", str(tmp_path / "res"), "--judge", "keyword",
                 "--no-plots", "--n-boot", "0"]) == 2
    text = capsys.readouterr().err
    assert said in text and "Traceback" not in text and not (tmp_path / "res").exists()


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + b'{"id": "a", "response": "x", "label": "refusal", '
                  b'"judge": "me"}\n{"id": "b", "response": "y", "label": "refusal", '
                  b'"judge": "me"}\n')
    assert [r.id for r in read_predictions(p)] == ["a", "b"]
    assert [r.id for r in read_judgements(p)] == ["a", "b"]


def test_judge_on_an_empty_file_is_an_error_not_zero_lines(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "empty.jsonl"
    p.write_text("")
    out = tmp_path / "judged.jsonl"
    assert main(["judge", "--predictions", str(p), "--out", str(out)]) == 2
    assert "has no lines" in capsys.readouterr().err and not out.exists()
