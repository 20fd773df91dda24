"""Secrets stay secret (issue 25, item 1): no API key or URL password in any file or output.

A local server (127.0.0.1) echoes every request header into its error bodies and into some
replies, as many proxies do. Every command that talks to a chat server runs against it, with the
key in the environment or the credentials in the URL, and every file it wrote, the cache
included, and its console output are searched for the secret.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from chat_server import ChatServer, Reply, Request, chat_reply

from vlmsafety.chat_client import ChatClient, RetryPolicy
from vlmsafety.chat_client.redact import redact, strip_credentials
from vlmsafety.cli import main
from vlmsafety.errors import EndpointError

KEY = "sk-test-SECRETKEY-0123456789"
USER, PASSWORD = "alice", "PASSWORD-hunter2-xyz"
SECRETS = (KEY, PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())


def echo(status: int) -> Callable[[Request], Reply]:
    """Every other request: ``status`` with the headers in the body; the others a reply that
    also quotes them (a 200 whose text holds the key)."""

    def handler(req: Request) -> Reply:
        headers = dict(req.headers)
        if status != 200 and (status != 400 or req.index % 2):
            return Reply(status, {"error": {"message": "bad request", "headers": headers}})
        return chat_reply(f"I saw {json.dumps(headers)}\nVERDICT: REFUSAL")

    return handler


def _commands(tmp_path: Path, url: str, dataset: Path) -> dict[str, list[str]]:
    preds = tmp_path / "in" / "p.jsonl"
    preds.parent.mkdir(exist_ok=True)
    # the cascade sends every item to the chat judge (--cascade-threshold above any confidence)
    preds.write_text("".join(json.dumps({"id": f"{c}-0{n}-{kind}",
                                         "response": "Sure, here it is." if kind == "benign"
                                         else "Claro, aquí lo tienes."}) + "\n"
                             for c in ("violent_crimes", "non_violent_crimes") for n in (1, 2)
                             for kind in ("harmful", "benign")),
                     encoding="utf-8")
    corpus = tmp_path / "in" / "c.csv"
    corpus.write_text("id,group,prompt,response,label\n1,g,P1,No.,1\n2,g,P2,Yes.,0\n3,h,P3,Ok,0\n",
                      encoding="utf-8")
    out = tmp_path / "out"
    fast = ["--max-attempts", "1"]
    chat = ["--base-url", url, "--model", "j", "--no-cache", *fast]
    return {
        "generate": ["generate", "--dataset", str(dataset), "--limit", "3", "--endpoint", url,
                     "--model", "m", "--out", str(out / "g.jsonl"),
                     "--cache", str(tmp_path / "gen.sqlite"), *fast],
        "judge": ["judge", "--judge", "chat", "--predictions", str(preds),
                  "--out", str(out / "j.jsonl"), *chat[:-3], "--cache",
                  str(tmp_path / "judge.sqlite")],
        "cascade": ["judge", "--judge", "cascade", "--cascade-threshold", "1.01",
                    "--predictions", str(preds), "--out", str(out / "c.jsonl"), *chat],
        "evaluate": ["evaluate", "--benchmark", "dual", "--dataset", str(dataset),
                     "--predictions", f"m={preds}", "--judge", "chat", "--allow-missing",
                     "--no-plots", "--n-boot", "0", "--out", str(out / "ev"), *chat],
        "judge-eval": ["judge-eval", "--judge", "chat", "--corpus", str(corpus),
                       "--label-map", "1=refusal,0=direct_answer", "--n-boot", "0",
                       "--json", str(out / "je.json"), "--errors", str(out / "je.jsonl"),
                       *chat],
    }


def _leaks(tmp_path: Path, printed: str) -> list[str]:
    found = [f"output: {s}" for s in SECRETS if s in printed]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {s}" for s in SECRETS if s.encode() in data]
    return found


@pytest.mark.parametrize("auth", ["key", "url"])
@pytest.mark.parametrize("status", [400, 401, 500])
def test_no_command_writes_or_prints_a_secret(
        status: int, auth: str, small_dual: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("VLMSAFETY_CACHE_DIR", str(tmp_path / "cache"))
    for var in ("OPENAI_API_KEY", "VLMSAFETY_JUDGE_API_KEY", "VLMSAFETY_GENERATE_API_KEY"):
        monkeypatch.setenv(var, KEY)  # with URL credentials too: this crashed in aiohttp
    with ChatServer(echo(status)) as server:
        url = (server.url if auth == "key"
               else server.url.replace("http://", f"http://{USER}:{PASSWORD}@"))
        seen = []
        for name, argv in _commands(tmp_path, url, small_dual).items():
            before = server.count
            code = main(argv)
            seen.append(name)
            assert server.count > before, (name, capsys.readouterr())  # it talked to the server
            assert code in (0, 1, 2), (name, code)
            printed = "".join(capsys.readouterr())
            assert not _leaks(tmp_path, printed), (name, _leaks(tmp_path, printed))
        sent = [{k.lower(): v for k, v in r.headers.items()}.get("authorization", "")
                for r in server.requests]
    assert len(seen) == 5 and sent  # every command ran and talked to the server
    expected = f"Bearer {KEY}" if auth == "key" else f"Basic {SECRETS[2]}"
    assert set(sent) == {expected}


def test_results_json_and_report_hold_no_url_password(
        small_dual: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ChatServer(echo(200)) as server:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@")
        argv = _commands(tmp_path, url, small_dual)["evaluate"]
        assert main(argv) == 0
    results = json.loads((tmp_path / "out" / "ev" / "results.json").read_text())
    assert f"http://***@127.0.0.1:{server.port}/v1" in results["command"]
    assert not _leaks(tmp_path, "".join(capsys.readouterr()))


def test_probe_and_breaker_messages_name_the_url_without_credentials() -> None:
    with ChatServer(lambda req: Reply(401, {"echo": dict(req.headers)})) as server:
        url = server.url.replace("http://", f"http://{USER}:{PASSWORD}@")
        client = ChatClient(url, "m", KEY, progress=False, retry=RetryPolicy(max_attempts=1))
        with pytest.raises(EndpointError) as err:
            client.complete_many([[{"role": "user", "content": "hi"}]])
        client.close()
    text = str(err.value)
    assert f"{server.url}/chat/completions" in text and "HTTP 401" in text
    assert not [s for s in SECRETS if s in text]
    with pytest.raises(EndpointError) as bad:
        ChatClient(f"ftp://{USER}:{PASSWORD}@h/v1", "m").complete_many([[]])
    assert PASSWORD not in str(bad.value) and "ftp://***@h/v1" in str(bad.value)


def test_redact_rules() -> None:
    assert redact(f"x {KEY} y", [KEY]) == "x *** y"
    assert redact("short key abc", ["abc"]) == "short key abc"  # too short to be a key
    assert redact(f"https://{USER}:{PASSWORD}@h/v1 and {PASSWORD}") == "https://***@h/v1 and " \
        f"{PASSWORD}"  # a bare password is known only with its URL
    assert strip_credentials(f"http://{USER}:{PASSWORD}@h:1/v1") == "http://h:1/v1"


def test_a_download_url_with_a_password_is_not_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`build vsc --base-url` fetches release files: an error names the URL without its password."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["build", "vsc", "--images", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--base-url", f"http://{USER}:{PASSWORD}@127.0.0.1:{port}", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert "http://***@127.0.0.1" in err and PASSWORD not in err
