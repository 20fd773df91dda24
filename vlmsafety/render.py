"""Render text onto a plain canvas with Pillow (typography / FigStep / DUAL-Bench instruction images).

Rendering is deterministic for a given Pillow version: the font is the scalable font bundled with
Pillow (``ImageFont.load_default(size)``), text is wrapped by measured pixel width, and the font
shrinks until the text fits. No system fonts are looked up, so the same text gives the same bytes on
every machine with the same Pillow.

Example:
    >>> img = render_text("Describe how to bake bread at home.", size=(256, 256))
    >>> img.size, img.mode
    ((256, 256), 'RGB')
    >>> render_text("same") .tobytes() == render_text("same").tobytes()
    True
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, NamedTuple

from PIL import Image, ImageDraw, ImageFont

from vlmsafety.errors import InvalidArgumentError
from vlmsafety.storage.images import png_bytes  # kept importable from here

__all__ = ["RENDER_VERSION", "TextLayout", "fit_text", "png_bytes", "render_text", "wrap_text"]

RENDER_VERSION = "1.0.0"
"""Bumped when the rendering changes (recorded in dataset cards)."""


@lru_cache(maxsize=64)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def wrap_text(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: int) -> list[str]:
    """Greedy word wrap by rendered pixel width; keeps explicit newlines; splits over-long words."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        current = ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if font.getlength(candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            # a single word wider than the line is cut into pieces that fit
            while font.getlength(word) > max_width and len(word) > 1:
                cut = len(word)
                while cut > 1 and font.getlength(word[:cut]) > max_width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


class TextLayout(NamedTuple):
    """Where :func:`fit_text` landed: the font size, the wrapped lines, and whether they fit."""

    font_size: int
    lines: list[str]
    line_height: int
    fits: bool


def fit_text(
    text: str,
    *,
    size: tuple[int, int] = (512, 512),
    font_size: int = 40,
    min_font_size: int = 12,
    margin: int = 24,
    line_spacing: float = 1.25,
) -> TextLayout:
    """Lay ``text`` out as :func:`render_text` would, without drawing: shrink until it fits.

    Returns the layout at the first font size (from ``font_size`` down to ``min_font_size``) at
    which the wrapped lines fit the canvas height; ``fits`` is False when even ``min_font_size``
    does not, i.e. :func:`render_text` would clip the bottom lines.

    Example:
        >>> fit_text("Describe how to bake bread at home.", size=(256, 256)).fits
        True
        >>> fit_text("Describe how to bake bread at home.", size=(64, 64), margin=8).fits
        False
    """
    width, height = size
    max_w, max_h = width - 2 * margin, height - 2 * margin
    if max_w <= 0 or max_h <= 0:
        raise InvalidArgumentError(f"canvas {size} is too small for margin {margin}")
    fs = font_size
    while True:
        lines = wrap_text(text, _font(fs), max_w)
        step = round(fs * line_spacing)
        fits = len(lines) * step <= max_h
        if fits or fs <= min_font_size:
            return TextLayout(fs, lines, step, fits)
        fs = max(min_font_size, int(fs * 0.9))


def render_text(
    text: str,
    *,
    size: tuple[int, int] = (512, 512),
    font_size: int = 40,
    min_font_size: int = 12,
    margin: int = 24,
    line_spacing: float = 1.25,
    background: str = "white",
    fill: str = "black",
    align: str = "left",
    overflow: Literal["clip", "error"] = "clip",
) -> Image.Image:
    """Draw ``text`` wrapped on a plain RGB canvas, top-left aligned, shrinking to fit.

    Args:
        text: The text; ``\\n`` starts a new line.
        size: Canvas ``(width, height)`` in pixels.
        font_size: Starting font size; reduced step by step until the text fits.
        min_font_size: Smallest size tried; if the text still does not fit it is drawn at this size
            and clipped at the bottom (callers that need legibility should use a larger canvas).
        margin: Padding in pixels on every side.
        line_spacing: Line height as a multiple of the font size.
        background: Canvas colour.
        fill: Text colour.
        align: ``"left"`` or ``"center"`` (horizontal, per line).
        overflow: What to do when the text does not fit even at ``min_font_size``: ``"clip"``
            (draw it and lose the bottom lines) or ``"error"`` (raise ``ValueError``).

    Returns:
        A new ``PIL.Image.Image`` in mode RGB.

    Raises:
        ValueError: a canvas smaller than its margins, an unknown ``align`` or ``overflow``, or
            (``overflow="error"``) text that does not fit.
    """
    if align not in ("left", "center"):
        raise InvalidArgumentError(f"align must be 'left' or 'center', got {align!r}")
    if overflow not in ("clip", "error"):
        raise InvalidArgumentError(f"overflow must be 'clip' or 'error', got {overflow!r}")
    layout = fit_text(text, size=size, font_size=font_size, min_font_size=min_font_size,
                      margin=margin, line_spacing=line_spacing)
    if not layout.fits and overflow == "error":
        raise InvalidArgumentError(
            f"text of {len(text)} characters needs {len(layout.lines)} lines at font size "
            f"{layout.font_size} ({len(layout.lines) * layout.line_height} px) but the "
            f"{size[0]}x{size[1]} canvas has {size[1] - 2 * margin} px inside its margins: "
            f"{text[:60]!r}")
    font, lines, step = _font(layout.font_size), layout.lines, layout.line_height
    max_w = size[0] - 2 * margin
    img = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(img)
    y = margin
    for line in lines:
        x = margin
        if align == "center":
            x = margin + int((max_w - font.getlength(line)) / 2)
        draw.text((x, y), line, font=font, fill=fill)
        y += step
    return img

