"""Frozen copy of ``vlmsafety.perturb`` 1.0.0's perturbation functions: the "today" baseline.

Not a benchmark (the runner only discovers ``bench_*.py``) and not part of the library: it keeps
the implementation that ``PERTURB_VERSION`` 1.0.0 shipped callable, so that every speed-up of
``vlmsafety.perturb`` is measured against it in the same process. Do not edit it to follow the
library; its output is the 1.0.0 output (``tests/test_perturb.py`` does not test it, the
benchmark checks that the two agree on shape and mode).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageFilter

VERSION = "1.0.0"


def _clip_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def _edge_colour(px: np.ndarray) -> tuple[int, ...]:
    border = np.concatenate([px[0], px[-1], px[:, 0], px[:, -1]], axis=0)
    return tuple(int(v) for v in np.median(border, axis=0))


def _gaussian_noise(px: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(px.shape, dtype=np.float32)
    noise *= np.float32(sigma)
    noise += px
    np.rint(noise, out=noise)
    np.clip(noise, 0, 255, out=noise)
    return noise.astype(np.uint8)


def _gaussian_blur(px: np.ndarray, radius: float, rng: np.random.Generator) -> np.ndarray:
    scaled = radius * max(min(px.shape[:2]) / 512, 0.5)
    return np.asarray(Image.fromarray(px).filter(ImageFilter.GaussianBlur(radius=scaled)))


def _jpeg(px: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(px).save(buf, format="JPEG", quality=int(quality), optimize=False)
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert("RGB"))


def _apply_lut(px: np.ndarray, lut: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(px).point(lut.tolist() * px.shape[2]))


def _brightness(px: np.ndarray, delta: float, rng: np.random.Generator | None) -> np.ndarray:
    lut = np.clip(np.arange(256) + round(delta * 255), 0, 255).astype(np.uint8)
    return _apply_lut(px, lut)


def _contrast(px: np.ndarray, factor: float, rng: np.random.Generator | None) -> np.ndarray:
    mean = float(px.mean(dtype=np.float64))
    lut = _clip_u8((np.arange(256, dtype=np.float32) - mean) * factor + mean)
    return _apply_lut(px, lut)


def _rotation(px: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    sign = 1.0 if rng.random() < 0.5 else -1.0
    img = Image.fromarray(px).rotate(sign * degrees, resample=Image.Resampling.BILINEAR,
                                     expand=False, fillcolor=_edge_colour(px))
    return np.asarray(img)


def _rescale(px: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    h, w = px.shape[:2]
    small = (max(1, round(w * factor)), max(1, round(h * factor)))
    img = Image.fromarray(px).resize(small, Image.Resampling.BILINEAR)
    return np.asarray(img.resize((w, h), Image.Resampling.BILINEAR))


def _shift(px: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    h, w = px.shape[:2]
    signs = np.where(rng.random(2) < 0.5, -1, 1)
    dy, dx = int(signs[0] * max(1, round(fraction * h))), int(signs[1] * max(1, round(fraction * w)))
    out = np.empty_like(px)
    out[...] = np.asarray(_edge_colour(px), dtype=np.uint8)
    src_y, dst_y = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    src_x, dst_x = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[dst_y, dst_x] = px[src_y, src_x]
    return out


def _salt_pepper(px: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(px.shape[:2], dtype=np.float32)
    out = px.copy()
    out[u < fraction / 2] = 0
    out[(u >= fraction / 2) & (u < fraction)] = 255
    return out


_Fn = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
# name -> (function, parameter at severities 1..5, draws random numbers)
REGISTRY: dict[str, tuple[_Fn, tuple[float, ...], bool]] = {
    "gaussian_noise": (_gaussian_noise, (4, 8, 12, 18, 26), True),
    "gaussian_blur": (_gaussian_blur, (0.6, 0.9, 1.2, 1.6, 2.0), False),
    "jpeg": (_jpeg, (75, 50, 30, 18, 10), False),
    "brightness": (_brightness, (0.08, 0.16, 0.24, 0.32, 0.40), False),
    "contrast": (_contrast, (0.8, 0.65, 0.5, 0.38, 0.28), False),
    "rotation": (_rotation, (1.5, 3, 4.5, 6, 8), True),
    "rescale": (_rescale, (0.8, 0.65, 0.5, 0.4, 0.33), False),
    "shift": (_shift, (0.01, 0.02, 0.03, 0.04, 0.05), True),
    "salt_pepper": (_salt_pepper, (0.004, 0.008, 0.012, 0.018, 0.025), True),
}


def _rng_for(px: np.ndarray, name: str, seed: int) -> np.random.Generator:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{name}|{int(seed)}|{px.shape}|".encode())
    h.update(np.ascontiguousarray(px).data)
    return np.random.default_rng(int.from_bytes(h.digest(), "little"))


def perturb(image: Image.Image, name: str, severity: int, *, seed: int = 0) -> Image.Image:
    """``vlmsafety.perturb.perturb`` as of version 1.0.0 (valid names and severities only)."""
    fn, levels, random = REGISTRY[name]
    px = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    rng = _rng_for(px, name, seed) if random else None
    out = fn(px, levels[severity - 1], rng)  # type: ignore[arg-type]  # deterministic fns ignore rng
    return Image.fromarray(np.ascontiguousarray(out, dtype=np.uint8), mode="RGB")
