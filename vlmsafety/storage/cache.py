"""A small on-disk cache: SQLite (stdlib), WAL journal, one row per ``(namespace, key)``.

Judges (and ``vlmsafety generate``) write each result as soon as it is known, so a run killed
midway loses nothing already finished and a re-run does only what is missing. Values are JSON
objects. Keys are sha256 hex digests of the parts that determine the result
(:meth:`SQLiteCache.make_key`); no secret (API key, endpoint URL) is ever part of a key or value.

What the chat judge stores: the judge's raw reply and the label parsed from it, keyed by judge
identity (model, template hash, generation parameters) + prompt + response. Failures with no reply
(timeouts, 429, 5xx, connection errors, other HTTP errors) are *not* stored, so a re-run retries
them; an unparsable reply is stored (asking again would give the same reply).

Example:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "cache.sqlite")
    >>> with SQLiteCache(path, namespace="judge") as cache:
    ...     key = SQLiteCache.make_key("keyword@1", "prompt", "response")
    ...     cache.put(key, {"label": "refusal"})
    ...     cache.get(key), cache.get("missing"), len(cache)
    ({'label': 'refusal'}, None, 1)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vlmsafety.errors import CacheError
from vlmsafety.storage.jsonl import scrub_surrogates

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["SQLiteCache"]

_ADVICE = ("run with --no-cache, or delete the file (it holds only replies and verdicts, "
           "which a run fetches again)")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID
"""


class SQLiteCache:
    """Key -> JSON value store in one SQLite file, shared by several namespaces.

    Args:
        path: The database file (created with its parent folder).
        namespace: Separates users of one file (``"judge"``, ``"generate"``).

    Safe to use from several threads of one process (one connection behind a lock); several
    processes may share the file (WAL mode). Each :meth:`put` commits at once.

    Raises:
        CacheError: the file cannot be created or opened as an SQLite database, or (from any
            method) it is damaged; the message names the file and says that ``--no-cache`` or
            deleting it helps.
    """

    def __init__(self, path: str | os.PathLike[str], *, namespace: str = "judge") -> None:
        self.path = Path(path)
        self.namespace = namespace
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0,
                                         isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open cache {self.path}: {exc}; {_ADVICE}") from None

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; a damaged file is a :class:`CacheError` naming it."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.DatabaseError as exc:
                raise CacheError(f"cache {self.path} cannot be used ({exc}); {_ADVICE}") from None

    @staticmethod
    def make_key(*parts: str | None) -> str:
        """sha256 of the parts (length-prefixed, so ``("ab", "c")`` and ``("a", "bc")`` differ).

        Example:
            >>> SQLiteCache.make_key("a", "bc") != SQLiteCache.make_key("ab", "c")
            True
        """
        h = hashlib.sha256()
        for part in parts:
            data = b"\x00" if part is None else part.encode("utf-8", "surrogatepass")
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
        return h.hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored value, or ``None``."""
        return self.get_many([key]).get(key)

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Stored values of the keys that are present."""
        wanted = list(dict.fromkeys(keys))
        out: dict[str, dict[str, Any]] = {}
        with self._locked() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, value FROM cache WHERE namespace = ? AND key IN ({marks})",
                    [self.namespace, *chunk],
                ).fetchall()
                out.update((k, json.loads(v)) for k, v in rows)
        return out

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        """Store (or replace) one value and commit."""
        text, _ = scrub_surrogates(json.dumps(dict(value), ensure_ascii=False))  # UTF-8 only
        with self._locked() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cache (namespace, key, value, created) VALUES (?, ?, ?, ?)",
                (self.namespace, key, text, time.time()),
            )

    def __len__(self) -> int:
        with self._locked() as conn:
            (n,) = conn.execute(
                "SELECT COUNT(*) FROM cache WHERE namespace = ?", (self.namespace,)
            ).fetchone()
        return int(n)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteCache({str(self.path)!r}, namespace={self.namespace!r})"
