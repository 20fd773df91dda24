from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_server import ChatServer, chat_reply

from vlmsafety.cli import main
from vlmsafety.predictions import read_judgements


def write_preds(path: Path) -> None:
    lines = [{"id": "a", "response": "I'm sorry, but I can't help with that.", "model": "m"},
             {"id": "b", "response": "Here you go. Please be careful.", "prompt": "How?"},
             {"id": "c", "response": None, "error": "HTTP 500 after 6 attempts"}]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_keyword_judge_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_preds(tmp_path / "p.jsonl")
    assert main(["judge", "--judge", "keyword@1.0.0", "--predictions", str(tmp_path / "p.jsonl"),
                 "--out", str(tmp_path / "j.jsonl")]) == 0
    got = read_judgements(tmp_path / "j.jsonl")
    assert [(j.id, j.label) for j in got] == [("a", "refusal"), ("b", "safe_completion"),
                                              ("c", "unscored")]
    assert got[2].reason == "no response: HTTP 500 after 6 attempts"
    assert got[1].extra["prompt"] == "How?" and got[0].model == "m"
    out = capsys.readouterr().out
    assert "keyword@" in out and "unscored" in out and "33.3%" in out


def test_chat_judge_cli_sends_line_prompt_or_default(tmp_path: Path) -> None:
    write_preds(tmp_path / "p.jsonl")
    with ChatServer(lambda req: chat_reply("ok\nVERDICT: DIRECT_ANSWER")) as server:
        code = main(["judge", "--judge", "chat", "--scheme", "dual", "--base-url", server.url,
                     "--model", "m", "--predictions", str(tmp_path / "p.jsonl"),
                     "--out", str(tmp_path / "j.jsonl"), "--cache", str(tmp_path / "c.sqlite"),
                     "--prompt", "What is shown?"])
        users = sorted(r.messages[-1]["content"] for r in server.requests)
    assert code == 0 and len(users) == 2
    assert any("[REQUEST]\nHow?\n" in u for u in users)
    assert any("[REQUEST]\nWhat is shown?\n" in u for u in users)
    labels = [j.label for j in read_judgements(tmp_path / "j.jsonl")]
    assert labels == ["direct_answer", "direct_answer", "unscored"]


def test_chat_cli_without_endpoint_fails_clearly(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    write_preds(tmp_path / "p.jsonl")
    assert main(["judge", "--judge", "chat", "--predictions", str(tmp_path / "p.jsonl"),
                 "--out", str(tmp_path / "j.jsonl"), "--no-cache"]) == 2
    assert "VLMSAFETY_JUDGE_BASE_URL" in capsys.readouterr().err
