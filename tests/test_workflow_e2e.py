"""The researcher's workflow end to end, offline: ``vlmsafety generate`` against a local
chat-completions server on 127.0.0.1 for two models, then ``vlmsafety evaluate`` on both, checked
against numbers computed directly with the judge and the scoring core."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from chat_server import ChatServer, Reply, Request, chat_reply, error_reply
from PIL import Image

from vlmsafety.cli import main
from vlmsafety.evaluation import load_reference
from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, JudgeItem, load_judge
from vlmsafety.predictions import read_predictions
from vlmsafety.specs import get_spec
from vlmsafety.suites.dual import score_dual
from vlmsafety.suites.dual.builder import build_sample

REPLIES = {
    "refuse": "I'm sorry, but I can't help with that request.",
    "safe": ("This is a plain text image with a request. Please be careful: this could be "
             "dangerous or against the law. In general terms, the safe and legal approach is to "
             "ask the people involved or a professional for help rather than acting alone."),
    "answer": "Sure. First gather what you need, then follow the steps in order and check the result.",
}
# Per model: how often each reply is chosen (out of 10), by a hash of the image sent.
MIX = {"careful-vlm": ("refuse",) * 3 + ("safe",) * 5 + ("answer",) * 2,
       "open-vlm": ("refuse",) * 1 + ("safe",) * 1 + ("answer",) * 8}


def _image_of(req: Request) -> bytes:
    for part in req.messages[-1]["content"]:
        if isinstance(part, dict) and part.get("type") == "image_url":
            url = part["image_url"]["url"]
            assert url.startswith("data:image/")
            return base64.b64decode(url.split(",", 1)[1])
    raise AssertionError("no image in the request")


def _handler(req: Request) -> Reply:
    body = req.json()
    image = _image_of(req)
    Image.open(io.BytesIO(image)).verify()  # a real image arrived
    digest = hashlib.sha256(image).digest()
    if body["model"] == "open-vlm" and digest[1] % 16 == 0:  # some requests fail for good
        return error_reply(400, "content filter")
    return chat_reply(REPLIES[MIX[body["model"]][digest[0] % 10]], delay=0.001)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return build_sample(tmp_path / "dual", perturbations=("jpeg", "gaussian_blur"),
                        severities=(1, 4), image_size=(128, 128), progress=False)


def test_generate_then_evaluate_two_models(folder: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VLMSAFETY_CACHE_DIR", str(tmp_path / "cache"))
    ref = load_reference(folder, "dual")
    preds = {}
    with ChatServer(_handler) as server:
        for model in MIX:
            preds[model] = tmp_path / f"{model}.jsonl"
            rc = main(["generate", "--dataset", str(folder), "--endpoint", server.url,
                       "--model", model, "--out", str(preds[model]), "--concurrency", "8"])
            assert rc in (0, 1)  # 1: some requests failed (recorded, see below)
        assert server.count >= 2 * len(ref.ids)

    # generate: one line per row, failures recorded as failures
    for model, path in preds.items():
        got = read_predictions(path, known_ids=set(ref.ids))
        assert sorted(p.id for p in got) == sorted(ref.ids)
        failed = [p for p in got if p.response is None]
        assert all(p.error for p in failed)
        assert all(p.response for p in got if p.error is None)
        assert (len(failed) > 0) == (model == "open-vlm")

    out = tmp_path / "results"
    rc = main(["evaluate", "--benchmark", "dual", "--dataset", str(folder), "--predictions",
               *(str(p) for p in preds.values()), "--out", str(out), "--n-boot", "200",
               "--seed", "7"])
    assert rc == 0
    assert "wrote" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text())

    # the same numbers, computed directly with the judge and the scoring core
    by_id = {r["id"]: r for rows in ref.rows.values() for r in rows}
    judge = load_judge(DEFAULT_OFFLINE_JUDGE)
    spec = get_spec("dual")
    for model, path in preds.items():
        order = {i: k for k, i in enumerate(ref.ids)}  # score in dataset order, as evaluate does
        got = sorted(read_predictions(path), key=lambda p: order[p.id])
        verdicts = judge.judge_many([JudgeItem(p.response, spec.judge_prompt(by_id[p.id]), None,
                                               p.error) for p in got])
        meta = [by_id[p.id] for p in got]
        direct = score_dual(
            [v.label for v in verdicts], [m["instruction_type"] for m in meta],
            categories=[m["category"] for m in meta],
            perturbations=[m["perturbation"] for m in meta],
            severities=[m["severity"] for m in meta], source_ids=[m["source_id"] for m in meta],
            n_boot=200, seed=7, judge=judge.name)
        scores = res["models"][model]["scores"]["all"]
        assert scores == json.loads(json.dumps(direct.to_dict()))
        info = res["models"][model]
        assert info["predictions"]["n_failed"] == sum(p.response is None for p in got)
        assert info["label_counts"].get("unscored", 0) >= info["predictions"]["n_failed"]
        assert {v.label for v in verdicts} >= {"refusal", "safe_completion", "direct_answer"}
    boards = {b["key"]: b for b in res["leaderboards"]}
    assert [r["model"] for r in boards["harmful_safe_completion_rate"]["rows"]] == \
        ["careful-vlm", "open-vlm"]
    assert [r["model"] for r in boards["harmful_direct_answer_rate"]["rows"]] == \
        ["careful-vlm", "open-vlm"]
    assert res["judge"]["name"] == judge.name
    assert res["dataset"]["version"] and res["metric"]["version"] == res["vlmsafety_version"]
    assert res["command"].startswith("vlmsafety evaluate")

    # the report and every plot exist and are not trivial
    report = (out / "report.md").read_text()
    for needle in ("## Leaderboards", "careful-vlm", "open-vlm", "per category",
                   "Robustness under perturbation", "## Plots"):
        assert needle in report
    assert len(res["plots"]) == 3 + 2 * len(MIX)  # 2 category bars, trade-off, 2 curves/model
    for rel in res["plots"]:
        png = out / rel
        with Image.open(png) as im:
            assert im.width > 600 and im.height > 300
            assert len(np.unique(np.asarray(im.convert("L")))) > 20  # more than a blank canvas
        assert f"]({rel})" in report
