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
from collections.abc import Mapping
from pathlib import Path

__all__ = ["bytes_sha256", "compare_sha256", "file_sha256", "folder_sha256", "response_sha256"]

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


def compare_sha256(recorded: Mapping[str, str], actual: Mapping[str, str]
                   ) -> tuple[list[str], list[str], list[str]]:
    """``(changed, missing, added)`` relative paths between a recorded and an actual listing of
    sha256 by path (each sorted).

    Example:
        >>> compare_sha256({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "9", "d": "4"})
        (['b'], ['c'], ['d'])
    """
    changed = sorted(p for p in recorded if p in actual and actual[p] != recorded[p])
    return (changed, sorted(set(recorded) - set(actual)), sorted(set(actual) - set(recorded)))


def response_sha256(text: str) -> str:
    """sha256 (hex) of a response's UTF-8 text: ties a human label to the exact text judged.

    Example:
        >>> response_sha256("abc")  # the FIPS 180-2 test vector
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    return bytes_sha256(text.encode("utf-8"))
