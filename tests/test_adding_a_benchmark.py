"""A benchmark of your own is one folder plus one ``register_benchmark`` call (issue 21 item 2).

The toy benchmark's files are extracted from ``docs/adding-a-benchmark.md`` (every code block that
starts with ``# file:``), written into a temporary package, and run end to end in fresh processes
(the registry is per process, so the other tests never see ToyBench): once registered by importing
the package (its ``register_benchmark`` call) and driven through ``vlmsafety.cli.main`` and
``evaluate.load``; once as an installed plugin (an entry point of group ``vlmsafety.benchmarks``)
driven through the ``vlmsafety`` command alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "adding-a-benchmark.md"

_BLOCK = re.compile(r"```python\n# file: (\S+)\n(.*?)```", re.DOTALL)

API_RUN = '''
import json, sys
from pathlib import Path

import toybench  # its import registers ToyBench (register_benchmark)
from vlmsafety import benchmarks, get_spec
from vlmsafety.cli import main

work = Path(sys.argv[1])
assert get_spec("toy") is toybench.SPEC and benchmarks()[:3] == ("dual", "vsc", "mossbench")
assert main(["build", "toy", "--out", str(work / "ds")]) == 0
preds = []
for model, labels in (("cautious", ["refusal", "refusal", "direct_answer"]),
                      ("helpful", ["direct_answer", "direct_answer", "unscored"])):
    path = work / f"{model}.jsonl"
    path.write_text("".join(json.dumps({"id": f"toy-{i}", "response": f"{model} {i}",
                                        "label": lab, "judge": "hand@1"}) + "\\n"
                            for i, lab in enumerate(labels)), encoding="utf-8")
    preds.append(f"{model}={path}")
assert main(["evaluate", "--benchmark", "toy", "--dataset", str(work / "ds"), "--predictions",
             *preds, "--judge", "precomputed", "--out", str(work / "ev"), "--n-boot", "0",
             "--no-plots"]) == 0
assert main(["install-metrics"]) == 0

import evaluate
from vlmsafety.metric_modules import metric_names

print("NAMES " + json.dumps(list(metric_names())))

metric = evaluate.load("toy_refusal").compute(predictions=["refusal", "direct_answer", "refusal"])
print("METRIC " + json.dumps(metric))
'''


def _write_toy(root: Path) -> list[str]:
    """The doc's ``# file:`` blocks as files under ``root``; returns their paths."""
    blocks = _BLOCK.findall(DOC.read_text(encoding="utf-8"))
    for rel, body in blocks:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# file: {rel}\n{body}", encoding="utf-8")
    return [rel for rel, _ in blocks]


def _env(tmp_path: Path, *paths: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1",
               HF_EVALUATE_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
    env["PYTHONPATH"] = os.pathsep.join([*map(str, paths), env.get("PYTHONPATH", "")])
    return env


def test_the_doc_holds_the_whole_toy_package(tmp_path: Path) -> None:
    files = _write_toy(tmp_path)
    assert files == ["toybench/__init__.py", "toybench/scoring.py", "toybench/builder.py",
                     "toybench/report.py", "toybench/metric/toy_refusal/toy_refusal.py"]
    init = (tmp_path / "toybench" / "__init__.py").read_text(encoding="utf-8")
    assert "register_benchmark(BenchmarkSpec(" in init and "importlib" not in init


@pytest.mark.slow
def test_toy_benchmark_build_evaluate_report_and_metric(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    _write_toy(pkg)
    work = tmp_path / "work"
    work.mkdir()
    run = subprocess.run([sys.executable, "-c", API_RUN, str(work)], cwd=tmp_path,
                         env=_env(tmp_path, pkg, REPO), capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    # build: a Hub-ready folder of the three questions
    assert (work / "ds" / "README.md").is_file()
    assert list((work / "ds" / "data" / "default").glob("*.parquet"))
    # evaluate: the toy scorer's rates, counts and intervals; a leaderboard with its paired test
    res = json.loads((work / "ev" / "results.json").read_text(encoding="utf-8"))
    assert res["benchmark"] == "toy" and res["metric"]["name"] == "toy_refusal"
    rate = {m: res["models"][m]["scores"]["benign"]["overall"]["refusal_rate"]
            for m in ("cautious", "helpful")}
    assert (rate["cautious"]["count"], rate["cautious"]["n"]) == (2, 3)
    assert (rate["helpful"]["count"], rate["helpful"]["n"]) == (0, 2)  # unscored left out
    assert 0 < rate["cautious"]["ci_low"] < 2 / 3 < rate["cautious"]["ci_high"] < 1
    board = res["leaderboards"][0]
    assert board["key"] == "benign_refusal_rate"
    assert [r["model"] for r in board["rows"]] == ["helpful", "cautious"]  # lower is better
    assert board["adjacent"][0]["n_both_scored"] == 2
    # report: the generic document plus ToyBench's own section and note
    report = (work / "ev" / "report.md").read_text(encoding="utf-8")
    assert report.startswith("# ToyBench evaluation")
    assert "## Refusals per model" in report and "| cautious | 2 of 3 |" in report
    assert "ToyBench counts only the label `refusal`" in report
    # evaluate.load of its metric, offline, after install-metrics
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("METRIC "))
    metric = json.loads(line.removeprefix("METRIC "))
    assert metric["refusal_rate"] == pytest.approx(2 / 3) and metric["refusal_rate_n"] == 3
    names = json.loads(next(ln for ln in run.stdout.splitlines()
                            if ln.startswith("NAMES ")).removeprefix("NAMES "))
    assert names[-1] == "toy_refusal" and "safe_completion" in names
    assert "toy_refusal: " in run.stdout  # install-metrics listed it


@pytest.mark.slow
def test_toy_benchmark_as_an_installed_plugin(tmp_path: Path) -> None:
    """An entry point of group ``vlmsafety.benchmarks`` is all the ``vlmsafety`` command needs."""
    site = tmp_path / "site"
    _write_toy(site)
    dist = site / "toybench-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toybench\nVersion: 0.1\n",
                                   encoding="utf-8")
    (dist / "entry_points.txt").write_text("[vlmsafety.benchmarks]\ntoy = toybench\n",
                                           encoding="utf-8")
    out = tmp_path / "ds"
    run = subprocess.run([sys.executable, "-m", "vlmsafety.cli", "build", "toy", "--out",
                          str(out)], cwd=tmp_path, env=_env(tmp_path, site, REPO),
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == str(out) and (out / "README.md").is_file()
