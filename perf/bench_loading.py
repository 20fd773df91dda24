"""Loading: ``datasets.load_dataset(folder, config, split="test")`` on a built folder vs pyarrow.

The folder is a VSCBench-shaped build (``_common.build_vsc_folder``: 3,600 rows with 512x512 JPEG
images; quick: 360 rows at 128x128). In the same process, against the same parquet files:

* time to first row: ``load_dataset`` with a fresh cache dir (so the one-time conversion to the
  Arrow cache is part of it), then the cached second load, then ``streaming=True``; baseline:
  ``pq.ParquetFile(shard).iter_batches(batch_size=64)`` (one row group, as written) and
  ``to_pylist()[0]``.
* full iteration rows/s, images as bytes (``.cast_column("image", Image(decode=False))``) and
  decoded (PIL); baselines: the same pyarrow loop over every shard with ``to_pylist()``, and the
  same loop plus ``PIL.Image.open(...).load()`` per row.

Repeated measurements alternate ours and the baseline and keep the best of each (shared machine).

Every ratio is "datasets speed / pyarrow speed" (higher is better); target >= 0.5.
"""

from __future__ import annotations

import io
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

NAME = "loading"
CONFIG = "image_centric"
TARGET = 0.5
PA_BATCH = 64  # HubFolderWriter's row group
TTFR_REPEATS = 7


def _pyarrow_rows(files: list[Path], decode: bool) -> Any:
    import pyarrow.parquet as pq
    from PIL import Image

    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=PA_BATCH):
            for record in batch.to_pylist():
                if decode:
                    image = Image.open(io.BytesIO(record["image"]["bytes"]))
                    image.load()
                    record["image"] = image
                yield record


def _count(rows: Any) -> int:
    n = 0
    for _ in rows:
        n += 1
    return n


def _best_rate(make_rows: Callable[[], Any], repeats: int) -> float:
    best = 0.0
    for _ in range(repeats):
        seconds, n = _common.timed(lambda: _count(make_rows()))
        best = max(best, n / seconds)
    return best


def _first_row_seconds(open_rows: Callable[[], Any]) -> float:
    seconds, _ = _common.timed(lambda: next(iter(open_rows())))
    return seconds


def measure(folder: Path, cache_dir: Path, quick: bool) -> dict[str, float]:
    import datasets

    files = sorted((folder / "data" / CONFIG).glob("*.parquet"))

    def load(**kwargs: Any) -> Any:
        return datasets.load_dataset(str(folder), CONFIG, split="test", **kwargs)

    out: dict[str, float] = {"pa_ttfr": _first_row_seconds(lambda: _pyarrow_rows(files, False))}
    out["ttfr_fresh"] = _first_row_seconds(lambda: load(cache_dir=str(cache_dir)))
    out["ttfr_cached"] = out["ttfr_stream"] = float("inf")
    for _ in range(TTFR_REPEATS):  # tens of ms each: interleave and keep the best of each
        out["pa_ttfr"] = min(out["pa_ttfr"], _first_row_seconds(lambda: _pyarrow_rows(files, False)))
        cached = _first_row_seconds(lambda: load(cache_dir=str(cache_dir)))
        out["ttfr_cached"] = min(out["ttfr_cached"], cached)
        out["ttfr_stream"] = min(out["ttfr_stream"], _first_row_seconds(lambda: load(streaming=True)))
    ds = load(cache_dir=str(cache_dir))
    out["rows"] = len(ds)
    as_bytes = ds.cast_column("image", datasets.Image(decode=False))
    reps_off, reps_on = (3, 2) if quick else (3, 1)
    out["ds_off"] = out["pa_off"] = out["ds_on"] = out["pa_on"] = 0.0
    for _ in range(reps_off):  # alternate, so that a busy spell on the shared machine hits both
        out["ds_off"] = max(out["ds_off"], _best_rate(lambda: iter(as_bytes), 1))
        out["pa_off"] = max(out["pa_off"], _best_rate(lambda: _pyarrow_rows(files, False), 1))
    for _ in range(reps_on):
        out["ds_on"] = max(out["ds_on"], _best_rate(lambda: iter(ds), 1))
        out["pa_on"] = max(out["pa_on"], _best_rate(lambda: _pyarrow_rows(files, True), 1))
    return out


def run(quick: bool) -> list[dict[str, Any]]:
    import datasets

    n, size = (360, 128) if quick else (3_600, 512)
    bars_were_off = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    work = Path(tempfile.mkdtemp(prefix="vlmsafety-bench-loading-"))
    try:
        folder = work / "vsc"
        _common.build_vsc_folder(folder, n, size, _common.ImagePool(size))
        m = measure(folder, work / "hf_cache", quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not bars_were_off:
            datasets.enable_progress_bars()
    case = f"{n:,} rows {size}x{size}"
    pa_ttfr_ms = m["pa_ttfr"] * 1e3
    rows = []
    for key, label, target in (
        ("ttfr_fresh", "time to first row, fresh cache (Arrow conversion included)", None),
        ("ttfr_cached", "time to first row, cached load", TARGET),
        ("ttfr_stream", "time to first row, streaming=True", None),
    ):
        ratio = m["pa_ttfr"] / m[key]
        rows.append(_common.row(
            NAME, case, f"{label}: speed vs pyarrow", ratio, "x",
            target=None if target is None else f">= {target}",
            ok=None if target is None else ratio >= target,
            note=f"{m[key] * 1e3:.0f} ms vs pyarrow {pa_ttfr_ms:.0f} ms",
        ))
    for key, label in (("off", "iterate rows, images as bytes"), ("on", "iterate rows, decoded")):
        ds_rate, pa_rate = m[f"ds_{key}"], m[f"pa_{key}"]
        ratio = ds_rate / pa_rate
        rows.append(_common.row(
            NAME, case, f"{label}: rows/s vs pyarrow", ratio, "x", target=f">= {TARGET}",
            ok=ratio >= TARGET, note=f"{ds_rate:,.0f} vs {pa_rate:,.0f} rows/s",
        ))
    return rows


if __name__ == "__main__":
    import runpy

    sys.argv = [str(Path(__file__).with_name("run.py")), "--only", NAME, *sys.argv[1:]]
    runpy.run_path(sys.argv[0], run_name="__main__")
