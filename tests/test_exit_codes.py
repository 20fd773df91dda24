"""Exit codes say what happened (issue 25, item 6) and big or odd inputs are refused quickly
(item 7). Servers on 127.0.0.1 only; every case takes at most a few seconds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from chat_server import ChatServer, chat_reply, error_reply

from vlmsafety.cli import main
from vlmsafety.cli.judge import reason_kind
from vlmsafety.errors import InputDataError
from vlmsafety.predictions import read_predictions
from vlmsafety.storage.jsonl import iter_jsonl


def _preds(path: Path, n: int = 3, **extra: str) -> Path:
    path.write_text("".join(json.dumps({"id": f"r{i}", "response": "Sure.", **extra}) + "\n"
                            for i in range(n)), encoding="utf-8")
    return path


@pytest.mark.parametrize("reply", ["rejected", "unparsable"])
def test_judge_exits_1_when_every_verdict_is_unscored(
        reply: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def handler(req: object) -> object:
        return (error_reply(400, "content filter") if reply == "rejected"
                else chat_reply("I think it is fine."))

    out = tmp_path / "j.jsonl"
    with ChatServer(handler) as server:
        code = main(["judge", "--judge", "chat", "--base-url", server.url, "--model", "j",
                     "--no-cache", "--predictions", str(_preds(tmp_path / "p.jsonl")),
                     "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 1 and len(out.read_text().splitlines()) == 3  # written, and said so
    assert "every one of the 3 verdicts is unscored" in printed.err
    kind = "judge request failed" if reply == "rejected" else \
        "the last line is not 'VERDICT: <code>'"  # not cut inside its quote
    assert f"unscored because {kind!r}: 3" in printed.out


def test_judge_exits_0_when_something_was_judged(tmp_path: Path) -> None:
    with ChatServer(lambda req: chat_reply("ok\nVERDICT: REFUSAL")) as server:
        assert main(["judge", "--judge", "chat", "--base-url", server.url, "--model", "j",
                     "--no-cache", "--predictions", str(_preds(tmp_path / "p.jsonl")),
                     "--out", str(tmp_path / "j.jsonl")]) == 0


def test_reason_kind_keeps_quotes_whole() -> None:
    assert reason_kind("unknown verdict code 'a:b'; allowed: X") == "unknown verdict code 'a:b'"
    assert reason_kind("empty judge reply") == "empty judge reply"


def test_a_file_with_two_models_or_a_folder_is_refused(
        small_dual: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("".join(json.dumps({"id": i, "response": "No.", "model": m}) + "\n"
                             for i, m in (("violent_crimes-01-harmful", "a"),
                                          ("violent_crimes-01-benign", "b"))))
    base = ["evaluate", "--benchmark", "dual", "--dataset", str(small_dual), "--allow-missing",
            "--no-plots", "--n-boot", "0", "--out", str(tmp_path / "ev")]
    for given in (str(mixed), f"m={mixed}"):
        assert main([*base, "--predictions", given]) == 2
        err = capsys.readouterr().err
        assert "holds the responses of 2 models ('a', 'b')" in err and "one file per model" in err
    (tmp_path / "folder").mkdir()
    assert main([*base, "--predictions", str(tmp_path / "folder")]) == 2
    assert "is a folder; give the JSONL file in it" in capsys.readouterr().err
    assert not (tmp_path / "ev").exists()


def test_a_binary_or_blank_file_is_refused_quickly(
        small_dual: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`evaluate` on a 2 GB binary file (sparse: no disk used) took 20 s and 4.2 GB of memory;
    200 MB of blank lines took 49 s."""
    binary = tmp_path / "big.bin"
    with binary.open("wb") as fh:
        fh.truncate(2 << 30)
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n" * (200 << 20))
    base = ["evaluate", "--benchmark", "dual", "--dataset", str(small_dual), "--allow-missing",
            "--no-plots", "--n-boot", "0", "--out", str(tmp_path / "ev")]
    t0 = time.monotonic()
    assert main([*base, "--predictions", str(binary)]) == 2
    assert "this is a binary file" in capsys.readouterr().err
    assert main([*base, "--predictions", str(blank)]) == 2
    assert "the file has no lines" in capsys.readouterr().err
    with pytest.raises(InputDataError, match=r"big.bin:1: a NUL byte: this is a binary"):
        list(iter_jsonl(binary))
    assert time.monotonic() - t0 < 6
    monkeypatch.setattr("vlmsafety.storage.jsonl.MAX_LINE_BYTES", 2 << 20)  # 256 MiB by default
    long_line = tmp_path / "long.jsonl"
    long_line.write_bytes(b'{"id": "a"}\n{"id": "b", "response": "' + b"x" * (3 << 20))
    with pytest.raises(InputDataError, match="long.jsonl:2: a line longer than 2 MiB"):
        list(iter_jsonl(long_line))
    lines = tmp_path / "ok.jsonl"
    lines.write_bytes(b'\n\n{"id": "a", "response": "x"}\r\n' + b"\n" * (3 << 20)
                      + b'{"id": "b", "response": "y"}')
    assert [n for n, _ in iter_jsonl(lines)] == [3, 3 + (3 << 20) + 1]
    assert [p.id for p in read_predictions(lines)] == ["a", "b"]
