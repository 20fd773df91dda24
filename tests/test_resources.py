"""Resource limits and file modes (issue 25, items 7 and 8): a huge reply is refused without
being read whole, a damaged cache or a full disk is one line naming the file, a killed run's
temporaries are removed by the next run, and outputs honour the umask. Servers on 127.0.0.1."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chat_server import ChatServer, chat_reply

from vlmsafety.chat_client import ChatClient, RetryPolicy
from vlmsafety.cli import main
from vlmsafety.errors import CacheError
from vlmsafety.storage.cache import SQLiteCache
from vlmsafety.storage.files import atomic_write, remove_stale_temporaries, temp_prefix


def test_a_reply_over_the_cap_fails_without_being_read_whole(
        small_dual: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = "x" * (3 << 20)
    with ChatServer(lambda req: chat_reply(big if req.index % 3 == 2 else "short")) as server:
        client = ChatClient(server.url, "m", progress=False, max_consecutive_failures=0,
                            retry=RetryPolicy(max_attempts=2, max_reply_bytes=1 << 20))
        res = client.complete_many([[{"role": "user", "content": str(i)}] for i in range(3)])
        client.close()
        assert [r.ok for r in res] == [True, True, False]
        assert res[2].error is not None and "larger than 1 MiB (--max-reply-mb)" in res[2].error
        assert res[2].attempts == 1  # not retried: it would be as large again
        out = tmp_path / "p.jsonl"
        assert main(["generate", "--dataset", str(small_dual), "--limit", "3", "--endpoint",
                     server.url, "--model", "m", "--out", str(out), "--no-cache",
                     "--max-reply-mb", "1", "--max-consecutive-failures", "0"]) == 1
    errors = [json.loads(x).get("error") for x in out.read_text().splitlines()]
    assert sum("larger than 1 MiB" in (e or "") for e in errors) >= 1
    assert RetryPolicy().max_reply_bytes == 16 << 20


def test_a_damaged_cache_names_its_file_and_the_way_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.sqlite"
    with SQLiteCache(path) as cache:
        for i in range(200):
            cache.put(SQLiteCache.make_key(str(i)), {"text": "y" * 500})
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a damaged page
    path.write_bytes(bytes(data))
    for wal in tmp_path.glob("c.sqlite-*"):
        wal.unlink()
    with pytest.raises(CacheError, match=r"c.sqlite.*--no-cache, or delete the file"), \
            SQLiteCache(path) as cache:
        cache.get_many([SQLiteCache.make_key(str(i)) for i in range(200)])
        cache.put(SQLiteCache.make_key("new"), {"text": "z"})
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "a", "response": "Sure."}\n')
    with ChatServer(lambda req: chat_reply("ok\nVERDICT: REFUSAL")) as server:
        code = main(["judge", "--judge", "chat", "--base-url", server.url, "--model", "j",
                     "--cache", str(path), "--predictions", str(preds),
                     "--out", str(tmp_path / "j.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err and "--no-cache" in err and "Traceback" not in err


def test_a_full_disk_is_one_line_naming_the_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "a", "response": "I cannot help."}\n')

    def full(*args: object, **kwargs: object) -> object:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "j.jsonl"))

    monkeypatch.setattr("vlmsafety.storage.files.tempfile.mkstemp", full)
    assert main(["judge", "--predictions", str(preds), "--out", str(tmp_path / "j.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'j.jsonl'}: No space left on device" in err


def test_a_killed_runs_temporaries_are_removed_by_the_next_run(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)  # a process that has ended
    target = tmp_path / "out.jsonl"
    stale_file = tmp_path / f".out.jsonl.tmp-{pid}-abc"
    stale_dir = tmp_path / f".out.jsonl.building-{pid}-xyz"
    stale_dir.mkdir()
    (stale_dir / "part.parquet").write_bytes(b"x")
    stale_file.write_text("half")
    fresh = tmp_path / f".out.jsonl.tmp-{pid}-new"
    fresh.write_text("a dead run's, but from a moment ago")
    mine = tmp_path / f"{temp_prefix(target)}live"
    mine.write_text("this process's own")
    others = [tmp_path / ".other.jsonl.tmp-1-abc", tmp_path / "notes.txt"]
    for p in others:
        p.write_text("not ours to remove")
    old = time.time() - 3600
    for p in (stale_file, stale_dir):
        os.utime(p, (old, old))
    with atomic_write(target) as fh:
        fh.write("done\n")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([fresh.name, mine.name, "out.jsonl", *(p.name for p in others)])
    assert remove_stale_temporaries(target) == []


@pytest.mark.parametrize("mask", [0o022, 0o002])
def test_outputs_honour_the_umask(mask: int, small_dual: Path, tmp_path: Path) -> None:
    previous = os.umask(mask)
    try:
        preds = tmp_path / "p.jsonl"
        preds.write_text('{"id": "violent_crimes-01-harmful", "response": "No."}\n')
        assert main(["judge", "--predictions", str(preds), "--out", str(tmp_path / "j.jsonl")]) == 0
        assert main(["evaluate", "--benchmark", "dual", "--dataset", str(small_dual),
                     "--predictions", f"m={preds}", "--allow-missing", "--no-plots",
                     "--n-boot", "0", "--out", str(tmp_path / "ev")]) == 0
        from vlmsafety.suites.dual.builder import build_dual, sample_items

        parts = [build_dual(sample_items()[:2], tmp_path / f"p{i}", shard=f"{i}/2",
                            image_size=(128, 128), perturbations=["jpeg"], severities=[1],
                            progress=False) for i in range(2)]
        assert main(["build", "merge", *map(str, parts), "--out", str(tmp_path / "m")]) == 0
    finally:
        os.umask(previous)
    for path in (tmp_path / "j.jsonl", tmp_path / "ev" / "results.json"):
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask, path
    for folder in (tmp_path / "ev", parts[0], tmp_path / "m", tmp_path / "m" / "data"):
        assert folder.stat().st_mode & 0o777 == 0o777 & ~mask, folder
