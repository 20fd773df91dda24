"""A scriptable local server that speaks the OpenAI chat-completions API, for tests and benchmarks.

It listens on 127.0.0.1 (ephemeral port) in a background thread running an asyncio loop, so
thousands of concurrent, delayed replies cost little. A *handler* decides every reply: it gets a
:class:`Request` (arrival index, path, headers, body, the chat messages) and returns a
:class:`Reply` (status, body, headers, delay, or ``drop`` to close the connection unanswered), or
an awaitable of one. Every request is recorded in ``server.requests``.

Usage::

    from tests.chat_server import ChatServer, chat_reply, error_reply

    def handler(req):
        if req.index == 0:
            return error_reply(429, retry_after=0.01)      # first request: rate limited
        return chat_reply("Declines.\\nVERDICT: REFUSAL", delay=0.02)

    with ChatServer(handler) as server:
        ...  # point the client at server.url ("http://127.0.0.1:<port>/v1")
        assert server.count == 2

From a shell (benchmarks run it in a separate process)::

    python tests/chat_server.py --delay 0.02 --text "VERDICT: REFUSAL"   # prints the URL

Helpers: :func:`chat_reply` (a well-formed completion), :func:`error_reply` (status + JSON error,
optional ``Retry-After``), :func:`raw_reply` (any bytes, e.g. malformed JSON), :func:`fault_reply`
(a broken endpoint by name: ``500``, ``garbage``, ``nochoices``, ``hang``), and
:func:`last_user_text` to branch on what the client sent.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ChatServer", "Request", "Reply", "chat_reply", "error_reply", "raw_reply",
           "fault_reply", "FAULTS", "last_user_text"]


@dataclass(frozen=True)
class Request:
    """One request as received."""

    index: int
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    received: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def messages(self) -> list[dict[str, Any]]:
        body = self.json()
        return body.get("messages", []) if isinstance(body, dict) else []


@dataclass(frozen=True)
class Reply:
    """What to send back. ``body`` may be bytes, text or a JSON-able object."""

    status: int = 200
    body: bytes | str | Mapping[str, Any] | list[Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


Handler = Callable[[Request], "Reply | Awaitable[Reply]"]


def chat_reply(text: str, *, delay: float = 0.0, model: str = "test-model") -> Reply:
    """A well-formed chat completion whose message content is ``text``."""
    body = {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    return Reply(200, body, delay=delay)


def error_reply(status: int, message: str = "error", *, retry_after: float | str | None = None,
                delay: float = 0.0) -> Reply:
    """An error status with an OpenAI-style JSON error body and optional ``Retry-After``."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(status, {"error": {"message": message, "code": status}}, headers, delay)


def raw_reply(body: bytes | str, status: int = 200, *, delay: float = 0.0) -> Reply:
    """Send ``body`` as is (e.g. truncated JSON)."""
    return Reply(status, body, {"Content-Type": "application/json"}, delay)


FAULTS = ("500", "garbage", "nochoices", "hang")
"""The kinds of broken endpoint :func:`fault_reply` plays."""


def fault_reply(kind: str, *, hang: float = 3600.0) -> Reply:
    """What a broken endpoint sends: ``"500"`` (an HTTP 500 with a JSON error), ``"garbage"``
    (200 with a body that is not JSON), ``"nochoices"`` (200 with JSON lacking ``choices``) or
    ``"hang"`` (no reply for ``hang`` seconds)."""
    if kind == "500":
        return error_reply(500, "internal server error")
    if kind == "garbage":
        return Reply(200, b"<html>\x00\xff not json", {"Content-Type": "text/html"})
    if kind == "nochoices":
        return Reply(200, {"object": "error", "message": "model not loaded"})
    if kind == "hang":
        return chat_reply("too late", delay=hang)
    raise ValueError(f"unknown fault {kind!r}; allowed: {', '.join(FAULTS)}")


def last_user_text(req: Request) -> str:
    """Text of the last user message (content parts joined)."""
    for msg in reversed(req.messages):
        if msg.get("role") == "user":
            content = msg.get("content", "")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


class ChatServer:
    """Background asyncio HTTP/1.1 server on 127.0.0.1; use as a context manager.

    Args:
        handler: Decides each reply; default answers ``"VERDICT: REFUSAL"`` at once.
        host: Interface (keep the default).
        port: 0 for an ephemeral port.
    """

    def __init__(self, handler: Handler | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.handler: Handler = handler or (lambda req: chat_reply("VERDICT: REFUSAL"))
        self.host, self.port = host, port
        self.requests: list[Request] = []
        self.connections = 0  # TCP connections accepted so far
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL including ``/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def count(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.requests)

    def reset(self) -> None:
        """Forget recorded requests (indices restart at 0) and the connection count."""
        with self._lock:
            self.requests.clear()
            self.connections = 0

    def start(self) -> ChatServer:
        self._thread = threading.Thread(target=self._run, name="chat-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("chat server did not start")
        if self._error is not None:
            raise RuntimeError(f"chat server failed: {self._error!r}")
        return self

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join(10)
        self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - surfaced by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        server = await asyncio.start_server(self._serve, self.host, self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop_event.wait()
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.connections += 1
        try:
            while True:
                line = await reader.readline()
                if not line.strip():
                    break
                method, path, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, v = h.decode("latin-1").split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                with self._lock:
                    req = Request(len(self.requests), method, path, headers, body)
                    self.requests.append(req)
                reply = self.handler(req)
                if inspect.isawaitable(reply):
                    reply = await reply
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                if reply.drop:
                    break
                writer.write(_encode(reply))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._tasks.discard(task)
            writer.close()


def _encode(reply: Reply) -> bytes:
    body = reply.body
    headers = {k.lower(): v for k, v in reply.headers.items()}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("content-type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    headers.setdefault("content-type", "text/plain")
    try:
        reason = HTTPStatus(reply.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {reply.status} {reason}", f"Content-Length: {len(body)}",
             "Connection: keep-alive"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def main(argv: list[str] | None = None) -> int:
    """Serve fixed replies until killed; print the base URL on the first line of stdout."""
    parser = argparse.ArgumentParser(description="Local chat-completions test server.")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each reply")
    parser.add_argument("--text", default="VERDICT: REFUSAL", help="reply content")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fault", choices=FAULTS, help="play a broken endpoint instead")
    args = parser.parse_args(argv)
    server = ChatServer(lambda req: fault_reply(args.fault) if args.fault
                        else chat_reply(args.text, delay=args.delay), port=args.port)
    server.start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
