"""Fixtures of the builder tests: a raw-file host on 127.0.0.1 standing in for GitHub's."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest


@pytest.fixture()
def raw_host() -> Iterator[tuple[str, dict[str, bytes]]]:
    """``(base_url, files)``: serves ``files[path]`` at ``base_url + path`` (404 otherwise).

    Tests fill or change ``files`` (URL path -> bytes) while the server runs.
    """
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", files
    finally:
        httpd.shutdown()
        httpd.server_close()
