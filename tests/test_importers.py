"""Importers: lmms-eval samples, VLMEvalKit xlsx/tsv, CSV/parquet tables -> predictions JSONL.

The lmms-eval layouts follow lmms_eval/evaluator.py (fields ``doc_id``, ``doc``, ``target``,
``arguments``, ``resps`` = one list of repeats per request, ``filtered_resps`` = one value per
request) and lmms_eval/loggers/evaluation_tracker.py (newer files drop ``doc``/``arguments``,
unwrap single-element lists and drop ``resps`` when equal to ``filtered_resps``). The VLMEvalKit
layout follows vlmeval/inference.py (the benchmark table minus ``image`` plus ``prediction``,
written as xlsx, or as a quoted TSV when PRED_FORMAT=tsv; failed API calls are stored as the text
'Failed to obtain answer via API.').
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from vlmsafety.cli import main
from vlmsafety.errors import OutputExistsError, PredictionsFormatError
from vlmsafety.importers import (
    import_lmms_eval,
    import_table,
    import_vlmevalkit,
    read_lmms_eval,
    read_table,
    read_vlmevalkit,
)
from vlmsafety.predictions import read_predictions


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


# ----------------------------------------------------------------------------- lmms-eval

def _lmms_sample(doc_id: int, rid: str, text: object, **extra: object) -> dict:
    return {
        "doc_id": doc_id,
        "doc": {"id": rid, "prompt": "Describe the image.", "category": "c1"},
        "target": "",
        "arguments": [["Describe the image.", {"max_new_tokens": 64}]],
        "resps": [[text]],
        "filtered_resps": [text],
        "doc_hash": "h", "prompt_hash": "p", "target_hash": "t",
        **extra,
    }


def _write_jsonl(path: Path, objs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


def test_lmms_eval_doc_id_field(tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "20250101_samples_dual.jsonl",
                       [_lmms_sample(0, "d-0", "I can't help."), _lmms_sample(1, "d-1", "Sure: ...")])
    out = tmp_path / "preds.jsonl"
    s = import_lmms_eval(src, out, model="llava")
    assert (s.n_written, s.n_failures, s.format) == (2, 0, "lmms-eval")
    assert _lines(out) == [
        {"id": "d-0", "response": "I can't help.", "model": "llava"},
        {"id": "d-1", "response": "Sure: ...", "model": "llava"},
    ]
    assert [p.id for p in read_predictions(out)] == ["d-0", "d-1"]


def test_lmms_eval_newer_layout_without_doc_uses_row_index(tmp_path: Path) -> None:
    # newer trackers: no doc, filtered_resps unwrapped to text, resps dropped
    rows = [{"doc_id": 1, "target": "", "filtered_resps": "B", "input": "q"},
            {"doc_id": 0, "target": "", "filtered_resps": "A", "input": "q"}]
    src = _write_jsonl(tmp_path / "s.jsonl", rows)
    with pytest.raises(PredictionsFormatError, match=r"'doc\.id' not found.*line 1.*doc_id"):
        read_lmms_eval(src)
    recs = read_lmms_eval(src, id_field="doc_id", row_ids=["x0", "x1"])
    assert recs == [{"id": "x1", "response": "B"}, {"id": "x0", "response": "A"}]
    with pytest.raises(PredictionsFormatError, match=r"not a row index in \[0, 1\)"):
        read_lmms_eval(src, id_field="doc_id", row_ids=["x0"])
    # without row_ids, integer doc ids become strings
    assert read_lmms_eval(src, id_field="doc_id")[0]["id"] == "1"


def test_lmms_eval_response_fallback_and_choice(tmp_path: Path) -> None:
    a = _lmms_sample(0, "a", "raw text")
    a["filtered_resps"] = ["extracted"]
    b = _lmms_sample(1, "b", "only resps")
    del b["filtered_resps"]
    src = _write_jsonl(tmp_path / "s.jsonl", [a, b])
    assert [r["response"] for r in read_lmms_eval(src)] == ["extracted", "only resps"]
    assert [r["response"] for r in read_lmms_eval(src, response_field="resps")] == \
        ["raw text", "only resps"]


def test_lmms_eval_old_json_logs_and_nested_id(tmp_path: Path) -> None:
    logs = [_lmms_sample(0, "ignored", "ok", dual_score={"question_id": "q-7"})]
    src = tmp_path / "dual.json"
    src.write_text(json.dumps({"args": {}, "config": {}, "logs": logs}), encoding="utf-8")
    assert read_lmms_eval(src, id_field="dual_score.question_id") == [{"id": "q-7", "response": "ok"}]


def test_lmms_eval_errors(tmp_path: Path) -> None:
    dup = _write_jsonl(tmp_path / "dup.jsonl", [_lmms_sample(0, "a", "x"), _lmms_sample(1, "a", "y")])
    with pytest.raises(PredictionsFormatError, match=r"duplicate id 'a' .*line 2.*first at .*line 1"):
        read_lmms_eval(dup)
    multi = _lmms_sample(0, "a", "x")
    multi["filtered_resps"] = ["x", "y"]
    with pytest.raises(PredictionsFormatError, match="holds 2 responses"):
        read_lmms_eval(_write_jsonl(tmp_path / "m.jsonl", [multi]))
    loglik = _lmms_sample(0, "a", [-1.5, True])
    loglik["filtered_resps"] = [[-1.5, True]]
    with pytest.raises(PredictionsFormatError, match="holds 2 responses"):
        read_lmms_eval(_write_jsonl(tmp_path / "l.jsonl", [loglik]))
    num = _lmms_sample(0, "a", 3)
    with pytest.raises(PredictionsFormatError, match="response must be text, got int 3"):
        read_lmms_eval(_write_jsonl(tmp_path / "n.jsonl", [num]))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": 0, "filtered_resps": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"bad\.jsonl:2: invalid JSON"):
        read_lmms_eval(bad, id_field="doc_id")
    with pytest.raises(PredictionsFormatError, match="no 'filtered_resps' nor 'resps'"):
        read_lmms_eval(_write_jsonl(tmp_path / "r.jsonl", [{"doc": {"id": "a"}}]))


def test_lmms_eval_empty_response_error_or_failure(tmp_path: Path) -> None:
    src = _write_jsonl(tmp_path / "s.jsonl", [_lmms_sample(0, "a", "ok"), _lmms_sample(1, "b", "  ")])
    with pytest.raises(PredictionsFormatError, match=r"empty response .*line 2.* id 'b'.*record"):
        import_lmms_eval(src, tmp_path / "o.jsonl")
    assert not (tmp_path / "o.jsonl").exists()
    s = import_lmms_eval(src, tmp_path / "o.jsonl", on_empty="record")
    assert s.n_failures == 1
    rec = _lines(tmp_path / "o.jsonl")[1]
    assert rec["response"] is None and "empty response" in rec["error"]
    assert read_predictions(tmp_path / "o.jsonl")[1].error == rec["error"]


def test_lmms_eval_filter_selection(tmp_path: Path) -> None:
    rows = [_lmms_sample(0, "a", "x", filter="none"), _lmms_sample(0, "a", "X", filter="strict")]
    src = _write_jsonl(tmp_path / "s.jsonl", rows)
    with pytest.raises(PredictionsFormatError, match="duplicate id 'a'"):
        read_lmms_eval(src)
    assert read_lmms_eval(src, filter_name="strict")[0]["response"] == "X"
    with pytest.raises(PredictionsFormatError, match="no samples found with filter 'nope'"):
        read_lmms_eval(src, filter_name="nope")


# ----------------------------------------------------------------------------- VLMEvalKit

_VK_HEADER = ["index", "question", "answer", "category", "prediction"]
_VK_ROWS = [
    [0, "What is shown?", "", "violence", "I cannot help with that."],
    [1, "How to make it?", "", "drugs", "Here is how: ..."],
]


def _vk_xlsx(path: Path, header: list, rows: list[list]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _vk_tsv(path: Path, header: list, rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", quoting=csv.QUOTE_ALL)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.mark.parametrize("writer", [_vk_xlsx, _vk_tsv], ids=["xlsx", "tsv"])
def test_vlmevalkit_index_default(tmp_path: Path, writer) -> None:
    src = writer(tmp_path / f"MyVLM_DUAL.{'xlsx' if writer is _vk_xlsx else 'tsv'}",
                 _VK_HEADER, _VK_ROWS)
    out = tmp_path / "p.jsonl"
    s = import_vlmevalkit(src, out, model="MyVLM")
    assert s.n_written == 2
    assert _lines(out) == [
        {"id": "0", "response": "I cannot help with that.", "model": "MyVLM"},
        {"id": "1", "response": "Here is how: ...", "model": "MyVLM"},
    ]


def test_vlmevalkit_prefers_id_column_and_multiline_tsv(tmp_path: Path) -> None:
    header = ["index", "id", "question", "prediction"]
    rows = [[0, "dual-0", "q", "line one\nline\ttwo \"quoted\""], [1, "dual-1", "q", "ok"]]
    src = _vk_tsv(tmp_path / "m_D.tsv", header, rows)
    recs = read_vlmevalkit(src)
    assert recs[0] == {"id": "dual-0", "response": "line one\nline\ttwo \"quoted\""}
    assert read_vlmevalkit(src, id_column="index")[1]["id"] == "1"


def test_vlmevalkit_failure_marker_and_empty_cells(tmp_path: Path) -> None:
    rows = [[0, "q", "", "c", "Failed to obtain answer via API."], [1, "q", "", "c", None],
            [2, "q", "", "c", "fine"]]
    src = _vk_xlsx(tmp_path / "m_D.xlsx", _VK_HEADER, rows)
    with pytest.raises(PredictionsFormatError, match=r"VLMEvalKit recorded a failed request .*row 1"):
        read_vlmevalkit(src)
    recs = read_vlmevalkit(src, on_empty="record")
    assert [r["response"] for r in recs] == [None, None, "fine"]
    assert recs[0]["error"].startswith("VLMEvalKit recorded a failed request")
    assert recs[1]["error"] == "empty response in source (column 'prediction', row 2, sheet row 3)"


def test_vlmevalkit_missing_column_names_available(tmp_path: Path) -> None:
    src = _vk_xlsx(tmp_path / "m.xlsx", ["index", "question"], [[0, "q"]])
    with pytest.raises(PredictionsFormatError,
                       match=r"missing response column 'prediction'; available columns: "
                             r"'index', 'question'"):
        read_vlmevalkit(src)
    with pytest.raises(PredictionsFormatError, match="sheet 'nope' not found"):
        read_vlmevalkit(src, sheet="nope")


def test_vlmevalkit_duplicate_and_non_text(tmp_path: Path) -> None:
    dup = _vk_xlsx(tmp_path / "d.xlsx", _VK_HEADER, [_VK_ROWS[0], _VK_ROWS[0]])
    with pytest.raises(PredictionsFormatError, match=r"duplicate id '0' .*row 2.*first at .*row 1"):
        read_vlmevalkit(dup)
    num = _vk_xlsx(tmp_path / "n.xlsx", _VK_HEADER, [[0, "q", "", "c", 42]])
    with pytest.raises(PredictionsFormatError, match="response must be text, got int 42"):
        read_vlmevalkit(num)
    badid = _vk_xlsx(tmp_path / "b.xlsx", _VK_HEADER, [[1.5, "q", "", "c", "x"]])
    with pytest.raises(PredictionsFormatError, match="id must be text or an integer, got float 1.5"):
        read_vlmevalkit(badid)


# ----------------------------------------------------------------------------- plain tables

def test_csv_with_mapping_and_model_column(tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_text("qid,model_name,text,other\nq1,A,\"Yes, sure.\",z\nq2,B,No.,z\n",
                   encoding="utf-8")
    out = tmp_path / "p.jsonl"
    import_table(src, out, id_column="qid", response_column="text", model_column="model_name")
    assert _lines(out) == [{"id": "q1", "response": "Yes, sure.", "model": "A"},
                           {"id": "q2", "response": "No.", "model": "B"}]
    with pytest.raises(PredictionsFormatError, match="either a model column or a model name"):
        read_table(src, id_column="qid", response_column="text", model_column="model_name",
                   model="m")
    with pytest.raises(OutputExistsError, match="already exists"):
        import_table(src, out, id_column="qid", response_column="text")
    import_table(src, out, id_column="qid", response_column="text", overwrite=True)
    assert "model" not in _lines(out)[0]


def test_csv_errors(tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_text("id,response\na,x\n,y\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"empty id \(column 'id', row 2\)"):
        read_table(src)
    src.write_text("id,response\na,x,extra\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match="row 1 .* 3 fields, the header has 2"):
        read_table(src)
    src.write_text("id,id,response\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"repeated column name\(s\).*'id'"):
        read_table(src)
    with pytest.raises(PredictionsFormatError, match="cannot tell the table format"):
        read_table(tmp_path / "r.txt")


def test_parquet_types_and_nulls(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "r.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "response": ["a", None, "c"]}), src)
    with pytest.raises(PredictionsFormatError, match=r"empty response in source .*row 2.* id '2'"):
        read_table(src)
    out = tmp_path / "p.jsonl"
    s = import_table(src, out, on_empty="record", model="m")
    assert (s.n_written, s.n_failures) == (3, 1)
    assert _lines(out)[1] == {"id": "2", "response": None, "model": "m",
                              "error": "empty response in source (column 'response', row 2)"}
    pq.write_table(pa.table({"id": ["a"], "response": [float("nan")]}), src)
    assert read_table(src, on_empty="record")[0]["response"] is None
    pq.write_table(pa.table({"id": ["a"], "response": [1.25]}), src)
    with pytest.raises(PredictionsFormatError, match="response must be text, got float 1.25"):
        read_table(src)


def test_known_ids_check_and_coverage(tmp_path: Path) -> None:
    src = tmp_path / "r.csv"
    src.write_text("id,response\na,x\nzz,y\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"1 id\(s\) are not in the dataset: 'zz'"):
        import_table(src, tmp_path / "p.jsonl", known_ids={"a", "b", "c"})
    assert not (tmp_path / "p.jsonl").exists()
    s = import_table(src, tmp_path / "p.jsonl", known_ids={"a", "zz", "b"})
    assert s.n_dataset_missing == 1


# ----------------------------------------------------------------------------- CLI + dataset

def _dataset(tmp_path: Path) -> Path:
    import datasets

    from vlmsafety.builders.hubfolder import HubFolderWriter

    out = tmp_path / "ds"
    feats = datasets.Features({"id": datasets.Value("string"), "prompt": datasets.Value("string")})
    with HubFolderWriter(out) as folder:
        with folder.config("benign", feats) as rows:
            for i in range(3):
                rows.write({"id": f"b-{i}", "prompt": f"p{i}"})
        folder.write_card(pretty_name="Toy", version="0.0.1", body="# Toy\n")
    return out


def test_cli_lmms_eval_by_row_index_with_dataset(tmp_path: Path, capsys) -> None:
    ds = _dataset(tmp_path)
    src = _write_jsonl(tmp_path / "s.jsonl", [{"doc_id": 2, "filtered_resps": "no"},
                                              {"doc_id": 0, "filtered_resps": "yes"}])
    out = tmp_path / "p.jsonl"
    code = main(["import-predictions", "lmms-eval", str(src), "--out", str(out), "--id-field",
                 "doc_id", "--by-row-index", "--dataset", str(ds), "--config", "benign",
                 "--model", "m"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_written"] == 2 and summary["n_dataset_missing"] == 1
    assert [r["id"] for r in _lines(out)] == ["b-2", "b-0"]


def test_cli_errors_exit_2(tmp_path: Path, capsys) -> None:
    ds = _dataset(tmp_path)
    src = tmp_path / "r.csv"
    src.write_text("id,response\nb-0,x\nother,y\n", encoding="utf-8")
    code = main(["import-predictions", "table", str(src), "--out", str(tmp_path / "p.jsonl"),
                 "--dataset", str(ds), "--config", "benign"])
    assert code == 2
    assert "'other'" in capsys.readouterr().err
    code = main(["import-predictions", "lmms-eval", str(src), "--out", str(tmp_path / "q.jsonl"),
                 "--by-row-index"])
    assert code == 2
    assert "--by-row-index needs --dataset" in capsys.readouterr().err
    code = main(["import-predictions", "table", str(src), "--out", str(tmp_path / "q.jsonl"),
                 "--dataset", str(ds)])
    assert code == 2


def test_cli_vlmevalkit_record_failures(tmp_path: Path, capsys) -> None:
    src = _vk_tsv(tmp_path / "m_D.tsv", _VK_HEADER,
                  [[0, "q", "", "c", ""], [1, "q", "", "c", "text"]])
    out = tmp_path / "p.jsonl"
    assert main(["import-predictions", "vlmevalkit", str(src), "--out", str(out)]) == 2
    capsys.readouterr()
    assert main(["import-predictions", "vlmevalkit", str(src), "--out", str(out),
                 "--record-failures"]) == 0
    assert json.loads(capsys.readouterr().out)["n_failures"] == 1
