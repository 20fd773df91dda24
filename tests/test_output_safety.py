"""Every command that writes refuses to clobber (issue 17, item 2): an existing output needs
--overwrite, an input is never written over, and writes are atomic (nothing half-written, no
temporary left behind, also after SIGTERM)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from chat_server import ChatServer, chat_reply

from vlmsafety.builders.hubfolder import HubFolderWriter
from vlmsafety.cli import main
from vlmsafety.errors import OutputExistsError, VLMSafetyError
from vlmsafety.generate import generate
from vlmsafety.storage.files import (
    atomic_path,
    atomic_write,
    check_output,
    check_output_folder,
    same_path,
)
from vlmsafety.suites.vsc.builder import build_vsc

ROOT = Path(__file__).resolve().parents[1]
PREDS = "".join(json.dumps({"id": f"a{i}", "response": "I can't help with that."}) + "\n"
                for i in range(3))


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_judge_refuses_an_existing_out_and_never_writes_over_its_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "a.jsonl"
    preds.write_text(PREDS)
    other = tmp_path / "other.jsonl"
    other.write_text("keep me\n")
    base = ["judge", "--predictions", str(preds)]
    assert main([*base, "--out", str(other)]) == 2
    assert "already exists" in capsys.readouterr().err and other.read_text() == "keep me\n"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    for same in (str(preds), "a.jsonl", "sub/../a.jsonl"):
        assert main([*base, "--out", same, "--overwrite"]) == 2
        assert "also an input" in capsys.readouterr().err
    assert preds.read_text() == PREDS
    assert main([*base, "--out", str(other), "--overwrite"]) == 0
    assert [json.loads(x)["label"] for x in other.read_text().splitlines()] == ["refusal"] * 3
    assert listing(tmp_path) == ["a.jsonl", "other.jsonl", "sub"]  # no temporary left


def test_import_predictions_and_generate_never_write_over_an_input(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("id,response\na,hi\n")
    assert main(["import-predictions", "table", str(table), "--out", str(table),
                 "--overwrite"]) == 2
    assert table.read_text() == "id,response\na,hi\n"
    cache = tmp_path / "c.sqlite"
    cache.write_bytes(b"not to be lost")
    with pytest.raises(OutputExistsError, match="also an input"):
        generate([{"id": "a", "prompt": "p"}], out=cache, cache=cache, overwrite=True,
                 base_url="http://127.0.0.1:9", model="m", progress=False)
    assert cache.read_bytes() == b"not to be lost"


def test_demo_replaces_only_a_folder_it_wrote(demo_run: Any, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    assert main(["demo", "--out", str(mine), "--no-install-metrics", "--n-boot", "0"]) == 2
    assert "was not written by vlmsafety demo" in capsys.readouterr().err
    assert listing(mine) == ["thesis.tex"]
    # an earlier demo's folder (it holds the marker) is replaced, atomically: the session's
    # shared demo ran on such a folder (conftest.py, demo_run), holding a stale file
    old = demo_run.out
    assert demo_run.stale not in listing(old) and ".vlmsafety-demo" in listing(old)
    results = json.loads((old / "evaluation" / "results.json").read_text())
    assert results["dataset"]["source"] == str(old / "dual-sample")
    assert listing(old.parent) == [old.name]  # nothing left beside it
    assert listing(tmp_path) == ["mine"]


def test_builders_never_replace_a_folder_holding_their_input(tmp_path: Path) -> None:
    src = tmp_path / "release"
    src.mkdir()
    (src / "vscbench_image_centric.xlsx").write_bytes(b"x")
    with pytest.raises(OutputExistsError, match="holds an input"):
        build_vsc(src, source=src, overwrite=True, placeholders=True, progress=False)
    with pytest.raises(OutputExistsError, match="holds an input"):
        build_vsc(tmp_path, source=src, overwrite=True, placeholders=True, progress=False)
    with pytest.raises(OutputExistsError, match="already exists"):
        build_vsc(src, source=tmp_path / "elsewhere", progress=False)
    images = src / "images"
    images.mkdir()
    with pytest.raises(OutputExistsError, match="holds an input"):
        HubFolderWriter(src, overwrite=True, inputs=[images]).__enter__()
    assert listing(src) == ["images", "vscbench_image_centric.xlsx"]


def test_check_helpers() -> None:
    assert same_path("x/../a", "a") and not same_path("a", "b")
    with pytest.raises(VLMSafetyError, match="is a folder"):
        check_output(ROOT, overwrite=True)
    with pytest.raises(OutputExistsError, match="is a file"):
        check_output_folder(ROOT / "pyproject.toml", overwrite=True)


def test_atomic_writes_leave_nothing_on_failure_or_interrupt(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    for exc in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(exc)), atomic_write(target) as fh:
            fh.write("half")
            raise exc
    folder = tmp_path / "dir"
    with pytest.raises(RuntimeError), atomic_path(folder, folder=True) as tmp:
        (tmp / "a").write_text("x")
        raise RuntimeError("boom")
    assert target.read_text() == "old\n" and listing(tmp_path) == ["out.jsonl"]


def test_sigterm_removes_the_temporary_file(tmp_path: Path, small_dual: Path) -> None:
    """`generate` killed with SIGTERM while waiting for the endpoint: no hidden temp file stays."""
    rows = small_dual
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    with ChatServer(lambda req: chat_reply("late", delay=60)) as server:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "vlmsafety.cli", "generate", "--dataset", str(rows), "--endpoint",
             server.url, "--model", "m", "--out", str(out_dir / "p.jsonl"), "--no-cache"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 15
            while server.count == 0 and time.monotonic() < deadline:  # the probe is waiting
                time.sleep(0.05)
            assert server.count == 1 and len(listing(out_dir)) == 1  # the hidden temp file
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=15)
        finally:
            proc.kill()
            proc.wait()
    assert rc == 128 + signal.SIGTERM
    assert listing(out_dir) == []


def test_build_and_merge_overwrite_only_a_folder_a_build_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 25, item 3: `build dual --sample --out proj --overwrite` deleted proj/src."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "proj" / "src").mkdir(parents=True)
    (tmp_path / "proj" / "src" / "main.py").write_text("print('mine')\n")
    from vlmsafety.suites.dual.builder import build_dual, sample_items

    base = ["build", "dual", "--sample", "--image-size", "128x128", "--perturbations", "jpeg",
            "--severities", "1"]
    assert main([*base, "--out", "proj", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "was not written by vlmsafety build" in err and "'src'" in err
    assert (tmp_path / "proj" / "src" / "main.py").read_text() == "print('mine')\n"
    parts = []
    for i in range(2):
        build_dual(sample_items()[:2], f"p{i}", shard=f"{i}/2", image_size=(128, 128),
                   perturbations=["jpeg"], severities=[1], progress=False)
        parts.append(f"p{i}")
    assert main(["build", "merge", *parts, "--out", "proj", "--overwrite"]) == 2
    assert "was not written by vlmsafety build" in capsys.readouterr().err
    assert (tmp_path / "proj" / "src" / "main.py").exists()
    # a folder a build made is replaced; one with a file added to it is not
    assert main([*base, "--out", "built"]) == 0
    assert (tmp_path / "built" / ".vlmsafety-build").is_file()
    assert main([*base, "--out", "built", "--overwrite"]) == 0
    assert main(["build", "merge", *parts, "--out", "built", "--overwrite"]) == 0
    (tmp_path / "built" / "notes.txt").write_text("mine")
    assert main([*base, "--out", "built", "--overwrite"]) == 2
    assert "holds 'notes.txt'" in capsys.readouterr().err
    assert (tmp_path / "built" / "notes.txt").read_text() == "mine"
