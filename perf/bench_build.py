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

The real VSCBench builder (``vlmsafety.suites.vsc.builder.build_vsc``) also runs, in a child, on the
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

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

if TYPE_CHECKING:
    from typing_extensions import Self

NAME = "build"
RSS_TARGET = 1.3
SPEEDUP_TARGET = 1.6
PROCS = (1, 2)
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


_TICKS = os.sysconf("SC_CLK_TCK")


def _vmhwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class WorkerPeaks:
    """Peak RSS (``VmHWM``) of each descendant process, polled from /proc while a build runs."""

    def __init__(self) -> None:
        import threading

        self.peaks: dict[int, float] = {}
        self.cpu: dict[int, float] = {}  # user + system seconds, last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                    ppid = int(fields[1])
                    if self._ancestor(ppid, me):  # a worker: child of the forkserver
                        pid = int(stat.parent.name)
                        self.peaks[pid] = max(self.peaks.get(pid, 0.0), _vmhwm_mb(pid))
                        self.cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICKS
                except (OSError, ValueError, IndexError):
                    continue

    @staticmethod
    def _ancestor(pid: int, me: int) -> bool:
        try:
            ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        return ppid == me

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def job_vsc(images: str, workdir: str, size: int, num_proc: int = 1,
            shard: str | None = None) -> dict[str, Any]:
    """Child: the real VSCBench builder on the release workbooks and a synthetic image folder."""
    import pyarrow.parquet as pq

    from vlmsafety.suites.vsc import builder as vsc  # imports outside the timed region

    start_rss = _common.current_rss_mb()
    out = Path(workdir) / "vscbench"
    t0, cpu0 = time.perf_counter(), time.process_time()
    with WorkerPeaks() as peaks:
        vsc.build_vsc(out, source=SHARED_DATA / "vscbench",
                      xstest=SHARED_DATA / "xstest" / "xstest_prompts.csv", images=images,
                      image_size=size, progress=False, num_proc=num_proc, shard=shard)
    seconds = time.perf_counter() - t0
    counts = {config: sum(pq.ParquetFile(f).metadata.num_rows
                          for f in out.rglob(f"{config}/*.parquet"))
              for config in vsc.CONFIGS}
    result = {"rows": sum(counts.values()), "by_config": counts, "seconds": seconds,
              "bytes": _folder_bytes(out), "start_rss_mb": start_rss,
              "worker_peak_mb": max(peaks.peaks.values(), default=0.0),
              "main_cpu": time.process_time() - cpu0, "worker_cpu": sorted(peaks.cpu.values())}
    shutil.rmtree(out)
    return result


def dual_items(n: int) -> list[Any]:
    """``n`` DUAL items: the embedded sample's 48, repeated under new ids and pair ids."""
    import dataclasses

    from vlmsafety.suites.dual.builder import sample_items

    base = sample_items()
    return [dataclasses.replace(item, id=f"{item.id}-r{i // len(base)}",
                                pair_id=f"{item.pair_id}-r{i // len(base)}")
            for i, item in ((i, base[i % len(base)]) for i in range(n))]


def job_dual(n: int, size: int, severities: list[int], workdir: str,
             num_proc: int = 1) -> dict[str, Any]:
    """Child: a DUAL build (render + every perturbation x severities + PNG encode + write)."""
    from vlmsafety.perturb import list_perturbations
    from vlmsafety.suites.dual import builder as dual

    items, names = dual_items(n), list_perturbations()
    start_rss = _common.current_rss_mb()
    out = Path(workdir) / f"dual-{num_proc}"
    t0, cpu0 = time.perf_counter(), time.process_time()
    with WorkerPeaks() as peaks:
        dual.build_dual(items, out, perturbations=names, severities=severities,
                        image_size=(size, size), progress=False, num_proc=num_proc)
    seconds = time.perf_counter() - t0
    result = {"items": n, "images": n * (1 + len(names) * len(severities)), "seconds": seconds,
              "bytes": _folder_bytes(out), "start_rss_mb": start_rss,
              "worker_peak_mb": max(peaks.peaks.values(), default=0.0),
              "main_cpu": time.process_time() - cpu0, "worker_cpu": sorted(peaks.cpu.values())}
    shutil.rmtree(out)
    return result


JOBS = {"build": job_build, "pyarrow": job_pyarrow, "vsc": job_vsc, "dual": job_dual}


