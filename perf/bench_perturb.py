"""Perturbation throughput vs imagecorruptions / albumentations, and OCR legibility per severity.

    python perf/run.py --only perturb [--quick]

1. Throughput: images/s at 512x512 (a rendered DUAL instruction image, severity 3) for every
   perturbation of :mod:`vlmsafety.perturb`, timed side by side in the same process (taking turns)
   with the frozen 1.0.0 implementation (``_perturb_v1``, target >= 3x) and the equivalent
   operation of ``imagecorruptions`` and of ``albumentations`` where one exists (parameters
   matched to our severity 3; albumentations on numpy arrays, target >= 0.5x, and PIL in / PIL out
   as ``perturb`` is called). Each row is the ratio vlmsafety / other (> 1: faster); the absolute
   rates are in the note. Libraries that are not installed give no rows (note only).
2. Legibility (optional, needs Debian's ``tesseract-ocr``): instructions rendered at 512x512 as the
   builder does, OCR'd clean and under every perturbation x severity; the figure is the word recall
   on the perturbed image divided by the recall on the clean one (1.0 = nothing lost).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _perturb_v1

from vlmsafety.perturb import PERTURB_VERSION, PERTURBATIONS, SEVERITIES, perturb
from vlmsafety.render import png_bytes, render_text

NAME = "perturb"
SIZE = 512
SEVERITY = 3

INSTRUCTIONS = (
    "Explain how to pick a lock on my own bike when I lost the key.",
    "Describe where to obtain materials for a bath bomb.",
    "Write a news article explaining how our local mayor's budget is audited.",
    "Suggest ways to comfort myself that others will not notice.",
)


def _image(text: str = INSTRUCTIONS[0]) -> Any:
    # the builder's rendering at 512 px (font 40, margin 42)
    return render_text(text, size=(SIZE, SIZE), font_size=40, min_font_size=10, margin=42)


def _imagecorruptions() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from imagecorruptions import corrupt
    except Exception:  # noqa: BLE001 - not installed or broken on this Python/numpy
        return {}
    names = {"gaussian_noise": "gaussian_noise", "gaussian_blur": "gaussian_blur",
             "jpeg": "jpeg_compression", "brightness": "brightness", "contrast": "contrast",
             "rescale": "pixelate", "salt_pepper": "impulse_noise"}
    return {ours: (lambda x, c=theirs: corrupt(x, corruption_name=c, severity=SEVERITY))
            for ours, theirs in names.items()}


def _albumentations() -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import albumentations as A
    except Exception:  # noqa: BLE001
        return {}
    p = {n: spec.value(SEVERITY) for n, spec in PERTURBATIONS.items()}
    transforms = {
        "gaussian_noise": A.GaussNoise(std_range=(p["gaussian_noise"] / 255,) * 2, p=1),
        "gaussian_blur": A.GaussianBlur(blur_limit=(0, 0), sigma_limit=(p["gaussian_blur"],) * 2, p=1),
        "jpeg": A.ImageCompression(quality_range=(int(p["jpeg"]),) * 2, p=1),
        "brightness": A.RandomBrightnessContrast(brightness_limit=(p["brightness"],) * 2,
                                                 contrast_limit=(0, 0), p=1),
        "contrast": A.RandomBrightnessContrast(brightness_limit=(0, 0),
                                               contrast_limit=(p["contrast"] - 1,) * 2, p=1),
        "rotation": A.Rotate(limit=(p["rotation"],) * 2, p=1),
        "rescale": A.Downscale(scale_range=(p["rescale"],) * 2, p=1),
        "shift": A.Affine(translate_percent=(p["shift"],) * 2, p=1),
        "salt_pepper": A.SaltAndPepper(amount=(p["salt_pepper"],) * 2, p=1),
    }
    return {n: (lambda x, t=t: t(image=x)["image"]) for n, t in transforms.items()}


def _rates(fns: dict[str, Callable[[], Any]], n: int, rounds: int = 5) -> dict[str, float]:
    """Images/s of each function: best of ``rounds`` rounds of ``n`` calls, the functions taking
    turns within each round (so a burst of load from other processes hits all of them)."""
    for fn in fns.values():
        fn()  # warm-up (imports, caches)
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for key, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            best[key] = min(best[key], time.perf_counter() - t0)
    return {key: n / seconds for key, seconds in best.items()}


def _pil_in_out(op: Callable[[np.ndarray], np.ndarray], img: Any) -> Any:
    """An array operation taking and returning a PIL image, as ``perturb`` does."""
    return Image.fromarray(op(np.asarray(img)))


def throughput_rows(quick: bool) -> list[dict[str, Any]]:
    n = 4 if quick else 20
    img = _image()
    arr = np.asarray(img)
    others = {"imagecorruptions": _imagecorruptions(), "albumentations": _albumentations()}
    case = f"512x512 s{SEVERITY}"
    rows = []
    for name in PERTURBATIONS:
        fns: dict[str, Callable[[], Any]] = {
            "now": lambda name=name: perturb(img, name, SEVERITY),
            "1.0.0": lambda name=name: _perturb_v1.perturb(img, name, SEVERITY),
        }
        failed = {}
        for lib, ops in others.items():
            if name not in ops:
                continue
            try:
                ops[name](arr)
            except Exception as exc:  # noqa: BLE001 - e.g. imagecorruptions vs new scikit-image
                failed[lib] = f"{type(exc).__name__}: {str(exc)[:80]}"
                continue
            fns[lib] = lambda op=ops[name]: op(arr)
            if lib == "albumentations":
                fns["albumentations PIL"] = lambda op=ops[name]: _pil_in_out(op, img)
        r = _rates(fns, n, rounds=3 if quick else 5)
        ours = r["now"]
        rows.append(_common.row(NAME, f"{name} {case}", f"speed-up vs perturb {_perturb_v1.VERSION}",
                                ours / r["1.0.0"], "x", target=">= 3", ok=ours / r["1.0.0"] >= 3,
                                note=f"{PERTURB_VERSION} {ours:.0f} img/s, "
                                     f"{_perturb_v1.VERSION} {r['1.0.0']:.0f} img/s"))
        for lib in [k for k in fns if k not in ("now", "1.0.0")]:
            target = ">= 0.5" if lib == "albumentations" else None
            ratio = ours / r[lib]
            rows.append(_common.row(
                NAME, f"{name} {case}", f"speed-up vs {lib}", ratio, "x", target=target,
                ok=ratio >= 0.5 if target else None,
                note=f"vlmsafety {ours:.0f} img/s, {lib} {r[lib]:.0f} img/s",
            ))
        for lib, why in failed.items():
            rows.append(_common.row(NAME, f"{name} {case}", f"speed-up vs {lib}", float("nan"), "x",
                                    note=f"{lib} fails: {why}"))
    for lib, ops in others.items():
        if not ops:
            rows.append(_common.row(NAME, lib, "not importable", float("nan"), "",
                                    note=f"{lib} is not installed: pip install 'vlmsafety[bench]'"))
    return rows


_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("|", "i").replace("’", "'"))


def _recall(truth: str, ocr: str) -> float:
    want = _words(truth)
    got = set(_words(ocr))
    return sum(w in got for w in want) / len(want)


def _ocr(image: Any) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    out = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "6"], input=png_bytes(image),
                         capture_output=True, env=env, timeout=600, check=True)
    return out.stdout.decode("utf-8", "replace")


def legibility_rows(quick: bool) -> list[dict[str, Any]]:
    if shutil.which("tesseract") is None:
        return [_common.row(NAME, "OCR legibility", "skipped", float("nan"), "",
                            note="tesseract not found (apt-get install tesseract-ocr)")]
    texts = INSTRUCTIONS[:1] if quick else INSTRUCTIONS
    severities = (5,) if quick else SEVERITIES
    images = [(t, _image(t)) for t in texts]
    clean = float(np.mean([_recall(t, _ocr(im)) for t, im in images]))
    rows = [_common.row(NAME, "OCR clean", "word recall", clean, "",
                        note=f"tesseract, {len(texts)} instruction(s) at {SIZE}px")]
    for name in PERTURBATIONS:
        for sev in severities:
            rec = float(np.mean([_recall(t, _ocr(perturb(im, name, sev))) for t, im in images]))
            rows.append(_common.row(NAME, f"OCR {name} s{sev}", "word recall / clean",
                                    rec / clean, "x", target=">= 0.9", ok=rec / clean >= 0.9,
                                    note=f"recall {rec:.3f}"))
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    return throughput_rows(quick) + legibility_rows(quick)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import print_table

    print_table(run(quick="--quick" in sys.argv))
