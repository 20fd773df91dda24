"""MSTS images checked (size, format, full decode, bomb limit), read from a folder, the placeholder.

An image is kept byte for byte as fetched; :func:`check_image` only decides whether it is usable
and under which extension it is stored.

Example:
    >>> check_image(placeholder_png()).ext
    'png'
    >>> check_image(b"<html>Too many requests</html>").problem.startswith("unreadable")
    True
    >>> check_image(placeholder_png(), max_bytes=10).problem
    'too large (... bytes > 10)'
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image

from vlmsafety.errors import SourceDataError
from vlmsafety.storage.checksums import bytes_sha256
from vlmsafety.storage.images import image_problem, png_bytes
from vlmsafety.suites.msts.builder.schema import (
    FORMAT_EXTENSIONS,
    IMAGE_EXTENSIONS,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
)
from vlmsafety.suites.msts.release import ImageInfo

__all__ = ["BuiltImage", "Checked", "ImageFolder", "check_image", "placeholder_png"]


@dataclass(frozen=True)
class Checked:
    """What :func:`check_image` found: ``problem`` is ``None`` for a usable image, whose
    extension is then ``ext`` (from its decoded format, not from a file name)."""

    problem: str | None
    ext: str = ""


def check_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> Checked:
    """Whether ``data`` is a usable image: at most ``max_bytes``, PNG, JPEG or WebP, decoding
    fully within Pillow's pixel limit and :data:`MIN_IMAGE_SIDE`..:data:`MAX_IMAGE_SIDE` pixels
    per side."""
    if len(data) > max_bytes:
        return Checked(f"too large ({len(data):,} bytes > {max_bytes:,})")
    if not data:
        return Checked("empty file")
    problem = image_problem(data)
    if problem is not None:
        return Checked(problem)
    with Image.open(io.BytesIO(data)) as im:
        fmt, (width, height) = im.format or "", im.size
    if fmt not in FORMAT_EXTENSIONS:
        return Checked(f"format {fmt or 'unknown'} is not one of {', '.join(FORMAT_EXTENSIONS)}")
    if not (MIN_IMAGE_SIDE <= min(width, height) and max(width, height) <= MAX_IMAGE_SIDE):
        return Checked(f"size {width}x{height} outside {MIN_IMAGE_SIDE}..{MAX_IMAGE_SIDE} pixels "
                       "per side")
    return Checked(None, FORMAT_EXTENSIONS[fmt])


@dataclass(frozen=True)
class BuiltImage:
    """One image as the build uses it: the file (``None`` for a placeholder), where it came
    from, its sha256 and extension, or the problem (and its cause) a placeholder stands in for."""

    info: ImageInfo
    path: Path | None
    fetched_from: str
    sha256: str | None = None
    ext: str = ""
    problem: str | None = None
    cause: str | None = None

    def row_image(self) -> tuple[dict[str, Any], str]:
        """The ``image`` cell and the sha256 of the bytes embedded."""
        if self.path is None:
            data = placeholder_png()
            return {"bytes": data, "path": None}, bytes_sha256(data)
        return {"bytes": self.path.read_bytes(), "path": f"{self.info.image_id}.{self.ext}"}, \
            str(self.sha256)


@lru_cache(maxsize=1)
def placeholder_png() -> bytes:
    """A grey 64x64 PNG standing in for a missing or bad image (``--placeholders``)."""
    return png_bytes(Image.new("RGB", (64, 64), (208, 208, 208)))


class ImageFolder:
    """``--images DIR``: ``<image id>.<ext>`` files (:data:`IMAGE_EXTENSIONS`, any case).

    Raises:
        SourceDataError: ``folder`` is not a folder.
    """

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise SourceDataError(f"--images {folder} is not a folder (expected <image id>."
                                  f"<ext> files, ext one of {', '.join(IMAGE_EXTENSIONS)})")
        self.folder = folder
        self._files: dict[str, list[Path]] = defaultdict(list)
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix.lower().lstrip(".") in IMAGE_EXTENSIONS:
                self._files[path.stem].append(path)

    def read(self, image_id: str) -> tuple[bytes | None, str]:
        """The image's bytes (``None`` when there is no file, or more than one) and its path or
        why none was read."""
        found = self._files.get(image_id, [])
        if len(found) > 1:
            return None, "ambiguous: " + ", ".join(str(p) for p in found)
        if not found:
            exts = ", ".join(IMAGE_EXTENSIONS)
            return None, f"missing: no {self.folder / image_id}.<{exts}>"
        return found[0].read_bytes(), str(found[0])