def write_release_images(root: Path, size: int) -> int:
    """Write one synthetic image per path the VSCBench workbooks name, under ``root``."""
    from vlmsafety.suites.vsc import builder as vsc

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


def measure_vsc(size: int, shard: str | None = None) -> dict[int, dict[str, Any]]:
    """The real builder at num_proc 1 and 2 on one synthetic image folder (same session); with
    ``shard`` (``"I/K"``) only that part of the rows."""
    with tempfile.TemporaryDirectory(prefix="vlmsafety-bench-vsc-") as workdir:
        images = Path(workdir) / "images"
        n_files = write_release_images(images, size)
        results = {}
        for num_proc in PROCS:
            results[num_proc] = _common.run_child(
                Path(__file__), {"kind": "vsc", "images": str(images), "workdir": workdir,
                                 "size": size, "num_proc": num_proc, "shard": shard})
            results[num_proc]["image_files"] = n_files
        return results


def measure_dual(n: int, size: int, severities: list[int]) -> dict[int, dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="vlmsafety-bench-dual-") as workdir:
        return {num_proc: _common.run_child(Path(__file__), {
            "kind": "dual", "n": n, "size": size, "severities": severities, "workdir": workdir,
            "num_proc": num_proc}) for num_proc in PROCS}


def _parallel_rows(what: str, case: str, runs: dict[int, dict[str, Any]], count: str,
                   unit: str) -> list[dict[str, Any]]:
    """Rate at each num_proc and the speed-up of N = 2 over N = 1 (same session)."""
    load = os.getloadavg()[0]
    rows = [_common.row(NAME, case, f"{unit}/s ({what}, num_proc={n})", r[count] / r["seconds"],
                        f"{unit}/s", note=f"{r['seconds']:.1f} s; peak RSS main "
                        f"{r['child_maxrss_mb']:.0f} MiB, per worker "
                        f"{r['worker_peak_mb']:.0f} MiB") for n, r in runs.items()]
    speedup = runs[1]["seconds"] / runs[2]["seconds"]
    one, two = runs[1], runs[2]
    # on 2 free cores the N=2 wall time is at least the busiest process's CPU time and at least
    # half the CPU time of all three (writer + 2 workers)
    bound = max([two["main_cpu"], *two["worker_cpu"], (two["main_cpu"] + sum(two["worker_cpu"])) / 2])
    rows.append(_common.row(NAME, case, "speed-up num_proc=2 vs 1", speedup, "x",
                            target=f">= {SPEEDUP_TARGET} (quiet 2-core machine)",
                            ok=speedup >= SPEEDUP_TARGET,
                            note=f"{os.cpu_count()} CPUs, load average {load:.1f} at the end"))
    rows.append(_common.row(
        NAME, case, "speed-up on 2 free cores, from CPU times", one["main_cpu"] / bound, "x",
        note=f"what 2 free cores give; CPU s: N=1 {one['main_cpu']:.1f}; N=2 writer "
        f"{two['main_cpu']:.1f}, workers {', '.join(f'{c:.1f}' for c in two['worker_cpu'])}"))
    return rows


def measure(kind: str, n: int, size: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="vlmsafety-bench-build-") as workdir:
        return _common.run_child(Path(__file__), {"kind": kind, "n": n, "size": size,
                                                  "workdir": workdir})


def run(quick: bool, smoke: bool = False) -> list[dict[str, Any]]:
    size = 96 if smoke else 128 if quick else 512  # 96: the least DUAL instructions fit
    small, large = (36, 360) if smoke else (360, 3_600) if quick else (3_600, 36_000)
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
        vsc_runs = measure_vsc(32 if smoke else size, shard="0/8" if smoke else None)
        rows += _vsc_rows(vsc_runs[1], results["build", 3_600 if 3_600 in (small, large) else large],
                          size)
        rows += _parallel_rows("build_vsc", f"VSCBench builder: {vsc_runs[1]['rows']:,} rows "
                               f"{size}x{size}", vsc_runs, "rows", "rows")
    n_items, severities = (1, [1]) if smoke else (4, [1, 5]) if quick else (16, [1, 2, 3, 4, 5])
    dual_runs = measure_dual(n_items, size, severities)
    rows += _parallel_rows("build_dual", f"DUAL build: {n_items} items x 9 perturbations x "
                           f"{len(severities)} severities, {size}x{size}", dual_runs, "images",
                           "images")
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
        _common.row(NAME, case, f"speed vs HubFolderWriter alone ({writer['rows']:,} rows)",
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
