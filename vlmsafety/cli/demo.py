"""``vlmsafety demo``: the main job end to end on an embedded sample, offline.

The sample is the first registered benchmark's that ships one (:class:`vlmsafety.specs.Demo`;
today the DUAL-Bench-style sample: 48 instruction images, 12 categories, clean + perturbed). The
demo builds it, runs exactly what ``vlmsafety evaluate`` runs
(:func:`vlmsafety.evaluation.run_evaluation`) on the shipped sets of model responses with the
default offline judge, and prints the benchmark's summary tables. ``--out DIR`` keeps the dataset
(``DIR/<benchmark>-sample``) and the evaluation (``DIR/evaluation``: results.json, report.md, judged
JSONL, plots where matplotlib is installed). It also registers the metric modules in evaluate's
cache so that ``evaluate.load(name)`` works offline afterwards. Without ``--out`` it works in a
temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from importlib.resources import as_file
from pathlib import Path
from typing import Any

MARKER = ".vlmsafety-demo"
"""File that marks a folder as the demo's own output, which a later ``demo --out`` may replace."""


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="judge and score shipped sample responses on the embedded sample (offline, < 1 min)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", metavar="DIR",
                   help="keep the dataset and the evaluation (results.json, report.md) here; "
                   "an existing DIR is replaced only if an earlier demo wrote it")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--no-install-metrics", action="store_true",
                   help="do not register the metric modules in evaluate's cache")
    p.set_defaults(handler=run)


def _prepare_out(out: Path) -> None:
    """Create ``out`` for the demo; an existing folder only if the demo wrote it (its marker)."""
    from vlmsafety.storage.files import check_output_folder

    check_output_folder(out, overwrite=True, marker=MARKER, command="vlmsafety demo")
    if out.exists():  # an earlier demo's folder (or an empty one): replaced whole
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `vlmsafety demo`; a later demo --out may replace it\n",
                              encoding="utf-8")


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if not args.out:  # a temporary folder, removed at the end (also on an error)
        with tempfile.TemporaryDirectory(prefix="vlmsafety-demo-") as tmp:
            code = _run(args, Path(tmp), t0)
        print("(the sample and its results were in a temporary folder, now removed; "
              "`vlmsafety demo --out DIR` keeps them)")
        return code
    work = Path(args.out)
    _prepare_out(work)
    return _run(args, work, t0)


def _run(args: argparse.Namespace, work: Path, t0: float) -> int:
    from vlmsafety.cli.report import plots_available
    from vlmsafety.errors import VLMSafetyError
    from vlmsafety.evaluation import EvaluationRequest, ModelInput, run_evaluation
    from vlmsafety.metric_modules import install_metrics
    from vlmsafety.specs import specs

    spec = next((s for s in specs() if s.demo is not None), None)
    if spec is None or spec.demo is None:
        raise VLMSafetyError("no registered benchmark ships a demo sample")
    demo = spec.demo
    folder = work / f"{spec.name}-sample"
    print(f"1/4 building the embedded sample -> {folder}", file=sys.stderr)
    demo.build(folder)
    print(f"2/4 judging and scoring {len(demo.responses)} models (what `vlmsafety evaluate` runs)",
          file=sys.stderr)
    with ExitStack() as stack:
        models = [ModelInput(name, Path(stack.enter_context(as_file(path))))
                  for name, path in demo.responses]
        request = EvaluationRequest(
            spec.name, folder, models, n_boot=args.n_boot, seed=args.seed, progress=False,
            command=" ".join(["vlmsafety", "demo", *getattr(args, "argv", [])[1:]]))
        results = run_evaluation(request, work / "evaluation", plots=plots_available("demo"))
    print(f"3/4 scored with judge {results.judge.name}", file=sys.stderr)
    demo.summary(results)
    if not args.no_install_metrics:
        installed = install_metrics()
        names = ", ".join(p.stem for p in installed)
        print(f"\n4/4 {len(installed)} metric module(s) registered for offline evaluate.load(): "
              f"{names}", file=sys.stderr)
    if args.out:
        print(f"\nwrote {work / 'evaluation' / 'results.json'} and report.md beside it")
    print(f"\ndone in {time.perf_counter() - t0:.1f}s")
    return 0
