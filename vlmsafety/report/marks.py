"""A visible mark on plots drawn from data that cannot measure a model (placeholder images).

The mark is a red band across the top of the PNG, added after the figure is drawn so that every
benchmark's plots get it the same way; the report's text says the same in its warnings.

Example:
    >>> placeholder_note({"dataset": {"image_source": {"c": {"original": 3, "placeholder": 1}}}})
    'PLACEHOLDER IMAGES: 1 of 4 rows - not a measurement of any model'
    >>> placeholder_note({"dataset": {"image_source": {}}}) is None
    True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["mark_plot", "placeholder_note"]


def placeholder_note(results: Mapping[str, Any]) -> str | None:
    """The mark's text when any scored row has a placeholder image, else ``None``."""
    sources = results.get("dataset", {}).get("image_source") or {}
    placeholders = sum(c.get("placeholder", 0) for c in sources.values())
    if not placeholders:
        return None
    total = sum(sum(c.values()) for c in sources.values())
    return f"PLACEHOLDER IMAGES: {placeholders} of {total} rows - not a measurement of any model"


def mark_plot(path: str | os.PathLike[str], text: str) -> Path:
    """Add a red band holding ``text`` above the image at ``path`` (rewritten in place)."""
    from PIL import Image, ImageDraw, ImageFont

    out = Path(path)
    with Image.open(out) as im:
        plot = im.convert("RGB")
    size = max(12, plot.width // 60)
    font = ImageFont.load_default(size=size)
    band = int(size * 2.2)
    marked = Image.new("RGB", (plot.width, plot.height + band), "#c62828")
    marked.paste(plot, (0, band))
    ImageDraw.Draw(marked).text((plot.width // 2, band // 2), text, fill="white", font=font,
                                anchor="mm")
    tmp = out.with_name(f".{out.name}.tmp")
    marked.save(tmp, format="PNG")
    tmp.replace(out)
    return out
