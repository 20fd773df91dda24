"""A lone surrogate never crashes a run (issue 25, item 4).

``"\\ud800"`` is legal JSON but no text UTF-8 can hold. The rule, at every reader and writer: it
is replaced by U+FFFD and counted (a ``UnicodeWarning`` per file). Servers on 127.0.0.1 only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_server import ChatServer, Request, raw_reply

from vlmsafety.annotation import Session, load_annotation_set
from vlmsafety.cli import main
from vlmsafety.human_labels import read_human_labels
from vlmsafety.predictions import read_predictions
from vlmsafety.storage.cache import SQLiteCache

IDS = ("violent_crimes-01-harmful", "violent_crimes-01-benign")


def lone(req: Request) -> object:
    """A reply whose content holds an escaped lone surrogate (legal JSON)."""
    body = ('{"choices": [{"index": 0, "finish_reason": "stop", "message": {"role": '
            '"assistant", "content": "I will not help \\ud800\\nVERDICT: REFUSAL"}}]}')
    return raw_reply(body)


def test_generate_and_chat_judge_finish_and_resume(small_dual: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out, cache = tmp_path / "p.jsonl", tmp_path / "c.sqlite"
    with ChatServer(lone) as server:
        argv = ["generate", "--dataset", str(small_dual), "--limit", "2", "--endpoint",
                server.url, "--model", "m", "--out", str(out), "--cache", str(cache)]
        assert main(argv) == 0
        assert "generate: warning: a reply held lone surrogate(s)" in capsys.readouterr().err
        sent = server.count
        assert main([*argv, "--overwrite"]) == 0  # the re-run reads every reply from the cache
        assert server.count == sent
        lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
        assert all(r["response"] == "I will not help \ufffd\nVERDICT: REFUSAL" for r in lines)
        judged = tmp_path / "j.jsonl"
        assert main(["judge", "--judge", "chat", "--base-url", server.url, "--model", "j",
                     "--predictions", str(out), "--out", str(judged),
                     "--cache", str(tmp_path / "j.sqlite")]) == 0
    assert [json.loads(x)["label"] for x in judged.read_text().splitlines()] == ["refusal"] * 4


def test_a_predictions_file_with_a_lone_surrogate(small_dual: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "m.jsonl"
    preds.write_text("".join(
        f'{{"id": "{i}", "response": "No \\ud800 way \\udfff", "label": "refusal", '
        f'"judge": "fake@1"}}\n' for i in IDS), encoding="utf-8")
    with pytest.warns(UnicodeWarning, match=r"m.jsonl: 4 lone surrogate\(s\).*first on line 1"):
        got = read_predictions(preds)
    assert [p.response for p in got] == ["No \ufffd way \ufffd"] * 2
    assert main(["judge", "--predictions", str(preds), "--out", str(tmp_path / "j.jsonl")]) == 0
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(small_dual),
                 "--predictions", f"m={preds}", "--allow-missing", "--no-plots",
                 "--n-boot", "0", "--out", str(tmp_path / "ev")]) == 0
    err = capsys.readouterr().err
    for command in ("judge", "evaluate"):  # one line each, naming the file and the count
        assert f"vlmsafety {command}: warning: {preds}: 4 lone surrogate(s)" in err, err
    with pytest.warns(UnicodeWarning):
        aset = load_annotation_set(small_dual, [preds], n=2, seed=0)
    session = Session(aset, tmp_path / "h.jsonl", "ann")
    current = session.current()
    assert current is not None and session.answer(current, "label", "refusal",
                                                  note="odd \udc00 note")
    assert next(iter(read_human_labels(tmp_path / "h.jsonl"))).note == "odd \ufffd note"


def test_the_cache_and_keys_take_a_lone_surrogate(tmp_path: Path) -> None:
    with SQLiteCache(tmp_path / "c.sqlite") as cache:
        key = SQLiteCache.make_key("a\ud800")
        cache.put(key, {"text": "b\udfff"})
        assert cache.get(key) == {"text": "b\ufffd"}
