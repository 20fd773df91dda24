"""Image bytes in and out: deterministic PNG encoding and decoding that refuses decompression bombs.

The one copy of these helpers: the builders (rendered, perturbed and placeholder images, release
images), :mod:`vlmsafety.render` and :mod:`vlmsafety.generate` (images converted for an endpoint)
call them.

Example:
    >>> from PIL import Image
    >>> data = png_bytes(Image.new("RGB", (4, 3), "white"))
    >>> data[:8], png_bytes(Image.new("RGB", (4, 3), "white")) == data
    (b'\\x89PNG\\r\\n\\x1a\\n', True)
    >>> image_problem(data) is None, image_problem(data[:20])
    (True, 'unreadable (OSError: Truncated File Read)')
    >>> image_problem(b"not an image")
    'unreadable (UnidentifiedImageError: cannot identify image file ...)'
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image

__all__ = ["DECOMPRESSION_BOMB_ERRORS", "bombs_as_errors", "count_placeholders", "image_problem",
           "png_bytes"]

DECOMPRESSION_BOMB_ERRORS: tuple[type[Exception], ...] = (
    Image.DecompressionBombError, Image.DecompressionBombWarning)
"""What Pillow raises for an image over its pixel limit, once :func:`bombs_as_errors` is on."""


def png_bytes(image: Image.Image, *, compress_level: int = 6) -> bytes:
    """Encode ``image`` as PNG with fixed settings (the same pixels give the same bytes).

    Args:
        image: Any Pillow image.
        compress_level: zlib level 0-9; 6 is Pillow's default (the bytes equal a plain
            ``image.save(buf, "PNG")``); the DUAL builder uses 1 for its noise images (see
            :data:`vlmsafety.suites.dual.builder.build.PNG_COMPRESS_LEVEL`).
    """
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, compress_level=compress_level)
    return buf.getvalue()


@contextmanager
def bombs_as_errors(max_pixels: int | None = None) -> Iterator[None]:
    """Within the block, Pillow's ``DecompressionBombWarning`` is raised as an error.

    Pillow only warns between ``Image.MAX_IMAGE_PIXELS`` and twice that; an input beyond the
    limit must be refused, not decoded. Catch :data:`DECOMPRESSION_BOMB_ERRORS`. ``max_pixels``
    sets the limit within the block (a user's ``--max-image-pixels`` can raise it as well as
    lower it); Pillow's own limit is restored on exit.
    """
    before = Image.MAX_IMAGE_PIXELS
    try:
        if max_pixels is not None:
            Image.MAX_IMAGE_PIXELS = max_pixels
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = before


_BUFFER_REPR = re.compile(r"<_io\.BytesIO object at 0x[0-9a-fA-F]+>")


def image_problem(data: bytes) -> str | None:
    """``None`` if ``data`` decodes fully with Pillow, else why not (the bomb limit is an error).

    Returns:
        ``None``, ``"refused as a possible decompression bomb (...)"`` or
        ``"unreadable (<exception type>: <message>)"``.
    """
    try:
        with bombs_as_errors(), Image.open(io.BytesIO(data)) as im:
            im.load()
    except DECOMPRESSION_BOMB_ERRORS as exc:
        return f"refused as a possible decompression bomb ({exc})"
    except Exception as exc:  # noqa: BLE001 - any decoder failure means an unusable file
        # Pillow names the buffer (<_io.BytesIO object at 0x...>), which tells a user nothing
        text = _BUFFER_REPR.sub("from the given bytes", str(exc))
        return f"unreadable ({type(exc).__name__}: {text})"
    return None


def count_placeholders(root: str | os.PathLike[str],
                       unreadable: list[str] | None = None) -> tuple[int, int]:
    """``(placeholder images, images)`` of a built dataset folder: rows whose ``image_source``
    is ``placeholder`` (a build with ``--placeholders``), read from that column of every shard
    (a ``ClassLabel``: its names come from the shard's ``datasets`` metadata). A shard that
    cannot be read is named in ``unreadable`` (when given) and not counted."""
    import json

    import pyarrow.parquet as pq

    placeholders = images = 0
    for shard in sorted(Path(root).glob("data/**/*.parquet")):
        try:
            schema = pq.read_schema(shard)
            if "image_source" not in schema.names:
                continue
            table = pq.read_table(shard, columns=["image_source"])
        except Exception as exc:  # noqa: BLE001 - any reader failure: the shard is named
            if unreadable is not None:
                unreadable.append(f"{shard.relative_to(root)} ({type(exc).__name__})")
            continue
        values = table.column("image_source").to_pylist()
        meta = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))
        names = meta.get("info", {}).get("features", {}).get("image_source", {}).get("names")
        if names:
            values = [names[v] if isinstance(v, int) else v for v in values]
        images += sum(v is not None for v in values)  # None: a row without an image
        placeholders += sum(v == "placeholder" for v in values)
    return placeholders, images
