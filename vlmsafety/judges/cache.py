"""The judges' cache lives in :mod:`vlmsafety.storage.cache` (``generate`` uses it too); this module
keeps the old import path working.

Example:
    >>> from vlmsafety.judges.cache import SQLiteCache
    >>> SQLiteCache.__module__
    'vlmsafety.storage.cache'
"""

from __future__ import annotations

from vlmsafety.storage.cache import SQLiteCache

__all__ = ["SQLiteCache"]
