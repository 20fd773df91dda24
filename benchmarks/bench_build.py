"""Dataset build: throughput and peak memory of ``HubFolderWriter`` at VSCBench size and at 10x.

Each build runs in its own child process, so its peak RSS is that build's alone (``os.wait4``
rusage of the child; the child's ``VmHWM`` agrees). Both sizes run in the same session, each next to
a baseline that writes the same rows with pyarrow directly (``pa.Table.from_pylist`` +
``pq.ParquetWriter``, same row groups and compression, no feature encoding, no card, no atomic
rename), also in a child.

Rows are VSCBench-shaped (id, prompt_id, pair_id, category ClassLabel, label ClassLabel, prompt,
image, image_file) with synthetic JPEG images made lazily row by row (see ``_common.ImagePool``).

Full: 3,600 and 36,000 rows at 512x512 (~100 KB per image, ~3.6 GB on disk at 10x, deleted after
measuring). Quick: 360 and 3,600 rows at 128x128.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "build"
RSS_TARGET = 1.3


def _folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def job_build(n: int, size: int, workdir: str) -> dict[str, Any]:
    """Child: build the folder with HubFolderWriter (the library's path)."""
    import vlmsafety.builders.hubfolder  # noqa: F401  (imports outside the timed region)

    pool = _common.ImagePool(size).warm()
    start_rss = _common.current_rss_mb()
    out = Path(workdir) / "built"
    t0 = time.perf_counter()
    _common.build_vsc_folder(out, n, size, pool)
    seconds = time.perf_counter() - t0
    result = {"rows": n, "seconds": seconds, "bytes": _folder_bytes(out), "start_rss_mb": start_rss}
    shutil.rmtree(out)
    return result


def job_pyarrow(n: int, size: int, workdir: str) -> dict[str, Any]:
    """Child: the same rows written with pyarrow directly (the baseline)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from vlmsafety.builders.hubfolder import _DEFAULT_ROW_GROUP

    features = _common.vsc_features()
    schema = features.arrow_schema
    category = features["category"].str2int
    label = features["label"].str2int
    pool = _common.ImagePool(size).warm()
    start_rss = _common.current_rss_mb()
    out = Path(workdir) / "plain.parquet"
    t0 = time.perf_counter()
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for r in _common.vsc_rows(n, size, pool):
            batch.append({**r, "category": category(r["category"]), "label": label(r["label"])})
            if len(batch) == _DEFAULT_ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
    seconds = time.perf_counter() - t0
    result = {"rows": n, "seconds": seconds, "bytes": out.stat().st_size, "start_rss_mb": start_rss}
    out.unlink()
    return result


JOBS = {"build": job_build, "pyarrow": job_pyarrow}


def measure(kind: str, n: int, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vlmsafety-bench-build-") as workdir:
        return _common.run_child(Path(__file__), {"kind": kind, "n": n, "size": size,
                                                  "workdir": workdir})


def run(quick: bool) -> list[dict[str, Any]]:
    size = 128 if quick else 512
    small, large = (360, 3_600) if quick else (3_600, 36_000)
    results: dict[tuple[str, int], dict[str, Any]] = {}
    for n in (small, large):
        for kind in ("build", "pyarrow"):
            results[kind, n] = measure(kind, n, size)
    rows = []
    for n, label in ((small, "1x"), (large, "10x")):
        b, p = results["build", n], results["pyarrow", n]
        case = f"{label}: {n:,} rows {size}x{size}"
        mb = b["bytes"] / 2**20
        rows += [
            _common.row(NAME, case, "rows/s (HubFolderWriter)", n / b["seconds"], "rows/s",
                        note=f"{b['seconds']:.1f} s, {mb:,.0f} MiB written"),
            _common.row(NAME, case, "speed vs plain pyarrow writer", p["seconds"] / b["seconds"],
                        "x", note=f"pyarrow {n / p['seconds']:,.0f} rows/s"),
            _common.row(NAME, case, "peak RSS (HubFolderWriter)", b["child_maxrss_mb"], "MiB",
                        note=f"child start {b['start_rss_mb']:.0f} MiB; "
                        f"plain pyarrow peak {p['child_maxrss_mb']:.0f} MiB"),
        ]
    b1, b10 = results["build", small], results["build", large]
    ratio = b10["child_maxrss_mb"] / b1["child_maxrss_mb"]
    growth1 = b1["child_maxrss_mb"] - b1["start_rss_mb"]
    growth10 = b10["child_maxrss_mb"] - b10["start_rss_mb"]
    rows.append(_common.row(
        NAME, f"10x vs 1x ({large:,} vs {small:,} rows)", "peak RSS ratio", ratio, "x",
        target=f"<= {RSS_TARGET}", ok=ratio <= RSS_TARGET,
        note=f"growth above child start: {growth1:.0f} -> {growth10:.0f} MiB",
    ))
    return rows


if __name__ == "__main__":
    if not _common.child_main(JOBS):
        import runpy

        sys.argv = [str(Path(__file__).with_name("run.py")), "--only", NAME, *sys.argv[1:]]
        runpy.run_path(sys.argv[0], run_name="__main__")
