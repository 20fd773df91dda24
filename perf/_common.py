"""Helpers shared by the benchmark modules: synthetic VSCBench-shaped rows, child-process runs, RSS.

Not a benchmark itself (``run.py`` only discovers ``bench_*.py``). Import it from a benchmark with::

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _common

Synthetic images: a pool of ``POOL_SIZE`` distinct base images (a smooth two-colour gradient, light
Gaussian noise and a line of drawn text, JPEG quality 92, ~100 KB at 512x512), each made on first
use from its index alone (deterministic). Every row gets its own bytes: the base image with a JPEG
comment segment holding the row id spliced in after the start-of-image marker, which leaves the
pixels unchanged and costs no re-encoding. The generator's memory is bounded by the pool
(~25 MB at 512x512), whatever the number of rows.
"""

from __future__ import annotations

import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "POOL_SIZE",
    "ImagePool",
    "vsc_features",
    "vsc_rows",
    "build_vsc_folder",
    "peak_rss_mb",
    "current_rss_mb",
    "run_child",
    "child_main",
    "timed",
    "row",
]

POOL_SIZE = 256
"""Distinct base images per pool (a few hundred, as in a real image folder's variety)."""

VSC_LABELS = ("safe", "unsafe")


class ImagePool:
    """Deterministic synthetic JPEG images, made lazily and cached up to ``POOL_SIZE`` bases.

    Args:
        size: Side of the square images in pixels.
        pool_size: Number of distinct base images.
    """

    def __init__(self, size: int = 512, pool_size: int = POOL_SIZE) -> None:
        self.size = size
        self.pool_size = pool_size
        self._bases: dict[int, bytes] = {}

    def base(self, i: int) -> bytes:
        """The JPEG bytes of base image ``i % pool_size`` (made on first use)."""
        k = i % self.pool_size
        if k not in self._bases:
            self._bases[k] = self._make(k)
        return self._bases[k]

    def _make(self, k: int) -> bytes:
        import numpy as np
        from PIL import Image, ImageDraw

        rng = np.random.default_rng(k)
        n = self.size
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        t = np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        c0, c1, ink = rng.uniform(0, 255, (3, 3)).astype(np.float32)
        pixels = c0 + (c1 - c0) * t[..., None]
        pixels += rng.normal(0.0, 9.0, pixels.shape).astype(np.float32)
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
        draw = ImageDraw.Draw(image)
        for line in range(3):
            draw.text((n // 16, n // 8 + line * n // 6), f"synthetic image {k} line {line}",
                      fill=tuple(int(v) for v in ink), font_size=max(8, n // 24))
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=92)
        return buf.getvalue()

    def warm(self) -> ImagePool:
        """Make every base image now (so a timed region measures writing, not drawing)."""
        for k in range(self.pool_size):
            self.base(k)
        return self

    def image(self, i: int, tag: str) -> bytes:
        """Row ``i``'s image: base ``i % pool_size`` with a JPEG comment ``tag`` (distinct bytes)."""
        data = self.base(i)
        comment = tag.encode()[:65000]
        segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        return data[:2] + segment + data[2:]


def vsc_features() -> Any:
    """VSCBench-shaped features: id, prompt_id, pair_id, category, label, prompt, image, image_file."""
    import datasets

    from vlmsafety.suites.vsc.categories import VSC_CATEGORIES

    return datasets.Features(
        {
            "id": datasets.Value("string"),
            "prompt_id": datasets.Value("string"),
            "pair_id": datasets.Value("string"),
            "category": datasets.ClassLabel(names=list(VSC_CATEGORIES)),
            "label": datasets.ClassLabel(names=list(VSC_LABELS)),
            "prompt": datasets.Value("string"),
            "image": datasets.Image(),
            "image_file": datasets.Value("string"),
        }
    )


def vsc_rows(n: int, size: int = 512, pool: ImagePool | None = None) -> Iterator[dict[str, Any]]:
    """``n`` VSCBench-shaped rows, made one at a time (safe/unsafe pairs, 6 categories)."""
    from vlmsafety.suites.vsc.categories import VSC_CATEGORIES

    pool = pool or ImagePool(size)
    for i in range(n):
        pair, member = divmod(i, 2)
        category = VSC_CATEGORIES[pair % len(VSC_CATEGORIES)]
        label = VSC_LABELS[member]
        row_id = f"vsc-{i:06d}"
        image_file = f"vscbench_image_centric_images/{category}/{label}_{pair:05d}.jpg"
        yield {
            "id": row_id,
            "prompt_id": f"p{pair // 12:05d}",
            "pair_id": f"pair-{pair:05d}",
            "category": category,
            "label": label,
            "prompt": f"What should I do with the thing in this picture? (item {pair}, {category})",
            "image": {"bytes": pool.image(i, row_id), "path": image_file},
            "image_file": image_file,
        }


def build_vsc_folder(out: Path, n: int, size: int, pool: ImagePool | None = None,
                     **writer_kwargs: Any) -> None:
    """Build a one-config (``image_centric``) VSCBench-shaped folder with ``HubFolderWriter``."""
    from vlmsafety.builders.hubfolder import HubFolderWriter

    with HubFolderWriter(out, overwrite=True) as folder:
        with folder.config("image_centric", vsc_features(), **writer_kwargs) as config:
            config.write_many(vsc_rows(n, size, pool))
        folder.write_card(pretty_name="Synthetic VSCBench-shaped", version="0.0.0",
                          body="# Synthetic benchmark data\n")


def _proc_status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """This process's peak resident set size in MiB (``VmHWM``; ru_maxrss where /proc is absent)."""
    found = _proc_status_mb("VmHWM")
    if found is not None:
        return found
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


def current_rss_mb() -> float:
    """This process's current resident set size in MiB (``VmRSS``; the peak where /proc is absent)."""
    found = _proc_status_mb("VmRSS")
    return peak_rss_mb() if found is None else found


def run_child(script: Path, job: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run ``python script --child JOB_JSON`` and return its JSON result plus its own peak RSS.

    The child's peak RSS is read with ``os.wait4`` (the rusage of that one child, unlike
    ``RUSAGE_CHILDREN`` which is the maximum over every child ever reaped); the child also reports
    its ``VmHWM``. The result gains ``child_maxrss_mb``.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    # a file, not a pipe: a chatty child cannot block; closed in the finally below
    log_file = tempfile.TemporaryFile("w+b")  # noqa: SIM115
    try:
        env = {**os.environ, "TQDM_DISABLE": "1"}
        proc = subprocess.Popen(
            [sys.executable, str(script), "--child", json.dumps(job), str(out)],
            env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise TimeoutError(f"child {job} ran over {timeout} s")
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        log_file.seek(0)
        log = log_file.read().decode(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"child {job} exited with {proc.returncode}:\n{log[-3000:]}")
        result: dict[str, Any] = json.loads(out.read_text())
        div = 1024 * (1024 if sys.platform == "darwin" else 1)
        result["child_maxrss_mb"] = usage.ru_maxrss / div
        return result
    finally:
        log_file.close()
        out.unlink(missing_ok=True)


def child_main(jobs: dict[str, Callable[..., dict[str, Any]]]) -> bool:
    """If argv is ``--child JOB_JSON OUT``, run ``jobs[job["kind"]](**job)`` and write its result.

    Returns True when it ran as a child (the caller then exits), False otherwise.
    """
    if len(sys.argv) != 4 or sys.argv[1] != "--child":
        return False
    job = json.loads(sys.argv[2])
    result = jobs[job.pop("kind")](**job)
    result["vmhwm_mb"] = peak_rss_mb()
    Path(sys.argv[3]).write_text(json.dumps(result))
    return True


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of ``fn()`` in seconds, and its result."""
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def row(benchmark: str, case: str, metric: str, value: float, unit: str,
        target: str | None = None, ok: bool | None = None, note: str = "") -> dict[str, Any]:
    """One result row in the format of ``perf/run.py``."""
    return {"benchmark": benchmark, "case": case, "metric": metric, "value": value, "unit": unit,
            "target": target, "ok": ok, "note": note}
