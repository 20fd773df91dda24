"""The annotation page: an aiohttp server on 127.0.0.1 over a :class:`Session`.

Routes: ``GET /`` (the page), ``GET /static/{name}`` (its script and style, package data),
``GET /api/state``, ``POST /api/answer`` (``{"token", "action": "label"|"skip", "label",
"note"}``), ``POST /api/undo``, ``GET /api/image/{token}``. Every answer is appended to the file
and fsynced before the reply, so a closed page or a killed server loses at most the item on
screen. Nothing is loaded from outside the package: the page works offline.

Only this machine's pages may use it: every request must name the server itself in its ``Host``
header (``127.0.0.1:PORT`` or ``localhost:PORT``; another host name that resolves to 127.0.0.1,
as in DNS rebinding, is refused with 403), and a POST must come from the page (same origin, as
JSON). A token is a whole number naming an item of the session; a note is text. :func:`serve`
locks the labels file, so a second server on the same ``--out`` is refused instead of writing
answers that the first one does not see.

Example:
    >>> sorted(STATIC)
    ['app.js', 'index.html', 'style.css']
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from aiohttp import web

from vlmsafety.annotation.items import ImageStore
from vlmsafety.annotation.session import Session
from vlmsafety.errors import InvalidArgumentError, OutputExistsError

__all__ = ["STATIC", "lock_file", "make_app", "serve"]

STATIC: dict[str, str] = {"index.html": "text/html", "app.js": "text/javascript",
                          "style.css": "text/css"}
"""The page's files (``vlmsafety/annotation/static/``) and their content types."""

_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'")


def _static(name: str) -> bytes:
    return files("vlmsafety.annotation").joinpath("static").joinpath(name).read_bytes()


def make_app(session: Session, images: ImageStore, *, show_judge: bool = True) -> web.Application:
    """The aiohttp application serving ``session`` (``show_judge``: the judge's label may be
    revealed on the page; it is hidden until asked for)."""
    lock = asyncio.Lock()

    def state() -> web.Response:
        return web.json_response(session.state(with_judge=show_judge))

    async def page(_: web.Request) -> web.Response:
        return web.Response(body=_static("index.html"), content_type="text/html",
                            headers={"Content-Security-Policy": _CSP, "Cache-Control": "no-store"})

    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=STATIC[name],
                            headers={"Cache-Control": "no-store"})

    async def get_state(_: web.Request) -> web.Response:
        return state()

    async def answer(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            token, note = _token(body.get("token"), len(session.items)), body.get("note")
            if note is not None and not isinstance(note, str):
                raise InvalidArgumentError(f"note must be text, got {type(note).__name__}")
            async with lock:
                ok = session.answer(token, str(body.get("action", "label")), body.get("label"),
                                    note or "")
        except (ValueError, KeyError, TypeError, AttributeError, InvalidArgumentError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if not ok:
            return web.json_response({**session.state(with_judge=show_judge),
                                      "stale": True}, status=409)
        return state()

    async def undo(_: web.Request) -> web.Response:
        async with lock:
            session.undo()
        return state()

    async def image(request: web.Request) -> web.Response:
        text = request.match_info["token"]
        if not text.isascii() or not text.isdigit() or int(text) >= len(session.items):
            raise web.HTTPNotFound()  # "-1" would be the last item
        it = session.items[int(text)]
        got = await asyncio.get_running_loop().run_in_executor(None, images.get, it.config, it.id)
        if got is None:
            raise web.HTTPNotFound()
        return web.Response(body=got[0], content_type=got[1],
                            headers={"Cache-Control": "max-age=3600"})

    app = web.Application(middlewares=[_this_host, _local_only])
    app.router.add_get("/", page)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/api/state", get_state)
    app.router.add_post("/api/answer", answer)
    app.router.add_post("/api/undo", undo)
    app.router.add_get("/api/image/{token}", image)
    return app


def _token(value: Any, n_items: int) -> int:
    """An item's token: a whole JSON number (not 26.7, not 1e400, not a boolean) in 0..n-1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n_items:
        raise InvalidArgumentError(f"token must be a whole number in 0..{n_items - 1}, got "
                                   f"{str(value)[:40]}")
    return value


@web.middleware
async def _this_host(request: web.Request,
                     handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                     ) -> web.StreamResponse:
    """Refuse a request whose ``Host`` is not this server (127.0.0.1 or localhost with its
    port): a page of another site whose name resolves to 127.0.0.1 (DNS rebinding) may not
    read the items nor write labels."""
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    port = sock[1] if sock else None
    allowed = {f"127.0.0.1:{port}", f"localhost:{port}"}
    if request.host.lower() not in allowed:
        return web.json_response({"error": f"host {request.host!r} refused; open "
                                  f"http://127.0.0.1:{port}/"}, status=403)
    return await handler(request)


@web.middleware
async def _local_only(request: web.Request,
                      handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                      ) -> web.StreamResponse:
    """Refuse cross-site writes: a POST must come from this page (same origin) as JSON."""
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"http://{request.host}":
            return web.json_response({"error": f"origin {origin} refused"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"error": "send application/json"}, status=415)
    return await handler(request)


async def _run(app: web.Application, port: int, ready: Callable[[str], Any]) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server  # the bound port (port 0 picks a free one)
    sockets = getattr(server, "sockets", None) or ()
    bound = sockets[0].getsockname()[1] if sockets else port
    ready(f"http://127.0.0.1:{bound}/")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def serve(session: Session, images: ImageStore, *, port: int = 8765,
          ready: Callable[[str], Any] = print, show_judge: bool = True) -> None:
    """Serve the page on 127.0.0.1:``port`` (0: a free port) until interrupted; ``ready`` is
    called with the page's URL once it listens."""
    if not 0 <= port <= 65535:
        raise InvalidArgumentError(f"--port must be in 0..65535, got {port}")
    with lock_file(session.out):
        asyncio.run(_run(make_app(session, images, show_judge=show_judge), port, ready))


@contextlib.contextmanager
def lock_file(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created empty when missing; POSIX
    ``flock``, released when the process ends, also by ``kill -9``).

    Raises:
        OutputExistsError: another process holds it (another server on the same file).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("ab") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise OutputExistsError(f"{target} is in use by another `vlmsafety annotate` "
                                    "(it holds the file's lock); label in that page, or stop "
                                    "it first") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
