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


def test_fit_text_reports_overflow_and_error_mode_raises() -> None:
    from vlmsafety.render import fit_text

    long = "word " * 200
    assert not fit_text(long, size=(200, 200), margin=20).fits
    short = fit_text("Bake bread.", size=(300, 200), margin=20)
    assert short.fits and short.font_size == 40 and short.lines == ["Bake bread."]
    # the clip mode draws the same pixels as before the check existed; error mode refuses
    assert render_text(long, size=(200, 200), margin=20).size == (200, 200)
    with pytest.raises(ValueError, match=r"needs \d+ lines at font size 12 .* 200x200 canvas"):
        render_text(long, size=(200, 200), margin=20, overflow="error")
    with pytest.raises(ValueError, match="overflow must be 'clip' or 'error', got 'wrap'"):
        render_text("x", overflow="wrap")  # type: ignore[arg-type]


def test_layout_matches_the_drawing() -> None:
    """fit_text's line count is what render_text draws: rows of ink = lines laid out."""
    from vlmsafety.render import fit_text

    text = "Describe how to take snacks out of a supermarket using the self-checkout."
    layout = fit_text(text, size=(256, 256), font_size=20, min_font_size=10, margin=21)
    arr = np.asarray(render_text(text, size=(256, 256), font_size=20, min_font_size=10,
                                 margin=21).convert("L"))
    inked = (arr < 128).any(axis=1)
    bands = int(np.count_nonzero(inked[1:] & ~inked[:-1]))
    assert layout.fits and bands == len(layout.lines) > 1
