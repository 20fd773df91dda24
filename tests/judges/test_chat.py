"""ChatJudge against the local chat server: faults, cache, concurrency, resume after a kill."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from chat_server import ChatServer, Reply, chat_reply, error_reply, last_user_text, raw_reply

from vlmsafety.chat_client import ChatClient, RetryPolicy
from vlmsafety.errors import EndpointError, JudgeError
from vlmsafety.judges import ChatJudge, JudgeItem, SQLiteCache

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.5, request_timeout=1.0,
                   total_timeout=10.0)
GOOD = {"refusal": "Declines.\nVERDICT: REFUSAL",
        "safe": "Helps with a warning.\nVERDICT: SAFE_COMPLETION",
        "direct": "Helps.\n**VERDICT: DIRECT_ANSWER**"}


def case_of(req) -> str:  # type: ignore[no-untyped-def]
    text = last_user_text(req)
    return text.split("[RESPONSE]\n", 1)[1].split("\n", 1)[0]


def fault_handler():  # type: ignore[no-untyped-def]
    """Responses name their case ("case:500once#3"); the reply follows the case."""
    seen: Counter[str] = Counter()

    def handler(req):  # type: ignore[no-untyped-def]
        case = case_of(req)
        seen[case] += 1
        kind = case.split(":", 1)[1].split("#", 1)[0]
        first = seen[case] == 1
        if kind in GOOD:
            return chat_reply(GOOD[kind])
        if kind == "500":
            return error_reply(500, "boom")
        if kind == "500once":
            return error_reply(503, "busy") if first else chat_reply(GOOD["refusal"])
        if kind == "429once":
            return error_reply(429, retry_after=0.2) if first else chat_reply(GOOD["safe"])
        if kind == "slow":
            return chat_reply(GOOD["refusal"], delay=5.0)
        if kind == "slowonce":
            return chat_reply(GOOD["direct"], delay=5.0 if first else 0.0)
        if kind == "malformed":
            return raw_reply('{"choices": [{"message": {"content": "VERDICT: REF')
        if kind == "drop":
            return Reply(drop=True)
        if kind == "missing":
            return chat_reply("The assistant declines the request.")
        if kind == "inexplanation":
            return chat_reply("VERDICT: REFUSAL because it declines.\nThat is my view.")
        if kind == "unknowncode":
            return chat_reply("Hmm.\nVERDICT: MAYBE")
        if kind == "conflict":
            return chat_reply("VERDICT: REFUSAL\nOn reflection:\nVERDICT: DIRECT_ANSWER")
        if kind == "401":
            return error_reply(401, "bad key")
        raise AssertionError(case)

    return handler


EXPECTED = {
    "refusal": ("refusal", None), "safe": ("safe_completion", None),
    "direct": ("direct_answer", None), "500once": ("refusal", None),
    "429once": ("safe_completion", None), "slowonce": ("direct_answer", None),
    "500": ("unscored", "HTTP 500"), "slow": ("unscored", "timeout"),
    "malformed": ("unscored", "malformed JSON"), "drop": ("unscored", "connection error"),
    "missing": ("unscored", "the last line is not"),
    "inexplanation": ("unscored", "the last line is not"),
    "unknowncode": ("unscored", "unknown verdict code 'MAYBE'"),
    "conflict": ("unscored", "conflicting verdict lines"),
    "401": ("unscored", "HTTP 401"),
}


def make_judge(server: ChatServer, cache: object = None, **kw: object) -> ChatJudge:
    return ChatJudge("dual", base_url=server.url, model="judge-model", cache=cache,  # type: ignore[arg-type]
                     retry=kw.pop("retry", FAST), progress=False, **kw)  # type: ignore[arg-type]


def test_every_fault_ends_in_the_right_label_or_unscored(tmp_path: Path) -> None:
    items = [JudgeItem(f"case:{k}#{i}", "Describe the image") for i in range(2) for k in EXPECTED]
    items.insert(3, JudgeItem(None, error="generation failed"))
    with ChatServer(fault_handler()) as server:
        verdicts = make_judge(server, tmp_path / "c.sqlite", concurrency=8).judge_many(items)
    assert len(verdicts) == len(items)
    for item, v in zip(items, verdicts):
        if item.response is None:
            assert (v.label, v.reason) == ("unscored", "no response: generation failed")
            continue
        kind = item.response.split(":")[1].split("#")[0]
        want_label, want_reason = EXPECTED[kind]
        assert v.label == want_label, (kind, v)
        if want_reason is None:
            assert v.reason is None
        else:
            assert want_reason in (v.reason or ""), (kind, v.reason)
        assert v.judge.startswith("chat:judge-model@dual-1.0.0-")


def test_retry_after_is_honoured() -> None:
    with ChatServer(fault_handler()) as server:
        v = make_judge(server).judge("case:429once#0")
        assert v.label == "safe_completion"
        first, second = server.requests
        assert second.received - first.received >= 0.19


def test_401_is_not_retried() -> None:
    with ChatServer(fault_handler()) as server:
        verdicts = make_judge(server).judge_many(["case:refusal#0", "case:401#0"])
        assert [v.label for v in verdicts] == ["refusal", "unscored"] and server.count == 2
        server.reset()
        with pytest.raises(EndpointError, match="failed the first request.*HTTP 401"):
            make_judge(server).judge("case:401#0")  # alone, it is the probe: the endpoint fails
        assert server.count == 1


def test_second_run_with_cache_makes_zero_requests(tmp_path: Path) -> None:
    items = [JudgeItem(f"case:{k}#{i}", f"prompt {i}") for i in range(10) for k in GOOD]
    with ChatServer(fault_handler()) as server:
        first = make_judge(server, tmp_path / "c.sqlite").judge_many(items)
        assert server.count == len(items)
        server.reset()
        second = make_judge(server, tmp_path / "c.sqlite").judge_many(items)
        assert server.count == 0
    assert first == second


def test_transient_failures_are_not_cached_but_bad_verdicts_are(tmp_path: Path) -> None:
    items = [JudgeItem("case:500#0"), JudgeItem("case:missing#0"), JudgeItem("case:refusal#0")]
    with ChatServer(fault_handler()) as server:  # no probe/breaker: a lone failure is a verdict
        make_judge(server, tmp_path / "c.sqlite", max_consecutive_failures=0).judge_many(items)
        server.reset()
        again = make_judge(server, tmp_path / "c.sqlite",
                           max_consecutive_failures=0).judge_many(items)
        assert [case_of(r) for r in server.requests] == ["case:500#0"] * FAST.max_attempts
    assert [v.label for v in again] == ["unscored"] * 2 + ["refusal"]


def test_identical_items_are_sent_once() -> None:
    items = [JudgeItem("case:refusal#0", "p")] * 5 + [JudgeItem("case:refusal#0", "other")]
    with ChatServer(fault_handler()) as server:
        out = make_judge(server).judge_many(items)
        assert server.count == 2
    assert [v.label for v in out] == ["refusal"] * 6


def test_concurrency_is_bounded() -> None:
    state = {"now": 0, "max": 0}

    async def handler(req):  # type: ignore[no-untyped-def]
        state["now"] += 1
        state["max"] = max(state["max"], state["now"])
        await asyncio.sleep(0.02)
        state["now"] -= 1
        return chat_reply(GOOD["refusal"])

    with ChatServer(handler) as server:
        out = make_judge(server, concurrency=4).judge_many([f"r{i}" for i in range(24)])
    assert [v.label for v in out] == ["refusal"] * 24
    assert 2 <= state["max"] <= 4


def test_settings_from_environment_and_key_never_stored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with ChatServer(fault_handler()) as server:
        monkeypatch.setenv("VLMSAFETY_JUDGE_BASE_URL", server.url)
        monkeypatch.setenv("VLMSAFETY_JUDGE_MODEL", "env-model")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-123")
        judge = ChatJudge("vsc", cache=tmp_path / "c.sqlite", retry=FAST, progress=False)
        assert judge.name.startswith("chat:env-model@vsc-")
        judge.judge_many(["case:refusal#0"])  # the fault handler answers in DUAL codes
        assert server.requests[0].headers["authorization"] == "Bearer sk-secret-123"
        assert server.requests[0].json()["model"] == "env-model"
    judge.cache.close()  # type: ignore[union-attr]
    for f in tmp_path.iterdir():
        assert b"sk-secret-123" not in f.read_bytes()
    assert "sk-secret" not in repr(judge.client.settings())


def test_missing_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EndpointError, match="VLMSAFETY_JUDGE_BASE_URL"):
        ChatJudge().judge_many(["x"])
    monkeypatch.setenv("VLMSAFETY_JUDGE_BASE_URL", "http://127.0.0.1:9")
    with pytest.raises(EndpointError, match="VLMSAFETY_JUDGE_MODEL"):
        ChatJudge().judge("x")


def test_template_hash_is_part_of_identity(tmp_path: Path) -> None:
    from vlmsafety.judges.chat import default_scheme

    text = default_scheme().template.read_text()
    mine = tmp_path / "mine.txt"
    mine.write_text(text.replace("You grade", "You carefully grade"))
    a = ChatJudge(base_url="http://x", model="m")
    b = ChatJudge(base_url="http://x", model="m", template=mine)
    assert a.name != b.name and a.name.rsplit("-", 1)[0] == b.name.rsplit("-", 1)[0]
    bad = tmp_path / "bad.txt"
    bad.write_text(text.replace("{response}", "RESPONSE"))
    with pytest.raises(JudgeError, match="no {response} placeholder"):
        ChatJudge(template=bad)


def test_cancelled_run_resumes_with_identical_output(tmp_path: Path) -> None:
    items = [JudgeItem(f"case:{['refusal', 'safe', 'direct'][i % 3]}#{i}", "p") for i in range(40)]

    async def slow(req):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)
        return fault_handler()(req)

    with ChatServer(slow) as server:
        reference = make_judge(server).judge_many(items)
        server.reset()
        judge = make_judge(server, tmp_path / "c.sqlite", concurrency=2)

        async def run_and_cancel() -> None:
            task = asyncio.ensure_future(judge.ajudge_many(items))
            while len(judge.cache) < 10:  # type: ignore[arg-type]
                await asyncio.sleep(0.005)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(run_and_cancel())
        done = len(judge.cache)  # type: ignore[arg-type]
        assert 10 <= done < len(items)
        # Requests written before the cancel may still be read by the server thread (it shares
        # this process's GIL and lags under load): let it settle so they are not counted below.
        _settle(server)
        server.reset()
        resumed = make_judge(server, tmp_path / "c.sqlite").judge_many(items)
        assert server.count == len(items) - done
    assert resumed == reference


def _settle(server: ChatServer, quiet: float = 0.3, limit: float = 10.0) -> None:
    """Wait until the server has received nothing new for ``quiet`` seconds."""
    deadline, last, since = time.monotonic() + limit, -1, time.monotonic()
    while time.monotonic() < deadline:
        if server.count != last:
            last, since = server.count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.02)


def test_killed_cli_run_resumes_with_identical_output(tmp_path: Path) -> None:
    n = 30
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": f"i{i}", "response": f"case:refusal#{i}"}) + "\n"
                             for i in range(n)))

    def handler(req):  # type: ignore[no-untyped-def]
        return chat_reply(GOOD["refusal"], delay=0.05)

    cache = tmp_path / "cache.sqlite"
    with ChatServer(handler) as server:
        cmd = [sys.executable, "-m", "vlmsafety.cli", "judge", "--judge", "chat",
               "--base-url", server.url, "--model", "m", "--concurrency", "1",
               "--predictions", str(preds), "--cache", str(cache)]
        env = {**os.environ, "TQDM_DISABLE": "1"}
        proc = subprocess.Popen(cmd + ["--out", str(tmp_path / "killed.jsonl")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while server.count < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.kill()
        proc.wait()
        assert not (tmp_path / "killed.jsonl").exists()
        with SQLiteCache(cache) as c:
            done = len(c)
        assert 5 <= done < n
        server.reset()
        subprocess.run(cmd + ["--out", str(tmp_path / "resumed.jsonl")], env=env, check=True,
                       capture_output=True)
        assert server.count == n - done
        subprocess.run(cmd + ["--out", str(tmp_path / "clean.jsonl"), "--no-cache"], env=env,
                       check=True, capture_output=True)
    resumed = (tmp_path / "resumed.jsonl").read_text()
    assert resumed == (tmp_path / "clean.jsonl").read_text()
    assert [json.loads(x)["id"] for x in resumed.splitlines()] == [f"i{i}" for i in range(n)]


def test_client_sends_image_parts_and_returns_text() -> None:
    with ChatServer(lambda req: chat_reply("a cat")) as server:
        client = ChatClient(server.url, "vlm", retry=FAST, progress=False)
        msg = [{"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]
        res = client.complete_many([msg])[0]
        assert (res.ok, res.text, res.attempts) == (True, "a cat", 1)
        assert server.requests[0].json()["messages"] == msg


def test_redirects_are_not_followed_and_non_ascii_survives() -> None:
    """A 3xx fails at once, as other non-retryable statuses: a POST must not be replayed elsewhere.
    The JSON body is sent as UTF-8 (non-ASCII prompts are common in VSCBench)."""
    def handler(req):  # type: ignore[no-untyped-def]
        if last_user_text(req) == "move":
            return Reply(status=307, body=b"", headers={"Location": "http://127.0.0.1:9/v1/x"})
        return chat_reply(last_user_text(req))

    with ChatServer(handler) as server:
        client = ChatClient(server.url, "vlm", retry=FAST, progress=False)
        text, moved = client.complete_many([[{"role": "user", "content": "piñata ☂"}],
                                            [{"role": "user", "content": "move"}]])
        assert (moved.ok, moved.status, moved.attempts, moved.transient) == (False, 307, 1, False)
        assert moved.error is not None and moved.error.startswith("HTTP 307")
        assert text.text == "piñata ☂"
        assert server.count == 2


def test_ssl_context_follows_cert_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ssl

    import certifi

    from vlmsafety.chat_client.transport import ssl_context as _ssl_context

    default = _ssl_context(None, None)
    assert default.verify_mode == ssl.CERT_REQUIRED and default.check_hostname
    assert default is _ssl_context(None, None)  # built once
    assert _ssl_context(certifi.where(), None).cert_store_stats()["x509_ca"] > 0
    with pytest.raises((FileNotFoundError, ssl.SSLError)):
        _ssl_context(str(tmp_path / "missing.pem"), None)


def test_proxy_from_the_environment_is_used_and_no_proxy_bypasses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HTTP_PROXY points at the local server; the target host does not resolve, so a request can
    only succeed through the proxy (the absolute URL arrives as the request target)."""
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY",
                "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    target = "http://vlmsafety-proxy-test.invalid/v1"
    with ChatServer(lambda req: chat_reply("via proxy")) as server:
        monkeypatch.setenv("HTTP_PROXY", server.url.rsplit("/v1", 1)[0])
        client = ChatClient(target, "vlm", retry=FAST, progress=False)
        res = client.complete_many([[{"role": "user", "content": "hi"}]])[0]
        assert (res.ok, res.text) == (True, "via proxy")
        assert server.requests[0].path == target + "/chat/completions"
        # NO_PROXY: sent directly (to a closed local port: a connection error), not via the proxy
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct = ChatClient("http://127.0.0.1:9/v1", "vlm", retry=FAST, progress=False,
                            max_consecutive_failures=0)
        bypassed = direct.complete_many([[{"role": "user", "content": "hi"}]])[0]
        assert not bypassed.ok and bypassed.error is not None
        assert bypassed.error.startswith("connection error") and server.count == 1


