"""One request per dataset row: the row checked, its image as bytes and type, its messages.

A data URL is built only when its request is sent, from the dataset's stored image bytes (no
decoding and re-encoding); formats other than PNG, JPEG, GIF and WebP are converted to PNG.

Example:
    >>> import io
    >>> from PIL import Image
    >>> png = io.BytesIO()
    >>> Image.new("RGB", (2, 2)).save(png, "PNG")
    >>> item = as_item({"id": "a", "prompt": "Hi", "image": png.getvalue()}, None, 0)
    >>> item.image[1], item.messages(None)[0]["content"][0]["image_url"]["url"][:22]
    ('image/png', 'data:image/png;base64,')
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vlmsafety.chat_client import image_data_url
from vlmsafety.errors import DatasetRowError

__all__ = ["Item", "Row", "as_item", "image_bytes"]

Row = Mapping[str, Any]

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


def _mime(data: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_bytes(value: Any, row_id: str) -> tuple[bytes, str] | None:
    """``(bytes, mime)`` of an image given as bytes, ``{"bytes", "path"}``, a path or a PIL image.

    Formats other than PNG, JPEG, GIF and WebP are converted to PNG.
    """
    if value is None:
        return None
    data: bytes | None = None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, Mapping):
        if value.get("bytes") is not None:
            data = bytes(value["bytes"])
        elif value.get("path"):
            value = value["path"]
        else:
            raise DatasetRowError(f"row {row_id!r}: image has neither bytes nor path")
    if data is None and isinstance(value, (str, os.PathLike)):
        try:
            data = Path(value).read_bytes()
        except OSError as exc:
            raise DatasetRowError(f"row {row_id!r}: cannot read image {value!r}: {exc}") from None
    if data is None:
        if not hasattr(value, "save"):
            raise DatasetRowError(
                f"row {row_id!r}: image must be bytes, a {{'bytes', 'path'}} dict, a path or a "
                f"PIL image, got {type(value).__name__}")
        from vlmsafety.storage.images import png_bytes

        return png_bytes(value), "image/png"
    from vlmsafety.storage.images import image_problem, png_bytes

    problem = image_problem(data)  # a truncated PNG has a PNG header but does not decode
    if problem is not None:
        raise DatasetRowError(f"row {row_id!r}: the image is {problem}")
    mime = _mime(data)
    if mime is None:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as im:
                return png_bytes(im), "image/png"
        except (UnidentifiedImageError, OSError) as exc:
            raise DatasetRowError(f"row {row_id!r}: the image bytes are not an image Pillow "
                                    f"can read ({exc})") from None
    return data, mime


# ------------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class Item:
    id: str
    prompt: str
    image: tuple[bytes, str] | None
    config: str | None

    def key_parts(self) -> tuple[str, str | None, str | None]:
        """What identifies the request besides model, params and system prompt: the prompt and
        the image's type and sha256 (not its data URL)."""
        if self.image is None:
            return self.prompt, None, None
        data, mime = self.image
        return self.prompt, mime, hashlib.sha256(data).hexdigest()

    def messages(self, system: str | None) -> list[dict[str, Any]]:
        return self._messages(system, image_data_url(*self.image) if self.image else None)

    def _messages(self, system: str | None, url: str | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if system is not None:
            out.append({"role": "system", "content": system})
        if url is None:  # text only
            out.append({"role": "user", "content": self.prompt})
            return out
        out.append({"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": url}},
            {"type": "text", "text": self.prompt},
        ]})
        return out


def as_item(row: Row, config: str | None, position: int) -> Item:
    where = f"row {position}" + (f" of config {config!r}" if config else "")
    if not isinstance(row, Mapping):
        raise DatasetRowError(f"{where}: expected a mapping with id/prompt/image, "
                                f"got {type(row).__name__}")
    rid = row.get("id")
    if not isinstance(rid, str) or not rid:
        raise DatasetRowError(f"{where}: 'id' must be a non-empty string, got {rid!r}")
    prompt = row.get("prompt")
    if not isinstance(prompt, str):
        raise DatasetRowError(f"{where} (id {rid!r}): 'prompt' must be a string, got "
                                f"{type(prompt).__name__}")
    return Item(rid, prompt, image_bytes(row.get("image"), rid), config)

