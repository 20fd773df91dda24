"""VSCBench's images: finding them in the release archive, checking they decode, re-rendering.

The release's images come as a folder or a zip whose file names vary with the archive tool
(apostrophes, Unicode normalisation); :class:`ImageStore` finds them under those variants.
A missing or corrupt image is re-rendered from the workbook text (typography and FigStep only),
replaced by a placeholder, or reported, as :func:`resolve_image` is told.

Example:
    >>> store = ImageStore(None)
    >>> problems = []
    >>> resolve_image(store, "vscbench_text_centric_images/search/d_0_1.png", "search", None,
    ...               problems, placeholders=False, render_missing=False, size=64)
    (None, '')
    >>> problems
    ['missing: vscbench_text_centric_images/search/d_0_1.png']
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import (
    SourceDataError,
)
from vlmsafety.render import render_text
from vlmsafety.storage.images import image_problem, png_bytes
from vlmsafety.suites.vsc.builder.defects import APOSTROPHES
from vlmsafety.suites.vsc.builder.schema import IMAGE_FOLDERS, RENDERABLE

__all__ = ["PLACEHOLDER_CAUSES", "ImageJob", "ImageStore", "resolve_image", "resolve_task"]

PLACEHOLDER_CAUSES: tuple[str, ...] = ("missing", "corrupt", "not_given")
"""Why an image became a placeholder: absent from the archive, present but not decodable, or no
archive given at all."""


def _key(relpath: str) -> str:
    text = unicodedata.normalize("NFC", relpath.replace("\\", "/"))
    for a in APOSTROPHES:
        text = text.replace(a, "'")
    return text.casefold()


class ImageStore:
    """Read-only view of the image archive (a folder or a zip), tolerant of name encodings."""

    def __init__(self, images: Path | None) -> None:
        self.images = images
        self._zip: zipfile.ZipFile | None = None
        self._exact: dict[str, str] = {}
        self._loose: dict[str, list[str]] = defaultdict(list)
        if images is None:
            return
        if not images.exists():
            raise SourceDataError(f"--images {images} does not exist")
        for name in self._names(images):
            parts = name.split("/")
            if "__MACOSX" in parts:
                continue
            for i, part in enumerate(parts):
                if part in IMAGE_FOLDERS.values():
                    rel = "/".join(parts[i:])
                    self._exact.setdefault(rel, name)
                    self._loose[_key(rel)].append(name)
                    break
        if not self._exact:
            raise SourceDataError(
                f"--images {images}: no {' or '.join(IMAGE_FOLDERS.values())} folder inside"
            )

    def _names(self, images: Path) -> list[str]:
        """Every file in the folder or zip, as a ``/``-separated path."""
        if images.is_dir():
            return [p.relative_to(images).as_posix() for p in images.rglob("*") if p.is_file()]
        try:
            self._zip = zipfile.ZipFile(images)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceDataError(
                f"--images {images}: not a folder or a zip archive ({exc})") from None
        return [n for n in self._zip.namelist() if not n.endswith("/")]

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (sent to worker processes): an open zip is reopened where it is read."""
        return {**self.__dict__, "_zip": None, "_loose": dict(self._loose)}

    def read(self, relpath: str) -> bytes | None:
        """The bytes of ``relpath`` (exact name, else its one loose match), or ``None``."""
        name = self._exact.get(relpath)
        if name is None:
            loose = self._loose.get(_key(relpath), [])
            name = loose[0] if len(loose) == 1 else None
        if name is None or self.images is None:
            return None
        if self.images.is_file():
            if self._zip is None:
                self._zip = zipfile.ZipFile(self.images)
            return self._zip.read(name)
        return (self.images / name).read_bytes()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _draw(text: str, size: int, background: str = "white",
          overflow: Literal["clip", "error"] = "clip") -> bytes:
    img = render_text(text, size=(size, size), font_size=max(8, size // 12),
                      min_font_size=max(6, size // 40), margin=max(2, size // 20),
                      background=background, overflow=overflow)
    return png_bytes(img)


@lru_cache(maxsize=8)
def _placeholder(size: int) -> bytes:
    """One grey image per size (the missing file is named by the row's ``image_file``)."""
    return _draw("PLACEHOLDER: image not available", size, "#d0d0d0")


def resolve_image(
    store: ImageStore, relpath: str, setting: str, text: str | None, problems: list[str], *,
    placeholders: bool, render_missing: bool, size: int, causes: Counter[str] | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """A row's image and its ``image_source``; ``(None, "")`` after appending to ``problems``.

    The archive's bytes when they decode; else, if asked, the typography/FigStep ``text``
    re-rendered whole at ``size`` (an error if it does not fit) or a placeholder, whose cause
    (:data:`PLACEHOLDER_CAUSES`: ``not_given``, ``missing``, ``corrupt``) is counted in ``causes``.
    """
    data = store.read(relpath) if store.images is not None else None
    problem = "missing" if data is None else image_problem(data)
    if data is not None and problem is None:
        return {"bytes": data, "path": relpath.rsplit("/", 1)[-1]}, "original"
    if render_missing and setting in RENDERABLE and text is not None:
        try:  # a re-rendered image must show the whole text, or the item changes meaning
            data = _draw(text, size, overflow="error")
        except ValueError as exc:
            raise SourceDataError(
                f"cannot re-render {relpath} at image_size={size}: {exc}; use a larger "
                "--image-size") from exc
        return {"bytes": data, "path": None}, "rendered"
    if placeholders:
        if causes is not None:
            causes["not_given" if store.images is None
                   else "missing" if data is None else "corrupt"] += 1
        return {"bytes": _placeholder(size), "path": None}, "placeholder"
    problems.append(f"{problem}: {relpath}")
    return None, ""


@dataclass(frozen=True)
class ImageJob:
    """What resolving a row's image needs besides the row (sent once to each worker)."""

    store: ImageStore
    placeholders: bool
    render_missing: bool
    size: int


def resolve_task(job: ImageJob, task: tuple[str, str, str | None] | None
                 ) -> tuple[dict[str, Any] | None, str, list[str], str | None] | None:
    """:func:`resolve_image` of one ``(relpath, setting, text)`` with the problems it found and
    the cause of a placeholder (run in a worker); ``None`` for a row without an image."""
    if task is None:
        return None
    problems: list[str] = []
    causes: Counter[str] = Counter()
    image, kind = resolve_image(job.store, *task, problems, placeholders=job.placeholders,
                                render_missing=job.render_missing, size=job.size, causes=causes)
    return image, kind, problems, next(iter(causes), None)
