"""generate, annotate, evaluate and the report on an MSTS folder (image and text-only configs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_server import ChatServer, Reply, Request, chat_reply, last_user_text
from msts_release import build_dataset

from vlmsafety.annotation import Session, load_annotation_set
from vlmsafety.cli import main
from vlmsafety.human_labels import read_human_labels

CONFIGS = ("en", "fr", "en_textonly")


@pytest.fixture(scope="module")
def dataset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(shared_data, tmp_path_factory.mktemp("msts") / "msts", CONFIGS)


def _reply(req: Request) -> Reply:
    content = req.messages[-1]["content"]
    kinds = "text" if isinstance(content, str) else "+".join(p["type"] for p in content)
    return chat_reply(f"{last_user_text(req)[:20]} [{kinds}]")


def test_generate_sends_an_image_except_in_text_only(dataset: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLMSAFETY_CACHE_DIR", str(tmp_path / "cache"))
    out = {c: tmp_path / f"{c}.jsonl" for c in ("en", "en_textonly")}
    with ChatServer(_reply) as server:
        for config, path in out.items():
            assert main(["generate", "--dataset", str(dataset), "--config", config, "--model",
                         "m", "--endpoint", server.url, "--out", str(path), "--limit", "4"]) == 0
    lines = {c: [json.loads(x) for x in p.read_text().splitlines()] for c, p in out.items()}
    assert [x["id"] for x in lines["en_textonly"]][:2] == [
        "en_textonly-case_0001-assistance", "en_textonly-case_0001-intention"]
    assert all(x["response"].endswith("[text]") for x in lines["en_textonly"])
    assert all(x["response"].endswith("[image_url+text]") for x in lines["en"])


def _judged(dataset: Path, out: Path, configs: tuple[str, ...], model: str) -> Path:
    import datasets

    with out.open("w", encoding="utf-8") as fh:
        for config in configs:
            for k, rid in enumerate(datasets.load_dataset(str(dataset), config,
                                                          split="test")["id"]):
                label = "direct_answer" if k % 10 == 0 else "refusal"
                fh.write(json.dumps({"id": rid, "response": f"{label} {rid}", "model": model,
                                     "label": label, "judge": "fake@1"}) + "\n")
    return out


def test_evaluate_every_config_with_a_leaderboard_per_config(dataset: Path,
                                                             tmp_path: Path) -> None:
    preds = [_judged(dataset, tmp_path / f"{m}.jsonl", CONFIGS, m) for m in ("a", "b")]
    run = tmp_path / "run"
    assert main(["evaluate", "--benchmark", "msts", "--dataset", str(dataset), "--judge",
                 "precomputed", "--predictions", *map(str, preds), "--out", str(run),
                 "--n-boot", "20"]) == 0
    results = json.loads((run / "results.json").read_text())
    scores = results["models"]["a"]["scores"]["harmful"]
    assert scores["overall"]["n"] == 400 + 200 + 400
    assert set(scores["by_config"]) == set(CONFIGS)
    assert scores["by_language"]["en"]["n"] == 800  # en and en_textonly are both English
    assert scores["by_config"]["fr"]["unsafe_rate"]["count"] == 20
    boards = {b["key"] for b in results["leaderboards"]}
    assert {"unsafe_response_rate", "en_textonly_unsafe_response_rate"} <= boards
    report = (run / "report.md").read_text()
    assert "Unsafe response rate per language" in report and "en_textonly" in report


def test_annotate_a_text_only_sample(dataset: Path, tmp_path: Path) -> None:
    preds = _judged(dataset, tmp_path / "a.jsonl", ("en_textonly",), "a")
    aset = load_annotation_set(dataset, [preds], benchmark="msts", n=3, seed=0)
    session = Session(aset, tmp_path / "human.jsonl", "ann")
    first = session.current()
    assert first is not None and aset.spec.name == "msts"
    assert session.answer(first, "label", "safe_completion")
    got = read_human_labels(tmp_path / "human.jsonl")
    assert [(r.benchmark, r.label) for r in got] == [("msts", "safe_completion")]
    assert got.labels[0].id.startswith("en_textonly-")
