"""The console script: help texts, error exit codes, and `vlmsafety demo` end to end (issue 2)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from vlmsafety.cli import COMMANDS, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "build", "judge", "push", "install-metrics", "import-predictions"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["demo", "build", "judge", "push", "install-metrics", "import-predictions"])
def test_subcommand_help(cmd: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([cmd, "--help"])
    assert info.value.code == 0
    assert "usage: vlmsafety " + cmd in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 1
    assert "usage" in capsys.readouterr().out


def test_library_error_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"id": "a"}\n')
    code = main(["judge", "--judge", "keyword", "--scheme", "dual", "--predictions", str(bad),
                 "--out", str(tmp_path / "j.jsonl")])
    assert code == 2
    err = capsys.readouterr().err
    assert "missing required key 'response'" in err and "Traceback" not in err


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from vlmsafety.judges import KeywordJudge
    from vlmsafety.predictions import read_judgements
    from vlmsafety.scoring import score_dual

    assert "demo" in COMMANDS
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n-boot", "50"]) == 0
    printed = capsys.readouterr().out
    assert "| demo-vlm-a | harmful" in printed and "dRR" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["judge"] == KeywordJudge().name
    assert set(results["models"]) == {"demo-vlm-a", "demo-vlm-b"}
    judged = read_judgements(out / "judged-demo-vlm-a.jsonl")
    assert len(judged) == 768
    # results.json agrees with the scoring core applied directly to the judged labels
    import datasets

    ds = datasets.concatenate_datasets([
        datasets.load_dataset(str(out / "dual-sample"), c, split="test").remove_columns("image")
        for c in ("clean", "perturbed")])
    f = ds.features
    meta = {r["id"]: r for r in ds.to_list()}
    rows = [meta[j.id] for j in judged]
    res = score_dual(
        [j.label for j in judged],
        [f["instruction_type"].int2str(r["instruction_type"]) for r in rows],
        categories=[f["category"].int2str(r["category"]) for r in rows],
        perturbations=[f["perturbation"].int2str(r["perturbation"]) for r in rows],
        severities=[r["severity"] for r in rows], source_ids=[r["source_id"] for r in rows],
        n_boot=50, seed=0)
    got = results["models"]["demo-vlm-a"]["overall"]["refusal_rate"]
    assert math.isclose(got["rate"], res.overall.refusal_rate.rate)
    assert got["n"] == 768
    # and the metric modules were registered for offline bare-name loading
    import evaluate

    sc = evaluate.load("safe_completion")
    assert sc.compute(predictions=["refusal", "direct_answer"], references=["harmful", "benign"])["refusal_rate"] == 0.5
