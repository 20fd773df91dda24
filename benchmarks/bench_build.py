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

The real VSCBench builder (``vlmsafety.builders.vsc.build_vsc``) also runs, in a child, on the
release workbooks in ``../shared/data/vscbench`` (and XSTest's prompts; read in place, never
copied) with a synthetic image folder laid out as the release is (``vscbench_image_centric_images/
<category>/<file>`` and ``vscbench_text_centric_images/<setting>/<file>``, one file per path the
workbooks name, each the synthetic JPEG of the size above whatever its extension: the builder
checks images by content). It writes all three configs: 1,800 image-centric + 1,800 text-centric
image rows + 450 text-only rows. Its baseline is the ``HubFolderWriter`` build of 3,600 synthetic
rows of the same size (the writer alone), so the ratio is the builder's own cost (reading the
workbooks, reading every image file, decoding it fully to validate it). Skipped when the shared
data is absent.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

NAME = "build"
RSS_TARGET = 1.3
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


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


def job_vsc(images: str, workdir: str, size: int) -> dict[str, Any]:
    """Child: the real VSCBench builder on the release workbooks and a synthetic image folder."""
    import pyarrow.parquet as pq

    from vlmsafety.builders import vsc  # imports outside the timed region

    start_rss = _common.current_rss_mb()
    out = Path(workdir) / "vscbench"
    t0 = time.perf_counter()
    vsc.build_vsc(out, source=SHARED_DATA / "vscbench",
                  xstest=SHARED_DATA / "xstest" / "xstest_prompts.csv", images=images,
                  image_size=size, progress=False)
    seconds = time.perf_counter() - t0
    counts = {config: sum(pq.ParquetFile(f).metadata.num_rows
                          for f in out.rglob(f"{config}/*.parquet"))
              for config in vsc.CONFIGS}
    result = {"rows": sum(counts.values()), "by_config": counts, "seconds": seconds,
              "bytes": _folder_bytes(out), "start_rss_mb": start_rss}
    shutil.rmtree(out)
    return result


JOBS = {"build": job_build, "pyarrow": job_pyarrow, "vsc": job_vsc}


def write_release_images(root: Path, size: int) -> int:
    """Write one synthetic image per path the VSCBench workbooks name, under ``root``."""
    from vlmsafety.builders import vsc

    records = vsc.read_vsc_records(SHARED_DATA / "vscbench",
                                   xstest=SHARED_DATA / "xstest" / "xstest_prompts.csv")
    pool = _common.ImagePool(size)
    paths = {r["image_file"] for config in ("image_centric", "text_centric")
             for r in vsc.plan_rows(records, config)}
    for i, rel in enumerate(sorted(paths)):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pool.image(i, rel))
    return len(paths)


def measure_vsc(size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vlmsafety-bench-vsc-") as workdir:
        images = Path(workdir) / "images"
        n_files = write_release_images(images, size)
        result = _common.run_child(Path(__file__), {"kind": "vsc", "images": str(images),
                                                    "workdir": workdir, "size": size})
        result["image_files"] = n_files
        return result


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
    if (SHARED_DATA / "vscbench").is_dir():
        rows += _vsc_rows(measure_vsc(size), results["build", 3_600], size)
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


def _vsc_rows(v: dict[str, Any], writer: dict[str, Any], size: int) -> list[dict[str, Any]]:
    """Rows for the real builder, against the writer-only build of 3,600 rows of the same size."""
    case = f"VSCBench builder, 1x: {v['rows']:,} rows {size}x{size}"
    by_config = ", ".join(f"{k} {n:,}" for k, n in v["by_config"].items())
    rate = v["rows"] / v["seconds"]
    return [
        _common.row(NAME, case, "rows/s (build_vsc)", rate, "rows/s",
                    note=f"{v['seconds']:.1f} s ({by_config}); {v['image_files']:,} image files; "
                    f"{v['bytes'] / 2**20:,.0f} MiB written"),
        _common.row(NAME, case, "speed vs HubFolderWriter alone (3,600 rows)",
                    rate / (writer["rows"] / writer["seconds"]), "x",
                    note=f"writer alone {writer['rows'] / writer['seconds']:,.0f} rows/s"),
        _common.row(NAME, case, "peak RSS (build_vsc)", v["child_maxrss_mb"], "MiB",
                    note=f"child start {v['start_rss_mb']:.0f} MiB; writer-alone peak "
                    f"{writer['child_maxrss_mb']:.0f} MiB"),
    ]


if __name__ == "__main__":
    if not _common.child_main(JOBS):
        import runpy

        sys.argv = [str(Path(__file__).with_name("run.py")), "--only", NAME, *sys.argv[1:]]
        runpy.run_path(sys.argv[0], run_name="__main__")
