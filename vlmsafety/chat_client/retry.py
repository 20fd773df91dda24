"""One request's retry policy and outcome, and the retry loop that sends it.

Example:
    >>> RetryPolicy(max_attempts=2).max_attempts, ChatResult("hi").ok, ChatResult(None, "x").ok
    (2, True, False)
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vlmsafety.errors import InvalidArgumentError
from vlmsafety.storage.jsonl import scrub_surrogates

__all__ = ["REQUEST_REJECTED", "ChatResult", "RetryPolicy", "send"]

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
REQUEST_REJECTED = frozenset({400, 413, 422, 451})
"""Statuses that reject one request (content filter, too large, invalid field), not the endpoint:
a probe answered so has found a working endpoint."""


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
        max_reply_bytes: Largest reply body read (default 16 MiB); a larger one is a failed
            request (not retried), never read whole into memory.
    """

    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    request_timeout: float = 120.0
    total_timeout: float = 600.0
    max_reply_bytes: int = 16 << 20

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidArgumentError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.max_reply_bytes < 1:
            raise InvalidArgumentError(f"max_reply_bytes must be >= 1, got {self.max_reply_bytes}")
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
    if not isinstance(content, str) or not content.strip():
        return None
    content, n = scrub_surrogates(content)  # "\ud800" is legal JSON but not text
    if n:
        warnings.warn("a reply held lone surrogate(s) (not text); replaced by U+FFFD",
                      UnicodeWarning, stacklevel=2)
    return str(content)


async def _read_capped(resp: Any, limit: int) -> bytes | None:
    """The body, or ``None`` when it is longer than ``limit`` bytes (read no further)."""
    if resp.content_length is not None and resp.content_length > limit:
        return None
    parts, size = [], 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


async def send(http: Any, url: str, headers: Mapping[str, str], payload: bytes,
               policy: RetryPolicy, proxy: str | None = None, *,
               probe: bool = False) -> ChatResult:
    """POST one JSON ``payload`` with retries under ``policy``; never raises for the request.

    A probe gives up at once on what a retry cannot mend soon (nothing listening, no reply
    within the timeout, a body that is not a reply) and makes at most 3 attempts on retryable
    statuses, so a dead endpoint is reported in seconds.
    """
    import aiohttp

    max_attempts = min(policy.max_attempts, 3) if probe else policy.max_attempts
    deadline = time.monotonic() + policy.total_timeout
    error, status, transient = "no attempt made", None, True
    attempt = 0
    while attempt < max_attempts:
        attempt += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            error = f"total timeout {policy.total_timeout:g}s exceeded; last error: {error}"
            break
        wait: float | None = None
        final = False  # a probe stops here
        try:
            timeout = aiohttp.ClientTimeout(total=min(policy.request_timeout, remaining))
            async with http.post(url, data=payload, headers=headers, timeout=timeout,
                                 allow_redirects=False, proxy=proxy) as resp:
                status = resp.status
                raw = await _read_capped(resp, policy.max_reply_bytes)
                retry_after = resp.headers.get("Retry-After")
            if raw is None:
                return ChatResult(None, f"HTTP {status}: the reply is larger than "
                                  f"{policy.max_reply_bytes / (1 << 20):g} MiB "
                                  "(--max-reply-mb); not read", attempt, False, status)
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
                final = probe
            elif status in RETRY_STATUS:
                error = f"HTTP {status}: {_text(raw, 200)}"
                wait = _retry_after(retry_after)
            else:
                return ChatResult(None, f"HTTP {status}: {_text(raw, 200)}", attempt, False,
                                  status)
        except (asyncio.TimeoutError, TimeoutError) as exc:  # distinct types before 3.11
            error = (f"timeout: {type(exc).__name__} (no reply within "
                     f"{min(policy.request_timeout, remaining):g}s)")
            final = probe
        except aiohttp.ClientError as exc:
            error = f"connection error: {type(exc).__name__}: {exc}"
            final = probe and isinstance(exc, aiohttp.ClientConnectorError)
        if attempt >= max_attempts or final:
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
