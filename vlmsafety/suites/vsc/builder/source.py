"""Where VSCBench's inputs come from: the pinned release files, their download and checksums.

Example:
    >>> sorted(SOURCE_FILES)
    ['image_centric', 'text_centric', 'xstest']
    >>> SOURCE_FILES["xstest"].url("http://127.0.0.1:8000").split("/")[-1]
    'xstest_prompts.csv'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from vlmsafety.errors import (
    SourceDataError,
    UnknownNameError,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "SOURCE_COMMIT",
    "SOURCE_FILES",
    "SOURCE_REPO",
    "XSTEST_COMMIT",
    "XSTEST_REPO",
    "SourceFile",
    "fetch_source_file",
    "load_input",
]

SOURCE_REPO: Final = "jiahuigeng/VSCBench"
SOURCE_COMMIT: Final = "426fa1f5b3ccce639ac5cbc593d887f166fc12d9"
XSTEST_REPO: Final = "paul-rottger/exaggerated-safety"
XSTEST_COMMIT: Final = "d7bb5bd738c1fcbc36edd83d5e7d1b71a3e2d84d"
DEFAULT_BASE_URL: Final = "https://raw.githubusercontent.com"
"""Raw-file host; a file's URL is ``{base_url}/{repo}/{commit}/{path}`` (tests use 127.0.0.1)."""


@dataclass(frozen=True)
class SourceFile:
    """One pinned input file.

    Attributes:
        repo: GitHub ``owner/name``.
        commit: The pinned commit.
        path: The file's path in the repo (also its expected name in a ``--source`` folder).
        sha256: Expected checksum of the file's bytes.
    """

    repo: str
    commit: str
    path: str
    sha256: str

    def url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        """The download URL under ``base_url``."""
        return f"{base_url.rstrip('/')}/{self.repo}/{self.commit}/{self.path}"


SOURCE_FILES: Final[Mapping[str, SourceFile]] = {
    "image_centric": SourceFile(
        SOURCE_REPO, SOURCE_COMMIT, "vscbench_image_centric.xlsx",
        "f33fc4d9622e93cf2710c27586bc059ea1d93385f7c7d93a0d2d9c6e82f568ee"),
    "text_centric": SourceFile(
        SOURCE_REPO, SOURCE_COMMIT, "vscbench_text_centric.xlsx",
        "dbac4ced24a41ffdef3b8c0297cabb2575b6d28b07f833966b0ce4f2cfd9d08b"),
    "xstest": SourceFile(
        XSTEST_REPO, XSTEST_COMMIT, "xstest_prompts.csv",
        "11783fb294ed017473ee53c207d71f2161c7672c8d0b037501e78387f801cb5a"),
}
"""The pinned inputs: the two VSCBench workbooks and XSTest's prompt file (for the repair)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_sha(name: str, data: bytes, where: str, *, allow_unpinned: bool) -> str:
    expected = SOURCE_FILES[name].sha256
    actual = _sha256(data)
    if actual != expected and not allow_unpinned:
        raise SourceDataError(
            f"checksum mismatch for {SOURCE_FILES[name].path} ({where}): expected sha256 "
            f"{expected}, got {actual} (pass allow_unpinned=True / --allow-unpinned to build from "
            "modified inputs; the card then says so)"
        )
    return actual


def fetch_source_file(
    name: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 60.0,
    allow_unpinned: bool = False,
) -> bytes:
    """Download one pinned input (a key of :data:`SOURCE_FILES`) and verify its sha256.

    Args:
        name: ``"image_centric"``, ``"text_centric"`` or ``"xstest"``.
        base_url: Raw-file host; the URL is ``{base_url}/{repo}/{commit}/{path}``.
        timeout: Seconds per request.
        allow_unpinned: Accept bytes whose checksum differs (not recommended).

    Returns:
        The file's bytes.

    Raises:
        UnknownNameError, SourceDataError: unknown name, HTTP or network failure, or checksum mismatch (the message
            names the file, the expected and the actual sha256).

    Example:
        >>> fetch_source_file("workbook")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.UnknownNameError: unknown source file 'workbook'; allowed: 'image_centric',
        'text_centric', 'xstest'
    """
    if name not in SOURCE_FILES:
        allowed = ", ".join(map(repr, SOURCE_FILES))
        raise UnknownNameError(f"unknown source file {name!r}; allowed: {allowed}")
    import httpx

    url = SOURCE_FILES[name].url(base_url)
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        local = ("--xstest FILE to give a local xstest_prompts.csv" if name == "xstest"
                 else "--source DIR to build from local copies")
        raise SourceDataError(
            f"cannot download {url}: {type(exc).__name__}: {exc} (use {local})") from exc
    if response.status_code != 200:
        raise SourceDataError(f"cannot download {url}: HTTP {response.status_code}")
    _check_sha(name, response.content, url, allow_unpinned=allow_unpinned)
    return response.content


def load_input(
    name: str, source: Path | None, explicit: Path | None, *, base_url: str, timeout: float,
    allow_unpinned: bool,
) -> tuple[bytes, str]:
    """Bytes and sha256 of one input: explicit file, else ``source/<path>``, else download."""
    path = explicit
    if path is None and source is not None:
        path = source / SOURCE_FILES[name].path
        if not path.is_file() and name == "xstest":
            # a build from local copies never downloads behind the user's back
            raise SourceDataError(
                f"{SOURCE_FILES[name].path} is not in --source {source}: pass --xstest FILE "
                "(XSTest's prompt file), copy it into --source, or omit --source to download "
                "every input from its pinned commit")
    if path is None:
        data = fetch_source_file(name, base_url=base_url, timeout=timeout,
                                 allow_unpinned=allow_unpinned)
        return data, _sha256(data)
    if not path.is_file():
        raise SourceDataError(
            f"input file not found: {path} (expected {SOURCE_FILES[name].path})")
    data = path.read_bytes()
    return data, _check_sha(name, data, str(path), allow_unpinned=allow_unpinned)
