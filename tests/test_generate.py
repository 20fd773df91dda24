"""``vlmsafety generate`` against a local chat-completions server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import datasets
import pytest
from chat_server import ChatServer, Reply, Request, chat_reply, error_reply, last_user_text
from PIL import Image

from vlmsafety.chat_client import RetryPolicy
from vlmsafety.cli import main
from vlmsafety.errors import (
    DatasetRowError,
    EndpointError,
    OutputExistsError,
    UnknownNameError,
)
from vlmsafety.generate import GenerateSummary, default_cache, generate
from vlmsafety.predictions import read_predictions
from vlmsafety.storage.cache import SQLiteCache
from vlmsafety.suites.dual.builder import build_sample

FAST = RetryPolicy(max_attempts=2, backoff_base=0.001, request_timeout=5.0)


@pytest.fixture(autouse=True)
def _no_generate_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VLMSAFETY_GENERATE_BASE_URL", "VLMSAFETY_GENERATE_MODEL",
                "VLMSAFETY_GENERATE_API_KEY", "OPENAI_API_KEY", "VLMSAFETY_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "dual"
    return build_sample(out, perturbations=("jpeg",), severities=(1,), image_size=(128, 128),
                        progress=False)


def _image(req: Request) -> bytes | None:
    content = req.messages[-1]["content"]
    if isinstance(content, str):
        return None
    assert [p["type"] for p in content] == ["image_url", "text"]
    url = content[0]["image_url"]["url"]
    head, data = url.split(",", 1)
    assert head in ("data:image/png;base64", "data:image/jpeg;base64"), head
    return base64.b64decode(data)


def _echo(req: Request) -> Reply:
    """Reply with the prompt and a digest of the image, so each line can be traced to its row."""
    image = _image(req)
    digest = hashlib.sha256(image).hexdigest()[:12] if image is not None else "none"
    return chat_reply(f"{last_user_text(req)}|{digest}")


def _rows(n: int, *, image: bool = True) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), (i * 20 % 256, 0, 0)).save(buf, format="PNG")
        rows.append({"id": f"r{i:02d}", "prompt": f"prompt {i}",
                     **({"image": buf.getvalue()} if image else {})})
    return rows


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_folder_one_line_per_row_in_dataset_order(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "preds.jsonl"
    with ChatServer(_echo) as server:
        s = generate(folder, out=out, base_url=server.url, model="vlm", progress=False,
                     chunk_size=7, concurrency=4)
        bodies = [r.json() for r in server.requests]
    expected: list[tuple[str, str, str]] = []
    for config in ("clean", "perturbed"):
        ds = datasets.load_dataset(str(folder), config, split="test")
        ds = ds.cast_column("image", datasets.Image(decode=False))
        for row in ds:
            data = row["image"]["bytes"]
            Image.open(io.BytesIO(data)).verify()
            expected.append((row["id"], config,
                             f"{row['prompt']}|{hashlib.sha256(data).hexdigest()[:12]}"))
    lines = _lines(out)
    assert [(x["id"], x["config"], x["response"]) for x in lines] == expected
    assert all(x["model"] == "vlm" and "error" not in x for x in lines)
    assert all(x["prompt"] == "Describe the image" for x in lines)
    assert len(read_predictions(out)) == len(expected) == 96
    assert isinstance(s, GenerateSummary)
    assert (s.n, s.n_ok, s.n_failed, s.n_cached, s.n_sent) == (96, 96, 0, 0, 96)
    assert s.configs == ("clean", "perturbed")
    assert all(b["model"] == "vlm" and b["temperature"] == 0.0 for b in bodies)
    assert len(bodies) == 96


def test_failures_written_as_null_with_error_not_cached_and_retried(tmp_path: Path) -> None:
    rows = _rows(10)
    bad = {"prompt 2", "prompt 5"}
    dropped = {"prompt 7"}

    def handler(req: Request) -> Reply:
        text = last_user_text(req)
        if text in bad:
            return error_reply(400, "content filter")
        if text in dropped:
            return Reply(drop=True)
        return _echo(req)

    cache = tmp_path / "c.sqlite"
    out = tmp_path / "p.jsonl"
    with ChatServer(handler) as server:
        s = generate(rows, out=out, base_url=server.url, model="m", cache=cache, retry=FAST,
                     progress=False, chunk_size=4)
        assert server.count == 8 + 1 + 2  # 400s fail at once; the drop is retried once
    assert (s.n, s.n_ok, s.n_failed) == (10, 7, 3)
    lines = _lines(out)
    assert [x["id"] for x in lines] == [r["id"] for r in rows]
    failed = {x["id"]: x for x in lines if x["response"] is None}
    assert set(failed) == {"r02", "r05", "r07"}
    assert "HTTP 400" in failed["r02"]["error"] and "content filter" in failed["r02"]["error"]
    assert failed["r07"]["error"].startswith("connection error")
    assert all(x["response"] for x in lines if x["id"] not in failed)
    assert [e.split(":")[0] for e in s.errors] == ["r02", "r05", "r07"]
    read_predictions(out)  # a valid predictions file
    with SQLiteCache(cache, namespace="generate") as c:
        assert len(c) == 7

    bad.clear()
    dropped.clear()
    with ChatServer(handler) as server:
        s2 = generate(rows, out=out, base_url=server.url, model="m", cache=cache,
                      progress=False, overwrite=True)
        assert sorted(last_user_text(r) for r in server.requests) == \
            ["prompt 2", "prompt 5", "prompt 7"]
    assert (s2.n_ok, s2.n_failed, s2.n_cached, s2.n_sent) == (10, 0, 7, 3)
    assert all(x["response"] for x in _lines(out))


def test_cache_key_has_model_params_system_and_image(tmp_path: Path) -> None:
    rows = _rows(4)
    cache = SQLiteCache(tmp_path / "c.sqlite", namespace="generate")
    out = tmp_path / "p.jsonl"
    with ChatServer(_echo) as server:
        def run(**kw: Any) -> int:
            before = server.count
            kw = {"model": "m", **kw}
            generate(rows, out=out, base_url=server.url, cache=cache, progress=False,
                     overwrite=True, **kw)
            return server.count - before

        assert run() == 4
        assert run() == 0
        assert run(params={"temperature": 0.7}) == 4
        assert run(params={"temperature": 0.7}) == 0
        assert run(params={"temperature": 0.0, "max_tokens": 64}) == 4
        assert run(params={"temperature": 0.0, "seed": 1}) == 4
        assert run(model="other") == 4
        assert run(system="Be brief.") == 4
        assert server.requests[-1].messages[0] == {"role": "system", "content": "Be brief."}
        rows[0] = {**rows[0], "image": _rows(6)[5]["image"]}
        assert run() == 1
    assert json.loads(out.read_text().splitlines()[0])["model"] == "m"
    cache.close()


def test_in_memory_rows_pil_jpeg_text_only_and_duplicates(tmp_path: Path) -> None:
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(jpeg, format="JPEG")
    rows = [{"id": "pil", "prompt": "a", "image": Image.new("RGB", (8, 8), "red")},
            {"id": "jpeg", "prompt": "b", "image": jpeg.getvalue()},
            {"id": "dict", "prompt": "c", "image": {"bytes": None, "path": None}}]
    seen: dict[str, Any] = {}

    def handler(req: Request) -> Reply:
        content = req.messages[-1]["content"]
        seen[last_user_text(req)] = content if isinstance(content, str) else \
            content[0]["image_url"]["url"].split(",")[0]
        return chat_reply("ok")

    with ChatServer(handler) as server:
        with pytest.raises(DatasetRowError, match="'dict': image has neither bytes nor path"):
            generate(rows, out=tmp_path / "x.jsonl", base_url=server.url, model="m",
                     progress=False)
        rows[2] = {"id": "text", "prompt": "just text"}
        s = generate(rows, out=tmp_path / "p.jsonl", base_url=server.url, model="m",
                     progress=False)
        assert s.n_ok == 3
        assert seen == {"a": "data:image/png;base64", "b": "data:image/jpeg;base64",
                        "just text": "just text"}
        with pytest.raises(DatasetRowError, match="duplicate id 'pil'"):
            generate(rows + rows[:1], out=tmp_path / "d.jsonl", base_url=server.url,
                     model="m", progress=False)
    assert not (tmp_path / "d.jsonl").exists()  # nothing half-written


def test_limit_config_and_env_settings(folder: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with ChatServer(_echo) as server:
        monkeypatch.setenv("VLMSAFETY_GENERATE_BASE_URL", server.url)
        monkeypatch.setenv("VLMSAFETY_GENERATE_MODEL", "env-model")
        monkeypatch.setenv("VLMSAFETY_GENERATE_API_KEY", "sk-secret")
        s = generate(folder, out=tmp_path / "p.jsonl", configs=["perturbed"], limit=5,
                     progress=False, cache=tmp_path / "c.sqlite")
        assert server.requests[0].headers["authorization"] == "Bearer sk-secret"
    assert (s.n, s.model, s.configs) == (5, "env-model", ("perturbed",))
    lines = _lines(tmp_path / "p.jsonl")
    assert {x["config"] for x in lines} == {"perturbed"} and len(lines) == 5
    assert "sk-secret" not in (tmp_path / "p.jsonl").read_text()
    assert b"sk-secret" not in (tmp_path / "c.sqlite").read_bytes()


def test_setting_and_input_errors(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(EndpointError, match="VLMSAFETY_GENERATE_BASE_URL"):
        generate(_rows(1), out=tmp_path / "p.jsonl", model="m")
    with pytest.raises(EndpointError, match="VLMSAFETY_GENERATE_MODEL"):
        generate(_rows(1), out=tmp_path / "p.jsonl", base_url="http://127.0.0.1:9")
    with pytest.raises(UnknownNameError, match=r"unknown config\(s\) \['train'\].*'clean', "
                                                r"'perturbed'"):
        generate(folder, out=tmp_path / "p.jsonl", base_url="http://127.0.0.1:9", model="m",
                 configs=["train"])
    (tmp_path / "p.jsonl").write_text("keep\n")
    with pytest.raises(OutputExistsError, match="p.jsonl: output file already exists"):
        generate(_rows(1), out=tmp_path / "p.jsonl", base_url="http://127.0.0.1:9", model="m")
    assert (tmp_path / "p.jsonl").read_text() == "keep\n"
    with pytest.raises(DatasetRowError, match="'prompt' must be a string"):
        generate([{"id": "a"}], out=tmp_path / "q.jsonl", base_url="http://127.0.0.1:9",
                 model="m", progress=False)


def test_cli_generate(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VLMSAFETY_CACHE_DIR", str(tmp_path / "cache"))
    assert default_cache() == tmp_path / "cache" / "generate_cache.sqlite"
    out = tmp_path / "p.jsonl"
    base = ["generate", "--dataset", str(folder), "--model", "m", "--out", str(out),
            "--limit", "3"]
    with ChatServer(_echo) as server:
        assert main([*base, "--endpoint", server.url, "--config", "clean", "--config",
                     "perturbed", "--temperature", "0.5", "--max-tokens", "7", "--seed",
                     "3"]) == 0
        body = server.requests[0].json()
        assert (body["temperature"], body["max_tokens"], body["seed"]) == (0.5, 7, 3)
        assert server.count == 6
        text = capsys.readouterr().out
        assert f"wrote 6 lines to {out}" in text and "ok 6, failed 0" in text
        assert "req/s" in text
        assert [x["id"] for x in _lines(out)][:3] == \
            list(datasets.load_dataset(str(folder), "clean", split="test")["id"][:3])

        assert main([*base, "--endpoint", server.url]) == 2
        assert str(out) in capsys.readouterr().err
        assert server.count == 6

        # the cache answers a re-run; other parameters or --no-cache send again
        assert main([*base, "--base-url", server.url, "--overwrite", "--temperature", "0.5",
                     "--max-tokens", "7", "--seed", "3", "--json"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["n"], summary["n_cached"], summary["n_sent"]) == (6, 6, 0)
        assert server.count == 6
        assert main([*base, "--base-url", server.url, "--overwrite"]) == 0
        assert server.count == 12
        assert main([*base, "--base-url", server.url, "--overwrite", "--no-cache"]) == 0
        assert server.count == 18
    assert (tmp_path / "cache" / "generate_cache.sqlite").is_file()


def test_cli_exit_1_on_failures_and_2_on_missing_model(folder: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.jsonl"
    # The first request (the probe) succeeds, the other three fail: fewer than the breaker's 16.
    with ChatServer(lambda req: error_reply(401, "bad key") if req.index else _echo(req)) as server:
        assert main(["generate", "--dataset", str(folder), "--endpoint", server.url, "--model",
                     "m", "--out", str(out), "--limit", "2", "--no-cache"]) == 1
    text = capsys.readouterr().out
    assert "failed 3" in text and "HTTP 401" in text
    lines = _lines(out)
    assert lines[0]["response"] and "error" not in lines[0]
    assert all(x["response"] is None and "bad key" in x["error"] for x in lines[1:])
    # A failing probe: exit 2, the endpoint and its reply named, nothing written.
    out.unlink()
    with ChatServer(lambda req: error_reply(401, "bad key")) as server:
        assert main(["generate", "--dataset", str(folder), "--endpoint", server.url, "--model",
                     "m", "--out", str(out), "--limit", "2", "--no-cache"]) == 2
        assert server.count == 1
    err = capsys.readouterr().err
    assert f"{server.url}/chat/completions failed the first request" in err
    assert "HTTP 401" in err and "bad key" in err and not out.exists()
    assert main(["generate", "--dataset", str(folder), "--endpoint", "http://127.0.0.1:9",
                 "--out", str(tmp_path / "q.jsonl")]) == 2
    assert "VLMSAFETY_GENERATE_MODEL" in capsys.readouterr().err


def test_one_request_per_row_even_when_two_rows_ask_the_same(tmp_path: Path) -> None:
    rows = _rows(3)
    rows.append({**rows[0], "id": "twin"})
    with ChatServer(_echo) as server:
        s = generate(rows, out=tmp_path / "p.jsonl", base_url=server.url, model="m",
                     cache=tmp_path / "c.sqlite", progress=False)
        assert server.count == 4
    assert (s.n_sent, s.n_ok) == (4, 4)
    lines = _lines(tmp_path / "p.jsonl")
    assert lines[3]["id"] == "twin" and lines[3]["response"] == lines[0]["response"]


def test_datasets_objects_as_input(folder: Path, tmp_path: Path) -> None:
    ds = datasets.load_dataset(str(folder), "clean", split="test")
    with ChatServer(_echo) as server:
        s = generate(ds, out=tmp_path / "a.jsonl", base_url=server.url, model="m", limit=4,
                     progress=False)
        it = datasets.load_dataset(str(folder), "clean", split="test", streaming=True)
        s2 = generate(it, out=tmp_path / "b.jsonl", base_url=server.url, model="m", limit=4,
                      progress=False)
    assert (s.n_ok, s2.n_ok) == (4, 4)
    a, b = _lines(tmp_path / "a.jsonl"), _lines(tmp_path / "b.jsonl")
    assert [x["id"] for x in a] == [x["id"] for x in b] == ds["id"][:4]
    assert all("config" not in x for x in a)


def test_rows_stream_across_chunks_in_order_with_cache_hits(tmp_path: Path) -> None:
    """One batch for the whole run: with chunks of 3 rows, 4 requests are in flight at once (the
    old per-chunk batches never had more than 3), replies coming back out of order and cached
    rows in between are still written in dataset order."""
    import asyncio

    state = {"in_flight": 0, "peak": 0}

    async def slow_echo(req: Request) -> Reply:
        state["in_flight"] += 1
        state["peak"] = max(state["peak"], state["in_flight"])
        i = int(last_user_text(req).split()[-1])
        await asyncio.sleep(0.03 + 0.05 * (i % 3 == 0))  # some replies overtake others
        state["in_flight"] -= 1
        return _echo(req)

    rows = _rows(14)
    cache = tmp_path / "c.sqlite"
    with ChatServer(slow_echo) as server:
        generate([rows[i] for i in (1, 4, 5, 9)], out=tmp_path / "a.jsonl", base_url=server.url,
                 model="m", cache=cache, progress=False)
        state["peak"] = 0
        s = generate(rows, out=tmp_path / "b.jsonl", base_url=server.url, model="m",
                     cache=cache, chunk_size=3, concurrency=4, progress=False)
    lines = _lines(tmp_path / "b.jsonl")
    assert [x["id"] for x in lines] == [r["id"] for r in rows]
    assert all(x["response"].startswith(f"{r['prompt']}|") for x, r in zip(lines, rows))
    assert (s.n, s.n_ok, s.n_cached, s.n_sent) == (14, 14, 4, 10)
    assert state["peak"] == 4
