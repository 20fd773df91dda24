"""DUAL-Bench's images: release images opened safely, instructions rendered legibly.

Example:
    >>> layout((512, 512))
    {'font_size': 40, 'min_font_size': 10, 'margin': 42}
    >>> fits("Describe the image", (256, 256)), fits("word " * 400, (64, 64))
    (True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from PIL import Image

from vlmsafety.errors import (
    InvalidArgumentError,
    SourceDataError,
)
from vlmsafety.render import fit_text, render_text
from vlmsafety.storage.images import DECOMPRESSION_BOMB_ERRORS, bombs_as_errors
from vlmsafety.suites.dual.builder.schema import DualItem

__all__ = [
    "Layout",
    "OpenReleaseImage",
    "check_legible",
    "fits",
    "layout",
    "load_release_image",
    "render_instruction",
]


class Layout(TypedDict):
    """Font sizes and margin of a rendered instruction, in pixels."""

    font_size: int
    min_font_size: int
    margin: int


def _pixel_limit(max_image_pixels: int | None) -> int | None:
    return Image.MAX_IMAGE_PIXELS if max_image_pixels is None else max_image_pixels


class OpenReleaseImage:
    """Open a release image with decompression-bomb warnings turned into errors naming the row."""

    def __init__(self, item: DualItem, max_image_pixels: int | None = None) -> None:
        self.item = item
        self.limit = _pixel_limit(max_image_pixels)
        self.image: Image.Image | None = None

    def __enter__(self) -> Image.Image:
        item = self.item
        where = f"{item.where} (id={item.id!r}): image {item.image}"
        if item.image is None or not item.image.is_file():
            raise SourceDataError(f"{where}: file not found")
        try:
            # Pillow's check may only be raised here: a lower limit is checked below, by name
            raised = (None if self.limit is None or Image.MAX_IMAGE_PIXELS is None
                      else max(self.limit, Image.MAX_IMAGE_PIXELS))
            with bombs_as_errors(raised):
                self.image = Image.open(item.image)
        except DECOMPRESSION_BOMB_ERRORS as exc:
            raise SourceDataError(
                f"{where}: refused as a possible decompression bomb ({exc}); raise "
                "--max-image-pixels to accept it") from None
        except Exception as exc:  # noqa: BLE001 - any decoder failure means an unreadable file
            raise SourceDataError(
                f"{where}: unreadable image ({type(exc).__name__}: {exc})") from None
        w, h = self.image.size
        if self.limit is not None and w * h > self.limit:
            self.image.close()
            raise SourceDataError(
                f"{where}: {w}x{h} = {w * h} pixels exceeds the limit of {self.limit} "
                "(refused as a possible decompression bomb; raise --max-image-pixels to accept "
                "it)"
            )
        return self.image

    def __exit__(self, *exc: object) -> None:
        if self.image is not None:
            self.image.close()


def load_release_image(
    item: DualItem, max_image_pixels: int | None,
) -> tuple[bytes, Image.Image]:
    """Original bytes (stored as is in ``clean``) and decoded RGB pixels (input to perturbations)."""
    with OpenReleaseImage(item, max_image_pixels) as im:
        try:
            im.load()
            rgb = im.convert("RGB")
        except Exception as exc:  # noqa: BLE001
            raise SourceDataError(
                f"{item.where} (id={item.id!r}): image {item.image}: unreadable image "
                f"({type(exc).__name__}: {exc})"
            ) from None
    assert item.image is not None
    return item.image.read_bytes(), rgb


def layout(image_size: tuple[int, int]) -> Layout:
    """Font and margin of rendered instructions, scaled with the canvas (40 px text at 512)."""
    short = min(image_size)
    return {"font_size": max(12, round(40 * short / 512)), "min_font_size": 10,
            "margin": max(8, round(42 * short / 512))}


def render_instruction(item: DualItem, image_size: tuple[int, int]) -> Image.Image:
    """The item's instruction drawn whole on a white canvas (an error if it does not fit)."""
    return render_text(item.instruction or "", size=image_size, overflow="error",
                       **layout(image_size))


def fits(text: str, image_size: tuple[int, int]) -> bool:
    """Whether ``text`` fits ``image_size`` whole at the layout's smallest font."""
    params = layout(image_size)
    if min(image_size) <= 2 * params["margin"]:
        return False
    return fit_text(text, size=image_size, **params).fits


def check_legible(items: Sequence[DualItem], image_size: tuple[int, int]) -> None:
    """Raise unless every instruction to be rendered fits ``image_size`` whole.

    An instruction that does not fit at the smallest font would lose its last lines, and with
    them, often, the very words that make it harmful or benign; such a dataset measures nothing.

    Raises:
        SourceDataError: naming the instructions that do not fit and the smallest canvas (same
            aspect ratio, in steps of 32 px) on which they all do.

    Example:
        >>> from vlmsafety.suites.dual.builder import sample_items
        >>> check_legible(sample_items(), (256, 256))
        >>> check_legible(sample_items(), (64, 64))
        Traceback (most recent call last):
        ...
        vlmsafety.errors.SourceDataError: 48 instruction(s) do not fit a 64x64 canvas ...
    """
    w, h = image_size
    if w <= 0 or h <= 0:
        raise InvalidArgumentError(f"image_size must be two positive integers, got {image_size!r}")
    unfit = [i for i in items if i.image is None and not fits(i.instruction or "", image_size)]
    if not unfit:
        return
    short, k = min(w, h), 1
    while True:  # grow the short side in steps of 32 px, keeping the aspect ratio
        factor = (short // 32 + k) * 32 / short
        bigger = (round(w * factor), round(h * factor))
        if all(fits(i.instruction or "", bigger) for i in unfit) or max(bigger) > 4096:
            break
        k += 1
    named = ", ".join(f"{i.id!r} ({len(i.instruction or '')} chars)" for i in unfit[:3])
    more = f" and {len(unfit) - 3} more" if len(unfit) > 3 else ""
    raise SourceDataError(
        f"{len(unfit)} instruction(s) do not fit a {w}x{h} canvas even at font size "
        f"{layout(image_size)['min_font_size']} and would be cut off: {named}{more}; use an "
        f"image size of at least {bigger[0]}x{bigger[1]} (--image-size {bigger[0]}x{bigger[1]})"
    )
