"""A MOSSBench release-shaped folder for tests: the real ``information.csv`` and six real images
from ``../shared/data/mossbench``, the other 294 images made here (``data/images/<pid>.png``).

Importable from every test as ``mossbench_release`` (see ``tests/conftest.py``).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from PIL import Image

__all__ = ["REAL", "made_png", "make_release"]

REAL = (1, 2, 101, 102, 201, 202)
"""The pids whose real image is in ``../shared/data/mossbench/images``."""


def made_png(pid: int) -> bytes:
    """A small PNG standing in for the release's image of ``pid`` (distinct per pid)."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (pid % 256, (7 * pid) % 256, 90)).save(buf, format="PNG")
    return buf.getvalue()


def make_release(shared_data: Path, root: Path) -> Path:
    """A release-shaped folder at ``root``: the real CSV, the six real images, 294 made ones."""
    (root / "data" / "images").mkdir(parents=True)
    shutil.copyfile(shared_data / "mossbench" / "information.csv", root / "information.csv")
    for pid in range(1, 301):
        dst = root / "data" / "images" / f"{pid}.png"
        if pid in REAL:
            shutil.copyfile(shared_data / "mossbench" / "images" / f"{pid}.png", dst)
        else:
            dst.write_bytes(made_png(pid))
    return root
