"""Transport of the chat client: TLS context, proxy lookup, and the event loop kept in a thread.

Example:
    >>> async def two():
    ...     return 2
    >>> run_sync(two())
    2
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import threading
from collections.abc import Awaitable
from typing import Any

__all__ = ["LoopThread", "env_proxy", "new_session", "run_sync", "ssl_context"]


@functools.lru_cache(maxsize=4)
def ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
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


def env_proxy(url: str) -> str | None:
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
        return asyncio.run(coro)  # type: ignore[arg-type]  # a coroutine typed as Awaitable by the caller
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)  # type: ignore[arg-type]  # a coroutine typed as Awaitable by the caller
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="vlmsafety-run-sync")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class LoopThread:
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
        future: Any = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]  # a coroutine typed as Awaitable by the caller
        try:
            return future.result()
        except BaseException:
            if not future.done():
                future.cancel()
                try:  # let the cancellation run its cleanup (cache writes, connections)
                    future.result(timeout=10)
                except BaseException:  # noqa: BLE001, S110 - the interrupt below is what matters
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



def new_session(pool_size: int, context: ssl.SSLContext) -> Any:
    """An ``aiohttp.ClientSession`` with a pool of ``pool_size`` connections and no cookie jar
    (an API client has no use for cookies, and parsing them costs time)."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=pool_size, ssl=context)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
