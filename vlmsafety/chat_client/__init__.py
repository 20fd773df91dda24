"""An async client for OpenAI-compatible ``/v1/chat/completions`` endpoints (vLLM, TGI, Ollama, APIs).

Used by the chat judge and by ``vlmsafety generate``. A request is any ``messages`` list (text, or
content parts with ``image_url`` data URLs); a result is the reply text or the reason there is
none. Nothing is raised per request: every request ends in a :class:`ChatResult`, so one failure
never loses the other items, and a failure is never an empty response. Only an unusable endpoint
raises (see the circuit breaker below).

* Bounded concurrency: at most ``concurrency`` requests in flight (that many workers share one
  aiohttp connection pool of that size), progress bar with the failure count.
* Fail fast on a dead or broken endpoint (a :class:`CircuitBreaker`, one for generate and the chat
  judge alike): the base URL must be ``http(s)://host...``; the first request of a batch goes
  alone, as a probe, and when it fails (connection refused, a timeout, an HTTP error, a body that
  is not JSON or has no ``choices``; but not a 400/413/422/451, which rejects that one request
  from a working endpoint) :class:`~vlmsafety.errors.EndpointError` says so before anything
  else is sent (the probe's reply, when it succeeds, is the first request's real result: nothing
  is sent twice); then, after ``max_consecutive_failures`` requests in a row whose final result
  (after retries, in completion order) is a failure, the requests in flight are cancelled and
  :class:`~vlmsafety.errors.EndpointError` is raised. Results already passed to ``on_result`` are
  kept (that is where callers cache them), so a re-run resumes. Scattered failures (a flaky
  endpoint) never trip it.
* Retries with exponential backoff and jitter on 429 (``Retry-After`` honoured), 408, 5xx,
  timeouts, connection errors and malformed bodies; bounded by ``max_attempts`` and by
  ``total_timeout`` seconds per request. Other 4xx (bad key, unknown model) fail at once.
* Settings (base URL, model, API key) come from arguments or the environment, read at call time
  and never written anywhere. The API key is optional (local servers need none). A base URL may
  carry ``user:password@``: it is sent as Basic authorization (and wins over a key from the
  environment). Secrets never leave the client: every error, reply text and message it hands out
  goes through :func:`~vlmsafety.chat_client.redact.redact`, which removes the key, URL
  credentials and their Basic form, even when a server echoes the request's headers.
* Connections persist: the blocking calls (:meth:`ChatClient.complete_many`, the chat judge's
  ``judge_many``, a ``generate`` run) run on one event loop per client, in a background
  thread, whose connection pool lives until :meth:`ChatClient.close` (or the client is garbage
  collected), so consecutive calls do not reconnect (64 TCP connects cost ~27 ms per call here;
  TLS handshakes to a remote API far more). Async callers on their own loop get a pool per call.
* Streams: :meth:`ChatClient.acomplete_stream` takes requests from an async iterator as workers
  free up and hands each result to a callback, keeping nothing per request, so a caller can feed
  a whole dataset through one batch (``generate`` does) with bounded memory.
* Transport: aiohttp. At 64 requests in flight against a server answering after 20 ms, httpx
  spent ~1 ms of Python per request and reached 0.30 of the ideal rate on 2 cores; aiohttp
  reaches 0.8 (``perf/bench_chat.py``). Proxies from ``HTTP(S)_PROXY``/``NO_PROXY`` are
  honoured, looked up once per batch (aiohttp's own ``trust_env`` looks them up in a thread on
  every request, which alone cost a third of the rate at 64 in flight). Certificates are
  verified against certifi's bundle unless ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` name another.
  Redirects are not followed (a 3xx fails at once, as other 4xx).

Modules, by job: :mod:`~vlmsafety.chat_client.settings` (endpoint settings from arguments or the
environment, URLs), :mod:`~vlmsafety.chat_client.retry` (:class:`RetryPolicy`, :class:`ChatResult`
and the retry loop of one request), :mod:`~vlmsafety.chat_client.breaker`
(:class:`CircuitBreaker`), :mod:`~vlmsafety.chat_client.redact` (secrets out of every text),
:mod:`~vlmsafety.chat_client.transport` (TLS, proxies, the loop thread
that keeps connections open) and :mod:`~vlmsafety.chat_client.client` (:class:`ChatClient`).
Every public name is re-exported here.

Example:
    >>> client = ChatClient(base_url="http://127.0.0.1:9", model="m", retry=RetryPolicy(
    ...     max_attempts=2, backoff_base=0.001, request_timeout=0.5), progress=False,
    ...     max_consecutive_failures=0)  # 0: no probe, no breaker; every failure is a result
    >>> r = client.complete_many([[{"role": "user", "content": "hi"}]])[0]
    >>> (r.ok, r.text, r.transient, r.attempts)
    (False, None, True, 2)
    >>> r.error.startswith("connection error")
    True
    >>> ChatClient(base_url="http://127.0.0.1:9", model="m", progress=False).complete_many(
    ...     [[{"role": "user", "content": "hi"}]])
    Traceback (most recent call last):
    ...
    vlmsafety.errors.EndpointError: the endpoint http://127.0.0.1:9/v1/chat/completions failed the
    first request (sent alone, as a probe): connection error: ...
"""

from __future__ import annotations

from vlmsafety.chat_client.breaker import CircuitBreaker
from vlmsafety.chat_client.client import ChatClient
from vlmsafety.chat_client.redact import redact
from vlmsafety.chat_client.retry import ChatResult, RetryPolicy
from vlmsafety.chat_client.settings import (
    ChatSettings,
    Messages,
    chat_url,
    image_data_url,
    resolve_settings,
)
from vlmsafety.chat_client.transport import run_sync

__all__ = [
    "ChatClient",
    "ChatResult",
    "ChatSettings",
    "CircuitBreaker",
    "RetryPolicy",
    "Messages",
    "resolve_settings",
    "chat_url",
    "image_data_url",
    "redact",
    "run_sync",
]
