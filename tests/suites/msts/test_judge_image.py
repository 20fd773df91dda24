"""``vlmsafety evaluate --judge chat --judge-image`` on an MSTS folder (issue 23 items 5 and 6): a
local server on 127.0.0.1 records each judge request's image; every ``en`` row's request carries
that row's image (decoded and compared pixel by pixel with the dataset's), no ``en_textonly``
request carries one, and the cascade's ``--cascade-threshold`` / ``--cascade-budget`` decide how
many requests are sent."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from chat_server import ChatServer, Reply, Request, chat_reply, last_user_text
from msts_release import build_dataset
from PIL import Image

from vlmsafety.cli import main

N_PER_CONFIG = 4


@pytest.fixture(scope="module")
def dataset(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(shared_data, tmp_path_factory.mktemp("msts") / "msts",
                         ("en", "en_textonly"))


@pytest.fixture(scope="module")
def rows(dataset: Path) -> dict[str, dict[str, Image.Image | None]]:
    """config -> id -> the row's image, decoded by ``datasets`` (the first rows only)."""
    import datasets

    out: dict[str, dict[str, Image.Image | None]] = {}
    for config in ("en", "en_textonly"):
        ds = datasets.load_dataset(str(dataset), config, split="test")
        first = ds.select(range(N_PER_CONFIG))
        images = first["image"] if "image" in first.column_names else [None] * N_PER_CONFIG
        out[config] = dict(zip(first["id"], images, strict=True))
    return out


class Recorder:
    """Answers every judge request with a verdict and records ``id -> images sent``."""

    def __init__(self) -> None:
        self.seen: dict[str, list[bytes]] = {}

    def __call__(self, req: Request) -> Reply:
        content = [m for m in req.messages if m.get("role") == "user"][-1]["content"]
        parts = content if isinstance(content, list) else []
        urls = [p["image_url"]["url"] for p in parts if p.get("type") == "image_url"]
        rid = last_user_text(req).split("reply to ", 1)[1].split("\n", 1)[0].strip()
        self.seen[rid] = [base64.b64decode(u.split(",", 1)[1]) for u in urls
                          if u.startswith("data:image/png;base64,")]
        return chat_reply("It declines.\nVERDICT: REFUSAL")


def _predictions(path: Path, rows: dict[str, dict[str, Image.Image | None]]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for ids in rows.values():
            for rid in ids:
                fh.write(json.dumps({"id": rid, "response": f"reply to {rid}",
                                     "model": "m"}) + "\n")
    return path


def _evaluate(dataset: Path, preds: Path, out: Path, server: ChatServer, *extra: str) -> dict:
    assert main(["evaluate", "--benchmark", "msts", "--dataset", str(dataset), "--config", "en",
                 "--config", "en_textonly", "--predictions", str(preds), "--allow-missing",
                 "--out", str(out), "--n-boot", "10", "--no-plots", "--no-cache",
                 "--base-url", server.url, "--model", "judge-m", "--max-attempts", "1",
                 *extra]) == 0
    return json.loads((out / "results.json").read_text())


def test_chat_judge_sends_each_rows_image_and_none_for_text_only(
        dataset: Path, rows: dict[str, dict[str, Image.Image | None]], tmp_path: Path) -> None:
    preds = _predictions(tmp_path / "m.jsonl", rows)
    recorder = Recorder()
    with ChatServer(recorder) as server:
        results = _evaluate(dataset, preds, tmp_path / "run", server, "--judge", "chat",
                            "--judge-image")
        assert server.count == 2 * N_PER_CONFIG
    assert set(recorder.seen) == set(rows["en"]) | set(rows["en_textonly"])
    for rid, want in rows["en"].items():
        assert want is not None and len(recorder.seen[rid]) == 1, rid
        got = Image.open(io.BytesIO(recorder.seen[rid][0]))
        assert got.size == want.size and got.convert("RGB").tobytes() == \
            want.convert("RGB").tobytes(), rid
    assert all(recorder.seen[rid] == [] for rid in rows["en_textonly"])
    assert results["judge"]["name"].endswith("+image")
    judged = [json.loads(x) for x in (tmp_path / "run" / "judged" / "m.jsonl").read_text()
              .splitlines()]
    assert [j["label"] for j in judged] == ["refusal"] * (2 * N_PER_CONFIG)
    assert not any("image" in j for j in judged)  # the image is sent, never written


def test_without_judge_image_no_image_is_sent(
        dataset: Path, rows: dict[str, dict[str, Image.Image | None]], tmp_path: Path) -> None:
    recorder = Recorder()
    with ChatServer(recorder) as server:
        _evaluate(dataset, _predictions(tmp_path / "m.jsonl", rows), tmp_path / "run", server,
                  "--judge", "chat")
    assert len(recorder.seen) == 2 * N_PER_CONFIG
    assert all(images == [] for images in recorder.seen.values())


@pytest.mark.parametrize(("flags", "n_sent"), [(("--cascade-threshold", "1.01"), 2 * N_PER_CONFIG),
                                               (("--cascade-threshold", "1.01",
                                                 "--cascade-budget", "3"), 3)])
def test_cascade_threshold_and_budget(dataset: Path,
                                      rows: dict[str, dict[str, Image.Image | None]],
                                      tmp_path: Path, flags: tuple[str, ...], n_sent: int) -> None:
    recorder = Recorder()
    with ChatServer(recorder) as server:
        results = _evaluate(dataset, _predictions(tmp_path / "m.jsonl", rows), tmp_path / "run",
                            server, "--judge", "cascade", "--judge-image", *flags)
        assert server.count == n_sent
    assert "<1.01" in results["judge"]["name"]
    for rid, images in recorder.seen.items():  # what was sent carries the row's image, if any
        assert len(images) == (rid in rows["en"]), rid


def test_cascade_flags_need_the_cascade(dataset: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "m.jsonl"
    preds.write_text(json.dumps({"id": "x", "response": "No."}) + "\n")
    assert main(["judge", "--predictions", str(preds), "--out", str(tmp_path / "j.jsonl"),
                 "--judge", "refusal-lr", "--cascade-threshold", "0.5"]) == 2
    assert "--cascade-threshold apply to --judge cascade" in capsys.readouterr().err
    assert not (tmp_path / "j.jsonl").exists()
