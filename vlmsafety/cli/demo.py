"""``vlmsafety demo``: the main job end to end on the embedded DUAL-Bench-style sample, offline.

Builds the shipped sample (48 instruction images, 12 categories, clean + perturbed), then runs
exactly what ``vlmsafety evaluate`` runs (:func:`vlmsafety.evaluation.run_evaluation`) on two
shipped sets of model responses with the default offline judge, and prints RR/DAR/SCR and dIR per
perturbation. ``--out DIR`` keeps the dataset (``DIR/dual-sample``) and the evaluation
(``DIR/evaluation``: results.json, report.md, judged JSONL, plots where matplotlib is installed).
It also registers the metric modules in evaluate's cache so that ``evaluate.load("safe_completion")``
works offline afterwards.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vlmsafety.evaluation import EvaluationResult
    from vlmsafety.scoring import Rate

DEMO_MODELS: tuple[tuple[str, str], ...] = (
    ("demo-vlm-a", "dual_sample_responses.jsonl"),
    ("demo-vlm-b", "dual_sample_responses_b.jsonl"),
)
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


def _fmt(rate: Rate | None) -> str:
    if rate is None or not rate.n:
        return "   -   "
    return f"{rate.rate:.3f} [{rate.ci_low:.2f}, {rate.ci_high:.2f}]"


def _prepare_out(out: Path) -> None:
    """Create ``out`` for the demo; an existing folder only if the demo wrote it (its marker)."""
    from vlmsafety.storage.files import check_output_folder

    check_output_folder(out, overwrite=True, marker=MARKER, command="vlmsafety demo")
    if out.exists():  # an earlier demo's folder (or an empty one): replaced whole
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by `vlmsafety demo`; a later demo --out may replace it\n",
                              encoding="utf-8")


def _print_tables(results: EvaluationResult) -> None:
    from vlmsafety.report import markdown_table
    from vlmsafety.specs.classes import INSTRUCTION_TYPES

    table, dtable = [], []
    for model, info in results.models.items():
        scores: Mapping[str, Any] = info.scores
        for itype in INSTRUCTION_TYPES:
            g = scores.get(itype)
            if g is None:
                continue
            o = g.overall
            table.append([model, itype, str(o.n), _fmt(o.refusal_rate),
                          _fmt(o.direct_answer_rate), _fmt(o.safe_completion_rate),
                          str(o.n_unscored)])
        for pert, deltas in sorted(scores["all"].delta_ir.items()):
            dtable.append([model, pert] + [
                "-" if k not in deltas or math.isnan(deltas[k].value) else f"{deltas[k].value:+.3f}"
                for k in ("refusal_rate", "direct_answer_rate", "safe_completion_rate")])
    print()
    print("DUAL-Bench-style sample, all rows (clean + perturbed); rates with Wilson 95% intervals")
    print(markdown_table(["model", "instruction", "n", "RR", "DAR", "SCR", "unscored"], table))
    print()
    print("Robustness gap dIR = rate on perturbed items - rate on their own clean sources")
    print(markdown_table(["model", "perturbation", "dRR", "dDAR", "dSCR"], dtable))


def run(args: argparse.Namespace) -> int:
    from vlmsafety.builders.dual import build_sample
    from vlmsafety.evaluation import EvaluationRequest, ModelInput, run_evaluation
    from vlmsafety.metric_modules import install_metrics

    t0 = time.perf_counter()
    if args.out:
        work = Path(args.out)
        _prepare_out(work)
    else:
        work = Path(tempfile.mkdtemp(prefix="vlmsafety-demo-"))
    folder = work / "dual-sample"
    print(f"1/4 building the embedded sample -> {folder}", file=sys.stderr)
    build_sample(folder, overwrite=True, progress=False)
    print(f"2/4 judging and scoring {len(DEMO_MODELS)} models (what `vlmsafety evaluate` runs)",
          file=sys.stderr)
    data = files("vlmsafety.data")
    with as_file(data.joinpath(DEMO_MODELS[0][1])) as a, as_file(data.joinpath(DEMO_MODELS[1][1])) as b:
        models = [ModelInput(DEMO_MODELS[0][0], Path(a)), ModelInput(DEMO_MODELS[1][0], Path(b))]
        request = EvaluationRequest(
            "dual", folder, models, n_boot=args.n_boot, seed=args.seed, progress=False,
            command=" ".join(["vlmsafety", "demo", *getattr(args, "argv", [])[1:]]))
        results = run_evaluation(request, work / "evaluation",
                                 plots=importlib.util.find_spec("matplotlib") is not None)
    print(f"3/4 scored with judge {results.judge.name}", file=sys.stderr)
    _print_tables(results)
    if not args.no_install_metrics:
        installed = install_metrics()
        names = ", ".join(p.stem for p in installed)
        print(f"\n4/4 {len(installed)} metric module(s) registered for offline evaluate.load(): "
              f"{names}", file=sys.stderr)
    if args.out:
        print(f"\nwrote {work / 'evaluation' / 'results.json'} and report.md beside it")
    print(f"\ndone in {time.perf_counter() - t0:.1f}s")
    return 0
