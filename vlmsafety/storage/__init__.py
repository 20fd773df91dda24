"""Shared I/O below its users: files written atomically, checksums, JSONL, images, the on-disk cache.

Every module that reads or writes files (builders, generate, judges' cache, evaluation, importers)
takes these helpers from here rather than keeping its own copy. Nothing here knows a benchmark.

Submodules:
    * :mod:`vlmsafety.storage.images` -- deterministic PNG encoding and bomb-safe decoding, used by
      the builders, :mod:`vlmsafety.render` and :mod:`vlmsafety.generate`.
"""

from __future__ import annotations

__all__: list[str] = []
