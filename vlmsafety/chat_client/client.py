"""The chat client: bounded concurrency over the retry loop, the breaker and the kept-open loop.

See :mod:`vlmsafety.chat_client` for the behaviour (probe, breaker, retries, settings,
connections).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import weakref
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any

from vlmsafety.chat_client.breaker import CircuitBreaker
from vlmsafety.chat_client.redact import redact, secrets_of, strip_credentials, url_credentials
from vlmsafety.chat_client.retry import REQUEST_REJECTED, ChatResult, RetryPolicy, send
from vlmsafety.chat_client.settings import ChatSettings, Messages, chat_url, resolve_settings
from vlmsafety.chat_client.transport import LoopThread, env_proxy, new_session, ssl_context
from vlmsafety.errors import EndpointError, InvalidArgumentError
from vlmsafety.storage.jsonl import scrub_surrogates

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ChatClient"]


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
        max_consecutive_failures: Failed results in a row after which a batch stops with
            :class:`~vlmsafety.errors.EndpointError` (default ``2 * concurrency``); 0 turns the
            probe and the breaker off (every failure is then a result, as for a single request).

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
        max_consecutive_failures: int | None = None,
    ) -> None:
        if concurrency < 1:
            raise InvalidArgumentError(f"concurrency must be >= 1, got {concurrency}")
        if max_consecutive_failures is not None and max_consecutive_failures < 0:
            raise InvalidArgumentError(f"max_consecutive_failures must be >= 0, got "
                             f"{max_consecutive_failures}")
        self.max_consecutive_failures = max_consecutive_failures
        self._base_url, self._model = base_url, model
        self._api_key = api_key  # kept in memory only; never written or logged
        self.concurrency = concurrency
        self.retry = retry or RetryPolicy()
        self.params = dict(params or {})
        self.env_prefix = env_prefix
        self.progress = progress
        self._loop: LoopThread | None = None
        self._finalizer: weakref.finalize | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the kept-open connections and stop the client's loop thread (idempotent; the
        client can still be used afterwards and starts a new one)."""
        if self._finalizer is not None:
            self._finalizer()  # runs LoopThread.close once
        self._loop = self._finalizer = None

    def run(self, coro: Awaitable[Any]) -> Any:
        """Run a coroutine on this client's event loop (in its background thread) and return
        its result. :meth:`acomplete_many` awaited there reuses the client's open connections;
        this is how the blocking methods and the chat judge call it."""
        loop = self._loop
        if loop is None or loop.pid != os.getpid():  # a forked child has no loop thread
            loop = self._loop = LoopThread()
            self._finalizer = weakref.finalize(self, loop.close)
        return loop.run(coro)

    def breaker(self) -> CircuitBreaker:
        """A fresh :class:`CircuitBreaker` with this client's limit (``2 * concurrency`` unless
        ``max_consecutive_failures`` was given)."""
        limit = self.max_consecutive_failures
        return CircuitBreaker(2 * self.concurrency if limit is None else limit)

    def settings(self) -> ChatSettings:
        """Resolve base URL, model and key now (see :func:`resolve_settings`)."""
        return resolve_settings(self._base_url, self._model, self._api_key,
                                env_prefix=self.env_prefix)

    async def acomplete_many(
        self,
        requests: Sequence[Messages],
        *,
        on_result: Callable[[int, ChatResult], None] | None = None,
        desc: str = "chat",
        breaker: CircuitBreaker | None = None,
    ) -> list[ChatResult]:
        """Send every request; return one result per request, in order.

        Args:
            requests: One ``messages`` list per request.
            on_result: Called as ``on_result(index, result)`` as each request finishes (e.g. to
                write a cache), in completion order.
            desc: Progress bar label.
            breaker: The :class:`CircuitBreaker` to count results with (default: a fresh
                :meth:`breaker`, so the first request is a probe); pass one to several calls to
                probe once and count failures across them.

        Raises:
            EndpointError: the settings are missing or the base URL is malformed (before any
                request is sent), the probe failed (nothing else was sent), or the breaker
                tripped (the requests in flight were cancelled; results already passed to
                ``on_result`` stand).
        """
        if not requests:
            self.settings()  # missing or malformed settings raise also for an empty batch
            return []
        batch = await self._run(lambda s, url, guard, bar: _Batch(
            self, s, url, requests, guard, bar, on_result), breaker, len(requests), desc)
        return [r if r is not None else ChatResult(None, "not run", 0, True)
                for r in batch.results]

    async def acomplete_stream(
        self,
        requests: AsyncIterator[tuple[Any, Messages]],
        *,
        on_result: Callable[[Any, ChatResult], None],
        desc: str = "chat",
        breaker: CircuitBreaker | None = None,
    ) -> None:
        """Send requests as they come from an async iterator, at most ``concurrency`` in flight.

        A free worker pulls the next ``(tag, messages)`` pair, so the iterator runs just ahead of
        the requests (it may read, build data URLs, wait for room in its caller's buffer) and
        nothing is kept per request here: each result goes to ``on_result(tag, result)`` in
        completion order. The probe and the breaker work as in :meth:`acomplete_many`.

        Raises:
            EndpointError: as :meth:`acomplete_many`.
            Exception: whatever the iterator raises (the requests in flight are cancelled).
        """
        await self._run(lambda s, url, guard, bar: _Stream(
            self, s, url, requests, guard, bar, on_result), breaker, None, desc)

    async def _run(self, make: Callable[[ChatSettings, str, CircuitBreaker, Any], _Batch],
                   breaker: CircuitBreaker | None, total: int | None, desc: str) -> _Batch:
        """Open (or reuse) the session, run the batch ``make`` builds, close the bar."""
        from tqdm.auto import tqdm

        s = self.settings()
        guard = breaker if breaker is not None else self.breaker()
        context = ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
        own = self._loop if (self._loop is not None
                             and asyncio.get_running_loop() is self._loop.loop) else None
        # On the client's own loop the pool is kept for the next call; on another loop (an async
        # caller) it lives for this call only.
        http = (await self._kept_session(own, context) if own is not None
                else new_session(self.concurrency, context))
        bar = tqdm(total=total, desc=desc, unit="req", disable=not self.progress or None,
                   leave=False)
        batch = make(s, chat_url(s.base_url), guard, bar)
        try:
            await batch.run(http)
        finally:
            bar.close()
            if own is None:
                await http.close()
        return batch

    async def _kept_session(self, own: LoopThread, ssl_context: ssl.SSLContext) -> Any:
        """The session kept on this client's loop; a new one when the pool size or the
        certificates changed since it was made."""
        key = (self.concurrency, ssl_context)
        if own.session is None or own.session.closed or own.session_key != key:
            await own.close_session()
            own.session, own.session_key = new_session(self.concurrency, ssl_context), key
        return own.session

    def complete_many(
        self,
        requests: Sequence[Messages],
        *,
        on_result: Callable[[int, ChatResult], None] | None = None,
        desc: str = "chat",
        breaker: CircuitBreaker | None = None,
    ) -> list[ChatResult]:
        """Blocking :meth:`acomplete_many`, on this client's loop (connections stay open for the
        next call); also from inside a running loop, e.g. Jupyter."""
        return self.run(self.acomplete_many(requests, on_result=on_result, desc=desc,
                                            breaker=breaker))

    async def acomplete(self, messages: Messages) -> ChatResult:
        """Send one request (same retries; it is a probe, so a failure raises
        :class:`~vlmsafety.errors.EndpointError` unless the breaker is off)."""
        return (await self.acomplete_many([messages]))[0]


