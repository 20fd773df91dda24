"""Run the benchmark suite and print one table.

    python perf/run.py            # full suite (figures in PERFORMANCE.md)
    python perf/run.py --quick    # small sizes, < 2 minutes
    python perf/run.py --smoke    # the smallest sizes: does every module run? (the test suite)
    python perf/run.py --only scoring keyword_judge --json out.json
    python perf/run.py --only chat --profile perf/profiles   # + pyinstrument profiles

Every module ``perf/bench_<name>.py`` exposes ``NAME`` and ``run(quick: bool) -> list[dict]``.
A module whose ``run`` also takes ``profile_dir`` writes pyinstrument text profiles of its
slowest case there when ``--profile DIR`` is given; one whose ``run`` takes ``smoke`` shrinks its
quick sizes further under ``--smoke`` (the others run their quick mode). Smoke figures mean
nothing: the mode checks that every module runs and reports its rows, at the least CPU cost.

Each returned row is one figure measured side by side with its baseline in the same
process::

    {"benchmark": "scoring", "case": "1M rows", "metric": "speed-up vs pandas",
     "value": 23.1, "unit": "x", "target": ">= 10", "ok": True, "note": "..."}

``ok`` is None where a row has no target. Absolute times are printed for context only; the claims
are the ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def discover() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"vlmsafety_bench_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = ["benchmark", "case", "metric", "value", "unit", "target", "ok"]
    cells = [[fmt(r.get(c, "")) if r.get(c) is not None else "" for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) if cells else len(c)
              for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its child processes that have ended."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (< 2 minutes)")
    parser.add_argument("--smoke", action="store_true",
                        help="the smallest sizes (implies --quick): checks that every module runs")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--profile", metavar="DIR", type=Path,
                        help="benchmarks that support it write pyinstrument profiles to DIR")
    args = parser.parse_args(argv)
    args.quick = args.quick or args.smoke
    found = discover()
    names = args.only or list(found)
    unknown = sorted(set(names) - set(found))
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; available: {sorted(found)}")
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for name in names:
        t0, cpu0 = time.perf_counter(), _cpu_seconds()
        print(f"# {name} ...", file=sys.stderr, flush=True)
        try:
            module = load(found[name])
            kwargs: dict[str, Any] = {"quick": args.quick}
            params = inspect.signature(module.run).parameters
            if args.profile is not None and "profile_dir" in params:
                kwargs["profile_dir"] = args.profile
            if args.smoke and "smoke" in params:
                kwargs["smoke"] = True
            rows.extend(module.run(**kwargs))
        except Exception as exc:  # noqa: BLE001 - report and go on: one broken benchmark must not hide the rest
            failed.append(name)
            print(f"# {name} FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"# {name} done in {time.perf_counter() - t0:.1f}s ({_cpu_seconds() - cpu0:.1f} CPU s, "
              "its child processes included)", file=sys.stderr, flush=True)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, "
          f"mode: {'smoke' if args.smoke else 'quick' if args.quick else 'full'}")
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
