"""MSTS's release files for a build: a local clone, or the pinned CSVs downloaded and checked.

Without ``--source`` the builder downloads exactly the prompt files of the configs it builds and
``data/images/unsafe_images.csv`` from the release commit, checks each against its sha256 in
:data:`vlmsafety.suites.msts.release.SHA256` and lays them out in a temporary folder as in the
release, so that :func:`~vlmsafety.suites.msts.release.read_prompts` reads both the same way.

Example:
    >>> source_url("data/images/unsafe_images.csv", "http://127.0.0.1:8000")
    'http://127.0.0.1:8000/paul-rottger/msts-multimodal-safety/e9ae69e8f1ab87ab2bb2ed7c51e992e0430f12e3/data/images/unsafe_images.csv'
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vlmsafety.errors import SourceDataError
from vlmsafety.storage.checksums import bytes_sha256
from vlmsafety.suites.msts.builder.schema import DEFAULT_BASE_URL, SOURCE_COMMIT, SOURCE_REPO
from vlmsafety.suites.msts.release import SHA256

__all__ = ["download_release", "source_url"]


def source_url(path: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The download URL of a release file at the pinned commit."""
    return f"{base_url.rstrip('/')}/{SOURCE_REPO}/{SOURCE_COMMIT}/{path}"


def download_release(root: Path, paths: Sequence[str], *, base_url: str = DEFAULT_BASE_URL,
                     timeout: float = 60.0) -> None:
    """Download ``paths`` (release-relative) into ``root``, each checked against its sha256.

    Raises:
        SourceDataError: a failed download (named with its URL and the HTTP status or error), or a
            file whose sha256 differs from the pinned one (expected and actual named).
    """
    import httpx

    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        for path in paths:
            url = source_url(path, base_url)
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                raise SourceDataError(
                    f"cannot download {url}: {type(exc).__name__}: {exc} (use --source DIR to "
                    "build from a local clone of the release)") from exc
            if response.status_code != 200:
                raise SourceDataError(f"cannot download {url}: HTTP {response.status_code}")
            actual, expected = bytes_sha256(response.content), SHA256[path]
            if actual != expected:
                raise SourceDataError(f"checksum mismatch for {path} ({url}): expected sha256 "
                                      f"{expected}, got {actual}")
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