class _Batch:
    """One :meth:`ChatClient.acomplete_many` call: its requests, results, breaker and bar."""

    def __init__(self, client: ChatClient, settings: ChatSettings, url: str,
                 requests: Sequence[Messages], guard: CircuitBreaker, bar: Any,
                 on_result: Callable[[Any, ChatResult], None] | None) -> None:
        self.client, self.model, self.url = client, settings.model, strip_credentials(url)
        self.secrets = secrets_of(settings.api_key, url)
        self.headers = {"Content-Type": "application/json"}
        self.headers.update(_authorization(settings.api_key, url))
        self.proxy = env_proxy(url)
        self.requests, self.guard, self.bar, self.on_result = requests, guard, bar, on_result
        self.results: list[ChatResult | None] = [None] * len(requests)
        self.done = self.failed = 0
        self.of_total = f" of {len(requests)}"  # a stream does not know its length

    async def one(self, http: Any, messages: Messages, *, probe: bool = False) -> ChatResult:
        text = json.dumps({"model": self.model, "messages": list(messages),
                           **self.client.params}, ensure_ascii=False)
        try:
            payload = text.encode("utf-8")  # once, not per attempt
        except UnicodeEncodeError:  # a lone surrogate: not text; sent as U+FFFD
            payload = scrub_surrogates(text)[0].encode("utf-8")
        res = await send(http, self.url, self.headers, payload, self.client.retry, self.proxy,
                         probe=probe)
        return _redacted(res, self.secrets)

    def store(self, tag: Any, res: ChatResult) -> None:
        self.results[tag] = res

    def finish(self, tag: Any, res: ChatResult) -> None:
        self.store(tag, res)
        self.done += 1
        if not res.ok:
            self.failed += 1
            self.bar.set_postfix_str(f"failed {self.failed}", refresh=False)
        self.bar.update(1)
        if self.on_result is not None:
            self.on_result(tag, res)
        if self.guard.record(res.ok):
            raise EndpointError(
                f"stopped: {self.guard.consecutive} requests in a row to {self.url} failed (the "
                f"last: {res.error}); {self.done - self.failed}{self.of_total} requests of "
                f"this batch succeeded and were kept, {self.failed} failed, the rest were "
                "cancelled or not sent; a re-run resumes (successes are cached where a cache is "
                "used). Check the endpoint, or raise --max-consecutive-failures")

    async def probe(self, http: Any, tag: Any, messages: Messages) -> None:
        """The first request alone; its result is the real one."""
        res = await self.one(http, messages, probe=True)
        if not res.ok and res.status not in REQUEST_REJECTED:
            self.guard.record(False)
            raise EndpointError(f"the endpoint {self.url} failed the first request (sent "
                                f"alone, as a probe): {res.error}; nothing else was sent")
        self.guard.probing = False  # the endpoint works (it may have rejected this request)
        self.finish(tag, res)

    async def worker(self, http: Any, next_index: Iterator[int]) -> None:
        # Each worker has at most one request in flight, so `concurrency` workers bound it.
        for i in next_index:
            self.finish(i, await self.one(http, self.requests[i]))

    async def run(self, http: Any) -> None:
        """The probe (when the breaker is half-open), then ``concurrency`` workers."""
        first = 0
        if self.guard.probing:
            await self.probe(http, 0, self.requests[0])
            first = 1
        next_index = iter(range(first, len(self.requests)))
        await _all(self.worker(http, next_index)
                   for _ in range(min(self.client.concurrency, len(self.requests) - first)))


