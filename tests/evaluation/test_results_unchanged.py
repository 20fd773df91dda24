"""results.json of the DUAL sample is byte for byte what it was before the typed request and the
typed scores (apart from the timestamp, paths and the dataset shards' checksums).

The fingerprints below were taken from ``run_evaluation("dual", ...)`` with the old keyword
signature (commit ba5ae84, before scores became typed): the demo's dataset and its two shipped
response files, judged by the frozen ``keyword@1.0.0`` (so a new default judge does not move
them), 200 bootstrap replicates, seed 0, no plots. A whole-file digest says whether anything
moved; one digest per part says where.

Moved on purpose since (issue 24, intervals at the edges): ``metric`` (DUAL's
``bootstrap_breakdowns`` on by default), the models' ``scores`` (every clustered interval is
Wilson on the effective n, per-category and per-perturbation rates clustered too) and
``leaderboards`` (each gap's ``paired_bootstrap.method`` and its note).
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib.resources import as_file, files
from pathlib import Path

from vlmsafety import __version__
from vlmsafety.evaluation import EvaluationRequest, LeaderboardRow, ModelInput, run_evaluation
from vlmsafety.evaluation.leaderboard import headline_rate
from vlmsafety.scoring import Rate
from vlmsafety.suites.dual import SafeCompletionResult
from vlmsafety.suites.dual.builder import build_sample

FINGERPRINTS = {
    "*": "e51e91b8f0ec34246db3ab4f88f63736e2ab9eadbea01649eddcea81cef78f32",
    "schema_version": "cc11310c456c3690d5a74c23aa31cc25b4e74cdae146c71e54ad9dbc1d109fde",
    "vlmsafety_version": "5a055862a3bef04f0ef2c62abff05c0688be02d1fe45d579b2ea788209ecbb18",
    "created_utc": "16fb0be8e87d3ed70afa1d8e8f834c6f52b32deb956683ba059bc81203dbea42",
    "command": "75da4cda480106f266c85755cf69dc41ed4dd9f80119b770cf5f9fde3aba4909",
    "benchmark": "e9e1f0074adfe2e758f9e013b0f2a79602a289f657cf3d161e6f815bc4d19484",
    "dataset": "458ca9f0bb8a4c990eebb6263413a9a5b892ae1b14320583d7b30546c74f8bca",
    "warnings": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
    "judge": "649cfee0172da66bfe6b540ec57614818b703199e9bbec081734e4f5aab625c8",
    "metric": "bcf404d0ce404b8a9d3bc3ad72a4df4db308c44c1fc94563d9928269b9da0cc8",
    "leaderboards": "0691faeb46dec7845c4a5beca17c414d171d55b53373d4b15662c8f5bab6a29c",
    "plots": "4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945",
    "models.demo-vlm-a.predictions": "f0bc1a8ec8ae455142a2e298fb08ab71047f6fe3cc2c3bf8de6d18ad6580fb7d",
    "models.demo-vlm-a.n_missing": "4bf55c1c78e7949f2c570f0a143980f220023db09d44212a921de6228ee2cfda",
    "models.demo-vlm-a.coverage": "d0ff5974b6aa52cf562bea5921840c032a860a91a3512f7fe8f768f6bbe005f6",
    "models.demo-vlm-a.label_counts": "e6d3db67ab51a6779e589dee9cabd862f229ce4396245bc51a05434d7ac2933b",
    "models.demo-vlm-a.scores": "2812e2306280a9c62032987aae9d8e5ff103a01f4d4f6007b258b1e6acdfb6ec",
    "models.demo-vlm-b.predictions": "168841e54f2c81641df7bfd1d4e15694dd08de3a25c2ffdfc1780ad8c6055b7f",
    "models.demo-vlm-b.n_missing": "4bf55c1c78e7949f2c570f0a143980f220023db09d44212a921de6228ee2cfda",
    "models.demo-vlm-b.coverage": "d0ff5974b6aa52cf562bea5921840c032a860a91a3512f7fe8f768f6bbe005f6",
    "models.demo-vlm-b.label_counts": "3ab99ff6b6fc0e7677cbc0251b32eb59b4003892d389d0927daa545aba244420",
    "models.demo-vlm-b.scores": "c8dad15dba8938d0da602af4b69003ad0a55d293d353e0d8e0c4fa6f281e50b7",
}


def normalised(text: str, paths: dict[str, str]) -> str:
    """The file's text with the timestamp, the given paths, the package version and the dataset
    shards' checksums replaced."""
    for path, name in paths.items():
        text = text.replace(json.dumps(path)[1:-1], name)
    text = re.sub(r'"created_utc": "[^"]*"', '"created_utc": "<time>"', text)
    text = re.sub(r'("(vlmsafety_)?version": )"' + re.escape(__version__) + '"', r'\1"<version>"',
                  text)
    return re.sub(r'("data/[^"]+\.parquet": )"[0-9a-f]{64}"', r'\1"<sha256>"', text)


def fingerprints(text: str) -> dict[str, str]:
    """sha256 of the whole text and of each part (top-level keys, each model's entries)."""
    def digest(obj: object) -> str:
        return hashlib.sha256(json.dumps(obj, indent=2).encode()).hexdigest()

    data = json.loads(text)
    out = {"*": hashlib.sha256(text.encode()).hexdigest()}
    out.update({k: digest(v) for k, v in data.items() if k != "models"})
    out.update({f"models.{m}.{k}": digest(v)
                for m, info in data["models"].items() for k, v in info.items()})
    return out


def test_results_json_of_the_dual_sample_is_unchanged(tmp_path: Path) -> None:
    folder = build_sample(tmp_path / "dual-sample", progress=False)
    data = files("vlmsafety.suites.dual").joinpath("data")
    with as_file(data / "dual_sample_responses.jsonl") as a, \
            as_file(data / "dual_sample_responses_b.jsonl") as b:
        models = [ModelInput("demo-vlm-a", Path(a)), ModelInput("demo-vlm-b", Path(b))]
        request = EvaluationRequest("dual", folder, models, judge="keyword@1.0.0", n_boot=200,
                                    seed=0, progress=False, command="golden")
        result = run_evaluation(request, tmp_path / "out", plots=False)
        paths = {str(folder): "<dataset>", str(a): "<responses-a>", str(b): "<responses-b>"}
    text = (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    assert json.loads(text) == result.to_dict()  # what is returned is what was written
    scores = result.models["demo-vlm-a"].scores  # typed from the scorer to the result
    assert isinstance(scores["harmful"], SafeCompletionResult)
    assert isinstance(scores["harmful"].overall.safe_completion_rate, Rate)
    row = result.leaderboards[0].rows[0]
    assert isinstance(row, LeaderboardRow) and isinstance(row.rate, Rate)
    assert row.rate == headline_rate(result.models[row.model].scores,
                                     result.leaderboards[0].headline)
    got = fingerprints(normalised(text, paths))
    moved = sorted(k for k in FINGERPRINTS if got.get(k) != FINGERPRINTS[k])
    assert not moved, f"results.json changed in: {', '.join(moved)}"
    assert got.keys() == FINGERPRINTS.keys()
