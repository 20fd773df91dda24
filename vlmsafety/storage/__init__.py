"""Shared I/O below its users: files written atomically, checksums, JSONL, images, the on-disk cache.

Every module that reads or writes files (builders, generate, judges' cache, evaluation, importers)
takes these helpers from here rather than keeping its own copy. Nothing here knows a benchmark.

Submodules:
    * :mod:`vlmsafety.storage.images` -- deterministic PNG encoding and bomb-safe decoding, used by
      the builders, :mod:`vlmsafety.render` and :mod:`vlmsafety.generate`.
    * :mod:`vlmsafety.storage.splits` -- ``load_split``: one split of a config, with an error
      naming a truncated parquet shard and the cause.
    * :mod:`vlmsafety.storage.files` -- output paths checked (``--overwrite``, never over an
      input) and written atomically (temporary beside the target, removed on failure/SIGTERM).
    * :mod:`vlmsafety.storage.checksums` -- sha256 of files and bytes.
    * :mod:`vlmsafety.storage.jsonl` -- JSON Lines read (one set of rules, the caller's error
      class) and written atomically; every JSONL reader and writer in the package uses it.
    * :mod:`vlmsafety.storage.cache` -- ``SQLiteCache``, the on-disk key -> JSON store of the chat
      judge and of ``generate`` (:class:`~vlmsafety.errors.CacheError` when it cannot be opened).
"""

from __future__ import annotations

__all__: list[str] = []