class _Stream(_Batch):
    """One :meth:`ChatClient.acomplete_stream` call: requests pulled as workers free up."""

    def __init__(self, client: ChatClient, settings: ChatSettings, url: str,
                 requests: AsyncIterator[tuple[Any, Messages]], guard: CircuitBreaker,
                 bar: Any, on_result: Callable[[Any, ChatResult], None]) -> None:
        super().__init__(client, settings, url, [], guard, bar, on_result)
        self.source, self.of_total = requests, ""
        self.lock = asyncio.Lock()

    def store(self, tag: Any, res: ChatResult) -> None:
        pass  # results go to on_result only: memory stays flat in the number of requests

    async def pull(self) -> tuple[Any, Messages] | None:
        async with self.lock:  # an async generator cannot be advanced by two workers at once
            return await anext(self.source, None)

    async def stream_worker(self, http: Any) -> None:
        while (request := await self.pull()) is not None:
            self.finish(request[0], await self.one(http, request[1]))

    async def run(self, http: Any) -> None:
        if self.guard.probing:
            first = await self.pull()
            if first is None:
                return
            await self.probe(http, *first)
        await _all(self.stream_worker(http) for _ in range(self.client.concurrency))


def _authorization(api_key: str | None, url: str) -> dict[str, str]:
    """The ``Authorization`` header: Basic from the URL's ``user:password@`` when it has one (the
    credentials written for this endpoint win over a key from the environment), else Bearer."""
    import base64

    creds = url_credentials(url)
    if creds is not None:
        pair = f"{creds[0]}:{creds[1]}".encode()
        return {"Authorization": f"Basic {base64.b64encode(pair).decode('ascii')}"}
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _redacted(res: ChatResult, secrets: tuple[str, ...]) -> ChatResult:
    """``res`` with its error and text passed through :func:`redact` (the key, URL credentials)."""
    import dataclasses

    error = redact(res.error, secrets) if res.error is not None else None
    text = redact(res.text, secrets) if res.text is not None else None
    if error == res.error and text == res.text:
        return res
    return dataclasses.replace(res, error=error, text=text)


async def _all(coros: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the workers together; on any error (or cancellation) cancel the others, then raise."""
    workers = [asyncio.ensure_future(c) for c in coros]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
