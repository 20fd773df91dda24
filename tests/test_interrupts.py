"""Issue 17 item 6: Ctrl-C says how many replies are cached and that a re-run resumes; SIGTERM
leaves no hidden temporary file beside the output. Subprocesses against a server on 127.0.0.1,
each bounded in time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.chat_server import ChatServer, Reply, chat_reply

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def _interrupt(argv: list[str], server: ChatServer, after: int, sig: int) -> tuple[int, str]:
    """Run ``vlmsafety ARGV``, send ``sig`` once the server has seen ``after`` requests."""
    proc = subprocess.Popen([sys.executable, "-m", "vlmsafety.cli", *argv], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: server.count >= after)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    return proc.returncode, err


def test_ctrl_c_in_generate_says_what_is_cached_and_how_to_resume(small_dual: Path,
                                                                  tmp_path: Path) -> None:
    def handler(req):  # type: ignore[no-untyped-def]
        return chat_reply("A reply.") if req.index < 3 else Reply(delay=60, body=b"")

    with ChatServer(handler) as server:  # 3 answered, the 4th hangs
        rc, err = _interrupt(
            ["generate", "--dataset", str(small_dual), "--config", "clean", "--out",
             str(tmp_path / "out.jsonl"), "--base-url", server.url, "--model", "m",
             "--concurrency", "1", "--cache", str(tmp_path / "c.sqlite")], server, 4,
            signal.SIGINT)
    assert rc == 130, err
    assert "interrupted" in err and "3 of 48 rows had a reply" in err, err
    assert "c.sqlite" in err and "Run the same command again to resume" in err
    assert not (tmp_path / "out.jsonl").exists()


def test_sigterm_leaves_no_hidden_temporary_file(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from vlmsafety.cli import sigterm_as_interrupt\n"
        "from vlmsafety.storage.files import atomic_write\n"
        "with sigterm_as_interrupt(), atomic_write(sys.argv[1]) as fh:\n"
        "    fh.write('partial')\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", script, str(out)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        assert any(p.name.startswith(".out.jsonl") for p in tmp_path.iterdir())
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143)])
def test_cli_turns_sigterm_into_a_clean_exit(sig: int, code: int, small_dual: Path,
                                             tmp_path: Path) -> None:
    with ChatServer(lambda req: Reply(delay=60, body=b"")) as server:
        rc, err = _interrupt(
            ["generate", "--dataset", str(small_dual), "--config", "clean", "--out",
             str(tmp_path / "out.jsonl"), "--base-url", server.url, "--model", "m",
             "--concurrency", "1", "--no-cache"], server, 1, sig)
    assert rc == code, err
    assert "interrupted: terminated (SIGTERM)" in err
    assert [p.name for p in tmp_path.iterdir()] == []


def test_ctrl_c_in_judge_says_what_is_cached(tmp_path: Path) -> None:
    import json

    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"id": str(i), "response": f"r{i}", "prompt": "q"}) + "\n"
                             for i in range(10)))

    def handler(req):  # type: ignore[no-untyped-def]
        return (chat_reply("Declines.\nVERDICT: REFUSAL") if req.index < 2
                else Reply(delay=60, body=b""))

    with ChatServer(handler) as server:
        rc, err = _interrupt(
            ["judge", "--predictions", str(preds), "--out", str(tmp_path / "j.jsonl"), "--judge",
             "chat", "--base-url", server.url, "--model", "m", "--concurrency", "1", "--cache",
             str(tmp_path / "c.sqlite")], server, 3, signal.SIGINT)
    assert rc == 130, err
    assert "2 new verdict(s) kept in the cache" in err and "c.sqlite" in err, err
    assert "run the same command again" in err and not (tmp_path / "j.jsonl").exists()
