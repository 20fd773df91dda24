"""End to end: a perturbed DUAL-style build, images/s (perturb + encode + write), today vs now.

    python perf/run.py --only perturbed_build [--quick]
    python perf/bench_perturbed_build.py [--quick] [--items N] [--reps R]

``build_dual`` writes the ``perturbed`` config (every image under 9 perturbations x 5 severities)
of rendered 512x512 instruction images: 480 instructions (the embedded sample's 48, ten times over,
each copy's text numbered so that no two images are alike) -> 21,600 perturbed images, each
perturbed, PNG-encoded and written as a parquet row by the library's own path. The same build runs
twice in one process, once with the library's ``perturb`` and once with the frozen 1.0.0
implementation (``_perturb_v1.perturb``, patched into the builder), in chunks of 16 instructions
(one build each) with the two taking turns chunk by chunk, so that load from other processes on a
shared machine hits both alike; the figure is the ratio of images/s (now / 1.0.0), the median of
the repeats. Quick: 4 instructions (180 images).

N worker processes: only N = 1 today. When ``build_dual`` gains ``num_proc`` (issue 18 item 2) the
rows for N = 2 appear by themselves (:data:`WORKERS`); the 1.0.0 baseline reaches the workers only
when they are forked from this process.
"""

from __future__ import annotations

import dataclasses
import inspect
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
import _perturb_v1

NAME = "perturbed_build"
SIZE = (512, 512)
FULL_ITEMS = 480
QUICK_ITEMS = 4
CHUNK = 16
"""Items per build: the two implementations take turns every CHUNK items."""
WORKERS = (1, 2)
"""Worker counts measured when ``build_dual`` takes ``num_proc`` (else only 1)."""


def items(n: int) -> list[Any]:
    """``n`` DUAL items: the embedded sample repeated, each copy with its own ids and text."""
    from vlmsafety.suites.dual.builder import sample_items

    base = sample_items()
    out = []
    for k in range(-(-n // len(base))):
        for it in base:
            pair = f"{it.pair_id}r{k}"
            out.append(dataclasses.replace(it, id=it.id.replace(it.pair_id, pair), pair_id=pair,
                                           instruction=f"{it.instruction} ({k + 1})"))
    return out[:n]


def _build(its: list[Any], workdir: Path, perturb_fn: Callable[..., Any] | None,
           num_proc: int) -> float:
    """Build the perturbed config of ``its``; returns the seconds it took."""
    from vlmsafety.suites.dual.builder import build as dual_build

    extra = {"num_proc": num_proc} if num_proc > 1 else {}
    out = workdir / "built"
    saved = dual_build.perturb
    if perturb_fn is not None:
        dual_build.perturb = perturb_fn  # type: ignore[assignment]  # the 1.0.0 baseline, same signature
    try:
        t0 = time.perf_counter()
        dual_build.build_dual(its, out, configs=["perturbed"], image_size=SIZE, progress=False,
                              **extra)
        seconds = time.perf_counter() - t0
    finally:
        dual_build.perturb = saved  # type: ignore[assignment]  # restored
    shutil.rmtree(out)
    return seconds


def _pass(its: list[Any], workdir: Path, num_proc: int, rep: int) -> tuple[float, float]:
    """Seconds of (now, 1.0.0) over ``its`` built in chunks of :data:`CHUNK` items, the two
    implementations taking turns chunk by chunk (load from other processes hits both alike)."""
    seconds = {True: 0.0, False: 0.0}
    for k, start in enumerate(range(0, len(its), CHUNK)):
        chunk = its[start:start + CHUNK]
        for now in ((True, False) if (k + rep) % 2 else (False, True)):
            seconds[now] += _build(chunk, workdir, None if now else _perturb_v1.perturb, num_proc)
    return seconds[True], seconds[False]


def measure(n_items: int, reps: int) -> list[dict[str, Any]]:
    from vlmsafety.perturb import PERTURB_VERSION
    from vlmsafety.suites.dual.builder.build import build_dual

    workers = WORKERS if "num_proc" in inspect.signature(build_dual).parameters else (1,)
    its = items(n_items)
    images = n_items * len(_perturb_v1.REGISTRY) * 5
    rows = []
    with tempfile.TemporaryDirectory(prefix="vlmsafety-bench-pbuild-") as tmp:
        _build(its[:1], Path(tmp), None, 1)  # warm-up: imports, fonts
        for n in workers:
            runs = [_pass(its, Path(tmp), n, rep) for rep in range(reps)]
            ratios = sorted(old / new for new, old in runs)
            best_new, best_old = min(r[0] for r in runs), min(r[1] for r in runs)
            spread = f"; ratios {', '.join(f'{r:.2f}x' for r in ratios)}" if reps > 1 else ""
            rows.append(_common.row(
                NAME, f"{n_items} instr x 9 x 5 = {images:,} images {SIZE[0]}x{SIZE[1]}, N={n}",
                f"images/s vs perturb {_perturb_v1.VERSION}", ratios[len(ratios) // 2], "x",
                note=f"perturb {PERTURB_VERSION}: {images / best_new:.0f} img/s, "
                     f"{_perturb_v1.VERSION}: {images / best_old:.0f} img/s; median of {reps}{spread}",
            ))
        if workers == (1,):
            rows.append(_common.row(NAME, "N=2 worker processes", "not measured", float("nan"), "",
                                    note="build_dual has no num_proc yet (issue 18 item 2)"))
    return rows


def run(quick: bool, smoke: bool = False) -> list[dict[str, Any]]:
    return measure(1 if smoke else QUICK_ITEMS if quick else FULL_ITEMS, 1)


def _arg(name: str, default: int) -> int:
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


if __name__ == "__main__":
    from run import print_table

    quick = "--quick" in sys.argv
    rows = measure(_arg("--items", QUICK_ITEMS if quick else FULL_ITEMS), _arg("--reps", 1))
    print_table(rows)
    for r in rows:
        print(f"{r['case']}: {r['note']}")
