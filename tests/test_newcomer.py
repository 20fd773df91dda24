"""What a newcomer hit (issue 25, item 9): plots without matplotlib, a silent placeholder build,
local paths sent to the Hub, the demo's leftover folders, re-rendering a report, and the advice
of `generate` on a dead server. Servers on 127.0.0.1 only."""

from __future__ import annotations

import json
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from mossbench_release import make_release

from vlmsafety.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sample_from_demo_run(demo_run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demos below copy the embedded sample that the session's shared demo built (the same
    bytes: its build is checked there) instead of rendering its 768 images again."""
    import vlmsafety.suites.dual.demo as dual_demo

    def copy(folder: Path, **_: object) -> Path:
        shutil.copytree(demo_run.out / "dual-sample", folder, dirs_exist_ok=True)
        return Path(folder)

    monkeypatch.setattr(dual_demo, "build_sample", copy)


@pytest.fixture
def preds(tmp_path: Path) -> Path:
    p = tmp_path / "in" / "m.jsonl"
    p.parent.mkdir()
    p.write_text("".join(json.dumps({"id": f"violent_crimes-0{n}-{t}", "response": "No."}) + "\n"
                         for n in (1, 2) for t in ("harmful", "benign")))
    return p


@pytest.mark.usefixtures("sample_from_demo_run")
def test_without_matplotlib_evaluate_and_demo_skip_plots_with_one_note(
        small_dual: Path, preds: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as after the README's base install
    note = "note: plots skipped: matplotlib is not installed (pip install 'vlmsafety[plots]'"
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(small_dual),
                 "--predictions", f"m={preds}", "--allow-missing", "--n-boot", "0",
                 "--out", str(tmp_path / "ev")]) == 0
    assert f"vlmsafety evaluate: {note}" in capsys.readouterr().err
    assert not (tmp_path / "ev" / "plots").exists()
    assert main(["demo", "--out", str(tmp_path / "demo"), "--n-boot", "0",
                 "--no-install-metrics"]) == 0
    assert f"vlmsafety demo: {note}" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "ev" / "results.json")]) == 0
    assert f"vlmsafety report: {note}" in capsys.readouterr().err


def test_report_renders_again_from_results_json(
        small_dual: Path, preds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ev = tmp_path / "ev"
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(small_dual),
                 "--predictions", f"m={preds}", "--allow-missing", "--n-boot", "0",
                 "--out", str(ev)]) == 0
    report = (ev / "report.md").read_text()
    plots = sorted(p.name for p in (ev / "plots").iterdir())
    assert plots
    (ev / "report.md").unlink()
    for p in (ev / "plots").iterdir():
        p.unlink()
    assert main(["report", str(ev / "results.json")]) == 0
    assert (ev / "report.md").read_text() == report
    assert sorted(p.name for p in (ev / "plots").iterdir()) == plots
    other = tmp_path / "shared"
    assert main(["report", str(ev / "results.json"), "--out", str(other), "--no-plots"]) == 0
    assert sorted(p.name for p in other.iterdir()) == ["report.md"]
    capsys.readouterr()
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps({"schema_version": "1"}))
    assert main(["report", str(bad)]) == 2
    assert "schema_version '1'" in capsys.readouterr().err


def test_a_placeholder_build_of_mossbench_warns(shared_data: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rel = make_release(shared_data, tmp_path / "rel")
    for pid in (5, 6):
        (rel / "data" / "images" / f"{pid}.png").unlink()
    assert main(["build", "mossbench", "--source", str(rel), "--placeholders",
                 "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr()
    assert "warning: 2 of 300 images are placeholders" in printed.err
    assert json.loads(printed.out)["placeholder_images"] == 2


def test_local_paths_are_never_sent_to_the_hub(
        small_dual: Path, preds: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["evaluate", "--benchmark", "dual", "--predictions", str(preds), "--no-plots",
            "--out", str(tmp_path / "ev")]
    assert main([*base, "--dataset", str(preds)]) == 2  # an existing file
    assert "is a file; a dataset is a folder built by `vlmsafety build`" in capsys.readouterr().err
    for local in ("./missing", "a.jsonl", "owner/name.parquet"):
        assert main([*base, "--dataset", local]) == 2
        assert f"dataset folder {local!r} does not exist" in capsys.readouterr().err
    assert main(["generate", "--dataset", "./missing", "--endpoint", "http://127.0.0.1:9/v1",
                 "--model", "m", "--out", str(tmp_path / "g.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "dataset folder './missing' does not exist" in err and "repo" in err


@pytest.mark.usefixtures("sample_from_demo_run")
def test_demo_without_out_leaves_nothing_and_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert main(["demo", "--n-boot", "0", "--no-install-metrics"]) == 0
    assert "in a temporary folder, now removed; `vlmsafety demo --out DIR` keeps them" in \
        capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_generate_on_a_dead_server_says_to_check_it(
        small_dual: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("VLMSAFETY_GENERATE_BASE_URL", "VLMSAFETY_GENERATE_MODEL"):
        monkeypatch.delenv(var, raising=False)
    assert main(["generate", "--dataset", str(small_dual), "--endpoint",
                 f"http://127.0.0.1:{_closed_port()}/v1", "--model", "m",
                 "--out", str(tmp_path / "g.jsonl"), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "No request succeeded: check that the server is running at --endpoint" in err
    assert "to resume" not in err
    assert main(["generate", "--dataset", str(small_dual), "--model", "m",
                 "--out", str(tmp_path / "g.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "pass --endpoint URL" in err and "base_url=... (--base-url)" not in err