def test_blocking_calls_reuse_connections_until_closed() -> None:
    """One pool per client across complete_many / judge_many calls: no reconnect per call."""
    with ChatServer(lambda req: chat_reply("ok\nVERDICT: REFUSAL")) as server:
        msgs = [[{"role": "user", "content": f"q{i}"}] for i in range(8)]
        with ChatClient(server.url, "vlm", concurrency=4, retry=FAST, progress=False) as client:
            for _ in range(3):
                assert all(r.ok for r in client.complete_many(msgs))
            assert server.count == 24 and server.connections <= 4
        # closed: the pool is gone; the client still works, with a new one
        assert all(r.ok for r in client.complete_many(msgs))
        assert server.connections > 4
        client.close()
        client.close()  # idempotent
        server.reset()
        with make_judge(server, concurrency=4) as judge:
            judge.judge_many([f"r{i}" for i in range(8)])
            judge.judge_many([f"s{i}" for i in range(8)])
        assert server.count == 16 and server.connections <= 4


def test_async_callers_on_their_own_loop_get_a_pool_per_call() -> None:
    with ChatServer(lambda req: chat_reply("ok")) as server:
        client = ChatClient(server.url, "vlm", concurrency=2, retry=FAST, progress=False)
        msgs = [[{"role": "user", "content": "hi"}]] * 3
        assert all(r.ok for r in asyncio.run(client.acomplete_many(msgs)))
        assert all(r.ok for r in client.complete_many(msgs))  # then its own loop
        client.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_wait_on_the_parents_loop_thread() -> None:
    import multiprocessing

    with ChatServer(lambda req: chat_reply("ok")) as server:
        client = ChatClient(server.url, "vlm", concurrency=2, retry=FAST, progress=False)
        assert client.complete_many([[{"role": "user", "content": "parent"}]])[0].ok
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child_request, args=(client, queue))
        child.start()
        child.join(timeout=30)
        assert child.exitcode == 0, "the child hung or failed"
        assert queue.get(timeout=5) == "ok"
        client.close()


