"""sha256 of files and bytes: what results, cards and pinned downloads record.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p) == bytes_sha256(b"abc")
    True
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

__all__ = ["bytes_sha256", "file_sha256", "folder_sha256"]

_BLOCK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(_BLOCK), b""):
            h.update(chunk)
    return h.hexdigest()


def bytes_sha256(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def folder_sha256(folder: str | os.PathLike[str], *, skip: tuple[str, ...] = ()
                  ) -> dict[str, str]:
    """Hex sha256 of every file under ``folder``, by ``/``-separated relative path (sorted),
    leaving out the top-level names in ``skip``.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.txt").write_bytes(b"abc"); _ = (d / "m.json").write_text("{}")
        >>> folder_sha256(d, skip=("m.json",)) == {"a.txt": bytes_sha256(b"abc")}
        True
    """
    root = Path(folder)
    return {p.relative_to(root).as_posix(): file_sha256(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] not in skip}
