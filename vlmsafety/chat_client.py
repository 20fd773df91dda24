"""An async client for OpenAI-compatible ``/v1/chat/completions`` endpoints (vLLM, TGI, Ollama, APIs).

Used by the chat judge and by ``vlmsafety generate``. A request is any ``messages`` list (text, or
content parts with ``image_url`` data URLs); a result is the reply text or the reason there is
none. Nothing is raised per request: every request ends in a :class:`ChatResult`, so one failure
never loses the other items, and a failure is never an empty response.

* Bounded concurrency: at most ``concurrency`` requests in flight (that many workers share one
  aiohttp connection pool of that size), progress bar.
* Retries with exponential backoff and jitter on 429 (``Retry-After`` honoured), 408, 5xx,
  timeouts, connection errors and malformed bodies; bounded by ``max_attempts`` and by
  ``total_timeout`` seconds per request. Other 4xx (bad key, unknown model) fail at once.
* Settings (base URL, model, API key) come from arguments or the environment, read at call time
  and never written anywhere. The API key is optional (local servers need none).
* Connections persist: the blocking calls (:meth:`ChatClient.complete_many`, the chat judge's
  ``judge_many``, ``generate``'s chunks) run on one event loop per client, in a background
  thread, whose connection pool lives until :meth:`ChatClient.close` (or the client is garbage
  collected), so consecutive calls do not reconnect (64 TCP connects cost ~27 ms per call here;
  TLS handshakes to a remote API far more). Async callers on their own loop get a pool per call.
* Transport: aiohttp. At 64 requests in flight against a server answering after 20 ms, httpx
  spent ~1 ms of Python per request and reached 0.30 of the ideal rate on 2 cores; aiohttp
  reaches 0.8 (``benchmarks/bench_chat.py``). Proxies from ``HTTP(S)_PROXY``/``NO_PROXY`` are
  honoured, looked up once per batch (aiohttp's own ``trust_env`` looks them up in a thread on
  every request, which alone cost a third of the rate at 64 in flight). Certificates are
  verified against certifi's bundle unless ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` name another.
  Redirects are not followed (a 3xx fails at once, as other 4xx).

Example:
    >>> client = ChatClient(base_url="http://127.0.0.1:9", model="m", retry=RetryPolicy(
    ...     max_attempts=2, backoff_base=0.001, request_timeout=0.5), progress=False)
    >>> r = client.complete_many([[{"role": "user", "content": "hi"}]])[0]
    >>> (r.ok, r.text, r.transient, r.attempts)
    (False, None, True, 2)
    >>> r.error.startswith("connection error")
    True
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import os
import random
import ssl
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vlmsafety.errors import EndpointError, InvalidArgumentError

__all__ = [
    "ChatClient",
    "ChatResult",
    "ChatSettings",
    "RetryPolicy",
    "Messages",
    "resolve_settings",
    "chat_url",
    "image_data_url",
    "run_sync",
]

Messages = Sequence[Mapping[str, Any]]
"""An OpenAI chat ``messages`` list."""

_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one request.

    Attributes:
        max_attempts: Attempts per request, first included.
        backoff_base: Seconds before the second attempt; doubles each time (with jitter: a
            uniformly random factor in [0.5, 1.5]).
        backoff_max: Cap on one wait (also on an honoured ``Retry-After``).
        request_timeout: Seconds for one HTTP attempt.
        total_timeout: Seconds for all attempts of one request, waits included.
    """

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    request_timeout: float = 120.0
    total_timeout: float = 600.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidArgumentError(f"max_attempts must be >= 1, got {self.max_attempts}")
        for name in ("backoff_base", "backoff_max", "request_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise InvalidArgumentError(f"{name} must be > 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class ChatResult:
    """The outcome of one request.

    Attributes:
        text: The reply (``choices[0].message.content``), or ``None`` on failure.
        error: Why there is no text (``"HTTP 500 after 6 attempts: ..."``), or ``None``.
        attempts: HTTP attempts made.
        transient: ``True`` when the failure may go away on a re-run (429, 5xx, timeouts,
            connection errors, malformed bodies); callers should not cache such failures.
        status: The last HTTP status, when there was one.
        raw: The parsed JSON body of the successful reply (for usage, finish reason, ...).
    """

    text: str | None
    error: str | None = None
    attempts: int = 1
    transient: bool = False
    status: int | None = None
    raw: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """Whether a reply text was obtained."""
        return self.text is not None


@dataclass(frozen=True)
class ChatSettings:
    """Resolved endpoint settings. ``repr`` hides the key."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)


def resolve_settings(
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    *,
    env_prefix: str = "VLMSAFETY_JUDGE",
) -> ChatSettings:
    """Settings from arguments, else from ``<env_prefix>_BASE_URL`` / ``_MODEL`` / ``_API_KEY``.

    The key falls back to ``OPENAI_API_KEY`` and may be absent (local servers).

    Raises:
        EndpointError: base URL or model is missing; the message names the variable.

    Example:
        >>> resolve_settings("http://localhost:8000/v1", "qwen", "secret")
        ChatSettings(base_url='http://localhost:8000/v1', model='qwen')
        >>> import os; os.environ.pop("VLMSAFETY_JUDGE_MODEL", None) and None
        >>> resolve_settings("http://localhost:8000")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.EndpointError: no model given: pass model=... (--model) or set VLMSAFETY_JUDGE_MODEL
    """
    env = os.environ
    url = base_url or env.get(f"{env_prefix}_BASE_URL")
    if not url:
        raise EndpointError(
            f"no endpoint given: pass base_url=... (--base-url) or set {env_prefix}_BASE_URL "
            "(an OpenAI-compatible server, e.g. http://localhost:8000/v1)"
        )
    name = model or env.get(f"{env_prefix}_MODEL")
    if not name:
        raise EndpointError(f"no model given: pass model=... (--model) or set {env_prefix}_MODEL")
    key = api_key or env.get(f"{env_prefix}_API_KEY") or env.get("OPENAI_API_KEY") or None
    return ChatSettings(url, name, key)


def chat_url(base_url: str) -> str:
    """The chat-completions URL for a base URL given with or without ``/v1``.

    Example:
        >>> chat_url("http://h:8000"), chat_url("http://h:8000/v1/")
        ('http://h:8000/v1/chat/completions', 'http://h:8000/v1/chat/completions')
        >>> chat_url("https://api.example.com/openai/v1/chat/completions")
        'https://api.example.com/openai/v1/chat/completions'
    """
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if url.endswith("/v1"):
        return url + "/chat/completions"
    return url + "/v1/chat/completions"


def image_data_url(data: bytes, mime: str = "image/png") -> str:
    """A ``data:`` URL for an ``image_url`` content part.

    Example:
        >>> image_data_url(b"abc")
        'data:image/png;base64,YWJj'
    """
    import base64

    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _text(raw: bytes, limit: int) -> str:
    """The start of a body as text, for error messages."""
    return raw[:limit].decode("utf-8", errors="replace")


def _reply_text(body: Any) -> str | None:
    try:
        content = body["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content if isinstance(content, str) and content.strip() else None


@functools.lru_cache(maxsize=4)
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """A verifying SSL context, built once per CA setting (loading a CA bundle costs ~20 ms).

    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` (the cache key) win, as in OpenSSL; otherwise certifi's
    bundle (what httpx and requests use), else the system's default paths.
    """
    if cert_file or cert_dir:
        return ssl.create_default_context(cafile=cert_file, capath=cert_dir)
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi comes with httpx / requests
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


def _env_proxy(url: str) -> str | None:
    """The proxy the environment sets for ``url`` (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``,
    lower case too; urllib's rules), or ``None`` when there is none or ``NO_PROXY`` exempts the
    host (tested in ``tests/judges/test_chat.py``)."""
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all") or None


def run_sync(coro: Awaitable[Any]) -> Any:
    """Run a coroutine from sync code, also when an event loop is already running (Jupyter).

    Example:
        >>> async def two():
        ...     return 2
        >>> run_sync(two())
        2
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)  # type: ignore[arg-type]
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="vlmsafety-run-sync")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class _LoopThread:
    """An event loop running in a daemon thread, and the aiohttp session that lives on it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self.session: Any = None
        self.session_key: tuple[Any, ...] | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="vlmsafety-chat-loop")
        self._thread.start()

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run ``coro`` on the loop and wait; an interrupt (Ctrl-C) cancels it, then re-raises."""
        future: Any = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        try:
            return future.result()
        except BaseException:
            if not future.done():
                future.cancel()
                try:  # let the cancellation run its cleanup (cache writes, connections)
                    future.result(timeout=10)
                except BaseException:  # noqa: BLE001 - the interrupt below is what matters
                    pass
            raise

    async def close_session(self) -> None:
        if self.session is not None:
            await self.session.close()
        self.session = self.session_key = None

    def close(self) -> None:
        """Close the session, stop the loop and join the thread (idempotent; fork-aware)."""
        if self.loop.is_closed():
            return
        if threading.current_thread() is self._thread:  # collected on the loop itself: no join
            self.loop.create_task(self.close_session()).add_done_callback(
                lambda _: self.loop.stop())
            return
        if os.getpid() == self.pid and self._thread.is_alive():
            try:
                self.run(self.close_session())
            finally:
                self.loop.call_soon_threadsafe(self.loop.stop)
                self._thread.join(timeout=10)
        if not self.loop.is_running():
            self.loop.close()


class ChatClient:
    """Bounded-concurrency, retrying client for one OpenAI-compatible endpoint.

    Args:
        base_url: Server URL, with or without ``/v1``; default ``$<env_prefix>_BASE_URL``.
        model: Model name; default ``$<env_prefix>_MODEL``.
        api_key: Bearer token; default ``$<env_prefix>_API_KEY``, then ``$OPENAI_API_KEY``, else none.
        concurrency: Requests in flight at most.
        retry: The :class:`RetryPolicy`.
        params: Extra request fields (``temperature``, ``max_tokens``, ``seed``...).
        env_prefix: Prefix of the environment variables (``VLMSAFETY_JUDGE``; ``generate`` uses its own).
        progress: Show a tqdm progress bar in :meth:`acomplete_many`.

    Settings are resolved at every call, so changing the environment between calls takes effect,
    and the key is never stored on the object. Blocking calls keep their connections open for the
    next call; :meth:`close` (or ``with ChatClient(...) as client:``) releases them.
    """

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        *,
        concurrency: int = 8,
        retry: RetryPolicy | None = None,
        params: Mapping[str, Any] | None = None,
        env_prefix: str = "VLMSAFETY_JUDGE",
        progress: bool = True,
    ) -> None:
        if concurrency < 1:
            raise InvalidArgumentError(f"concurrency must be >= 1, got {concurrency}")
        self._base_url, self._model = base_url, model
        self._api_key = api_key  # kept in memory only; never written or logged
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.params = dict(params or {})
        self.env_prefix = env_prefix
        self.progress = progress
        self._loop: _LoopThread | None = None
        self._finalizer: weakref.finalize | None = None

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the kept-open connections and stop the client's loop thread (idempotent; the
        client can still be used afterwards and starts a new one)."""
        if self._finalizer is not None:
            self._finalizer()  # runs _LoopThread.close once
        self._loop = self._finalizer = None

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on this client's event loop (in its background thread) and return
        its result. :meth:`acomplete_many` awaited there reuses the client's open connections;
        this is how the blocking methods and the chat judge call it."""
        loop = self._loop
        if loop is None or loop.pid != os.getpid():  # a forked child has no loop thread
            loop = self._loop = _LoopThread()
            self._finalizer = weakref.finalize(self, loop.close)
        return loop.run(coro)

    def settings(self) -> ChatSettings:
        """Resolve base URL, model and key now (see :func:`resolve_settings`)."""
        return resolve_settings(self._base_url, self._model, self._api_key,
                                env_prefix=self.env_prefix)

    async def _one(self, http: Any, url: str, headers: Mapping[str, str], model: str,
                   messages: Messages, proxy: str | None = None) -> ChatResult:
        import aiohttp

        policy = self.retry
        deadline = time.monotonic() + policy.total_timeout
        payload = json.dumps({"model": model, "messages": list(messages), **self.params},
                             ensure_ascii=False).encode("utf-8")  # once, not per attempt
        error, status, transient = "no attempt made", None, True
        attempt = 0
        while attempt < policy.max_attempts:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                error = f"total timeout {policy.total_timeout:g}s exceeded; last error: {error}"
                break
            wait: float | None = None
            try:
                timeout = aiohttp.ClientTimeout(total=min(policy.request_timeout, remaining))
                async with http.post(url, data=payload, headers=headers, timeout=timeout,
                                     allow_redirects=False, proxy=proxy) as resp:
                    status = resp.status
                    raw = await resp.read()
                    retry_after = resp.headers.get("Retry-After")
                if status == 200:
                    try:
                        body = json.loads(raw)
                    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
                        error = f"malformed JSON body: {_text(raw, 120)!r}"
                    else:
                        text = _reply_text(body)
                        if text is not None:
                            return ChatResult(text, None, attempt, False, status, body)
                        error = f"no message content in reply: {json.dumps(body)[:120]}"
                elif status in _RETRY_STATUS:
                    error = f"HTTP {status}: {_text(raw, 200)}"
                    wait = _retry_after(retry_after)
                else:
                    return ChatResult(None, f"HTTP {status}: {_text(raw, 200)}", attempt, False,
                                      status)
            except (asyncio.TimeoutError, TimeoutError) as exc:  # distinct types before 3.11
                error = f"timeout: {type(exc).__name__}"
            except aiohttp.ClientError as exc:
                error = f"connection error: {type(exc).__name__}: {exc}"
            if attempt >= policy.max_attempts:
                break
            backoff = min(policy.backoff_max, policy.backoff_base * 2 ** (attempt - 1))
            backoff *= random.uniform(0.5, 1.5)
            delay = max(backoff, min(wait, policy.backoff_max)) if wait is not None else backoff
            if time.monotonic() + delay >= deadline:
                error = (f"total timeout {policy.total_timeout:g}s would be exceeded by the next "
                         f"wait ({delay:.3g}s); last error: {error}")
                break
            await asyncio.sleep(delay)
        return ChatResult(None, f"{error} (after {attempt} attempt{'s' * (attempt != 1)})",
                          attempt, transient, status)

    async def acomplete_many(
        self,
        requests: Sequence[Messages],
        *,
        on_result: Callable[[int, ChatResult], None] | None = None,
        desc: str = "chat",
    ) -> list[ChatResult]:
        """Send every request; return one result per request, in order.

        Args:
            requests: One ``messages`` list per request.
            on_result: Called as ``on_result(index, result)`` as each request finishes (e.g. to
                write a cache), in completion order.
            desc: Progress bar label.

        Raises:
            EndpointError: the settings are missing (before any request is sent).
        """
        import aiohttp
        from tqdm.auto import tqdm

        s = self.settings()
        url = chat_url(s.base_url)
        headers = {"Content-Type": "application/json"}
        if s.api_key:
            headers["Authorization"] = f"Bearer {s.api_key}"
        results: list[ChatResult | None] = [None] * len(requests)
        if not requests:
            return []
        ssl_context = _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        proxy = _env_proxy(url)
        next_index = iter(range(len(requests)))

        async def worker(http: aiohttp.ClientSession) -> None:
            # Each worker has at most one request in flight, so `concurrency` workers bound it.
            for i in next_index:
                res = await self._one(http, url, headers, s.model, requests[i], proxy)
                results[i] = res
                bar.update(1)
                if on_result is not None:
                    on_result(i, res)

        own = self._loop if (self._loop is not None
                             and asyncio.get_running_loop() is self._loop.loop) else None
        # On the client's own loop the pool is kept for the next call; on another loop (an async
        # caller) it lives for this call only.
        http = (await self._kept_session(own, ssl_context) if own is not None
                else self._new_session(ssl_context))
        bar = tqdm(total=len(requests), desc=desc, unit="req",
                   disable=not self.progress or None, leave=False)
        workers = [asyncio.ensure_future(worker(http))
                   for _ in range(min(self.concurrency, len(requests)))]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            bar.close()
            if own is None:
                await http.close()
        return [r if r is not None else ChatResult(None, "not run", 0, True) for r in results]

    def _new_session(self, ssl_context: ssl.SSLContext) -> Any:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self.concurrency, ssl=ssl_context)
        # No cookie jar: an API client has no use for cookies, and parsing them costs time.
        return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

    async def _kept_session(self, own: _LoopThread, ssl_context: ssl.SSLContext) -> Any:
        """The session kept on this client's loop; a new one when the pool size or the
        certificates changed since it was made."""
        key = (self.concurrency, ssl_context)
        if own.session is None or own.session.closed or own.session_key != key:
            await own.close_session()
            own.session, own.session_key = self._new_session(ssl_context), key
        return own.session

    def complete_many(
        self,
        requests: Sequence[Messages],
        *,
        on_result: Callable[[int, ChatResult], None] | None = None,
        desc: str = "chat",
    ) -> list[ChatResult]:
        """Blocking :meth:`acomplete_many`, on this client's loop (connections stay open for the
        next call); also from inside a running loop, e.g. Jupyter."""
        return self.run(self.acomplete_many(requests, on_result=on_result, desc=desc))

    async def acomplete(self, messages: Messages) -> ChatResult:
        """Send one request (same retries)."""
        return (await self.acomplete_many([messages]))[0]
