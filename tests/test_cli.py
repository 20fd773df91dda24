"""The console script: help texts, error exit codes, and `vlmsafety demo` end to end (issue 2)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from vlmsafety.cli import COMMANDS, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("demo", "build", "judge", "push", "install-metrics", "import-predictions"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["demo", "build", "judge", "judge-eval", "push", "install-metrics",
                                 "import-predictions"])
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


def test_demo_end_to_end(demo_run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    from vlmsafety.cli.demo import MARKER
    from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, load_judge
    from vlmsafety.predictions import read_judgements
    from vlmsafety.specs import get_spec
    from vlmsafety.suites.dual import score_dual

    assert "demo" in COMMANDS
    out = demo_run.out  # `vlmsafety demo --out DIR`, run once per session (conftest.py)
    printed = demo_run.stdout
    assert "| demo-vlm-a | harmful" in printed and "dRR" in printed
    results = json.loads((out / "evaluation" / "results.json").read_text())
    assert results["judge"]["name"] == DEFAULT_OFFLINE_JUDGE
    assert set(results["models"]) == {"demo-vlm-a", "demo-vlm-b"}
    judged = read_judgements(out / "evaluation" / "judged" / "demo-vlm-a.jsonl")
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
    got = results["models"]["demo-vlm-a"]["scores"]["all"]["overall"]["refusal_rate"]
    assert math.isclose(got["rate"], res.overall.refusal_rate.rate)
    assert got["n"] == 768
    # the judge saw the instruction written in the image (the spec's judge prompt), not only
    # "Describe the image": the demo runs the same judging loop as `vlmsafety evaluate`
    judge_prompt = get_spec("dual").judge_prompt
    first = meta[judged[0].id]
    decoded = {**first, "instruction_type": f["instruction_type"].int2str(first["instruction_type"])}
    assert first["instruction"] in judge_prompt(decoded)
    relabel = load_judge(DEFAULT_OFFLINE_JUDGE).judge(judged[0].response,
                                                      judge_prompt(decoded)).label
    assert judged[0].label == relabel
    # a demo --out replaces a folder a demo wrote (the shared run's folder held an earlier
    # demo's marker and a stale file), marks its own output so, and refuses any other folder
    assert "written by `vlmsafety demo`" in (out / MARKER).read_text()
    assert not (out / demo_run.stale).exists()
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    capsys.readouterr()
    assert main(["demo", "--out", str(other), "--n-boot", "0", "--no-install-metrics"]) == 2
    assert "was not written by vlmsafety demo" in capsys.readouterr().err
    assert (other / "notes.txt").read_text() == "keep me"
    # and the metric modules were registered for offline bare-name loading
    assert "metric module(s) registered for offline evaluate.load(): safe_completion" in demo_run.stderr
    monkeypatch.setenv("HF_MODULES_CACHE", str(demo_run.modules_cache))  # the user's cache
    import evaluate

    sc = evaluate.load("safe_completion")
    assert sc.compute(predictions=["refusal", "direct_answer"], references=["harmful", "benign"])["refusal_rate"] == 0.5


def _key_tree(obj: object) -> object:
    """The nesting of keys of a JSON value (values left out; lists by their first element)."""
    if isinstance(obj, dict):
        return {k: _key_tree(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_key_tree(obj[0])] if obj else []
    return None


def test_demo_and_evaluate_write_the_same_results(demo_run: Any, tmp_path: Path) -> None:
    """`vlmsafety demo` is `vlmsafety evaluate` on the packaged sample: same schema, same numbers."""
    from importlib.resources import files

    from vlmsafety.suites.dual.demo import DEMO_MODELS

    demo = demo_run.out  # the session's one demo run (conftest.py), with its --n-boot
    n_boot = demo_run.argv[demo_run.argv.index("--n-boot") + 1]
    data = files("vlmsafety.suites.dual").joinpath("data")
    preds = [f"{name}={data.joinpath(fname)}" for name, fname in DEMO_MODELS]
    out = tmp_path / "eval"
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(demo / "dual-sample"),
                 "--predictions", *preds, "--out", str(out), "--n-boot", n_boot]) == 0
    a = json.loads((demo / "evaluation" / "results.json").read_text())
    b = json.loads((out / "results.json").read_text())
    assert a["schema_version"] == b["schema_version"] == "2"
    assert _key_tree(a) == _key_tree(b)
    for key in ("models", "leaderboards", "judge", "metric"):
        strip = (lambda d: {m: {**v, "predictions": {**v["predictions"], "path": None}}
                            for m, v in d.items()}) if key == "models" else (lambda d: d)
        assert strip(a[key]) == strip(b[key]), key
