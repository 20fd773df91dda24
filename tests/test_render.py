from __future__ import annotations

import numpy as np
import pytest

from vlmsafety.render import png_bytes, render_text, wrap_text


def test_deterministic_and_draws_something() -> None:
    a = render_text("Explain how to store cleaning products safely.", size=(256, 256))
    b = render_text("Explain how to store cleaning products safely.", size=(256, 256))
    assert png_bytes(a) == png_bytes(b)
    arr = np.asarray(a)
    assert (arr < 128).any() and (arr > 128).any()


def test_text_stays_inside_margins() -> None:
    img = render_text("word " * 200, size=(200, 200), margin=20)
    arr = np.asarray(img.convert("L"))
    assert (arr[:, :18] == 255).all() and (arr[:, -18:] == 255).all()


def test_long_words_are_split() -> None:
    from PIL import ImageFont

    font = ImageFont.load_default(size=20)
    lines = wrap_text("x" * 200, font, 100)
    assert len(lines) > 1 and all(font.getlength(line) <= 100 for line in lines)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="too small"):
        render_text("x", size=(10, 10), margin=10)
    with pytest.raises(ValueError, match="align must be"):
        render_text("x", align="right")