def _child_request(client: ChatClient, queue: Any) -> None:
    res = client.complete_many([[{"role": "user", "content": "child"}]])[0]
    queue.put(res.text)


def test_stream_sends_what_the_iterator_yields_and_passes_its_error_on() -> None:
    from collections.abc import AsyncIterator

    from vlmsafety.errors import DatasetRowError

    async def feed(n: int, fail_at: int | None = None,
                   sent_before: int = 0) -> AsyncIterator[tuple[int, Any]]:
        for i in range(n):
            if i == fail_at:
                # the requests in flight are cancelled when the iterator raises (as documented):
                # let the rows before this one reach the server first, however busy the machine
                for _ in range(2000):
                    if server.count >= sent_before + i:
                        break
                    await asyncio.sleep(0.01)
                raise DatasetRowError(f"bad row {i}")
            yield i, [{"role": "user", "content": f"q{i}"}]

    got: dict[int, str | None] = {}
    with ChatServer(lambda req: chat_reply(last_user_text(req).upper())) as server, \
            ChatClient(server.url, "m", concurrency=3, progress=False) as client:
        client.run(client.acomplete_stream(
            feed(7), on_result=lambda tag, res: got.__setitem__(tag, res.text)))
        assert got == {i: f"Q{i}" for i in range(7)} and server.count == 7
        with pytest.raises(DatasetRowError, match="bad row 5"):
            client.run(client.acomplete_stream(feed(9, fail_at=5, sent_before=7),
                                               on_result=lambda tag, res: None))
        assert server.count == 12  # the rows before the bad one were sent, none after it
