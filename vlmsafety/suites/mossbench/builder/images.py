"""MOSSBench's images checked (size, full decode, bomb limit, known checksums); the placeholder.

Example:
    >>> image_problem(b"not an image", 5).startswith("unreadable")
    True
    >>> image_problem(placeholder_png(), 5)
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache

from PIL import Image

from vlmsafety.storage.checksums import bytes_sha256
from vlmsafety.suites.mossbench.builder.schema import (
    KNOWN_IMAGE_SHA256,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
)

__all__ = ["image_problem", "placeholder_png"]


def image_problem(data: bytes, pid: int) -> str | None:
    """``None`` if the image is usable, else why not (decode, size, known checksum)."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"too large ({len(data):,} bytes > {MAX_IMAGE_BYTES:,})"
    known = KNOWN_IMAGE_SHA256.get(pid)
    if known is not None and bytes_sha256(data) != known:
        return f"checksum mismatch (expected sha256 {known}, got {bytes_sha256(data)})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                width, height = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return f"refused as a possible decompression bomb ({exc})"
    except Exception as exc:  # noqa: BLE001 - any decoder failure means an unusable file
        return f"unreadable ({type(exc).__name__}: {exc})"
    if not (MIN_IMAGE_SIDE <= min(width, height) and max(width, height) <= MAX_IMAGE_SIDE):
        return (f"size {width}x{height} outside {MIN_IMAGE_SIDE}..{MAX_IMAGE_SIDE} pixels per "
                "side")
    return None


@lru_cache(maxsize=1)
def placeholder_png() -> bytes:
    """A grey 64x64 PNG (the missing file is named by the row's ``image_file``)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (208, 208, 208)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()
