"""``vlmsafety demo``: the main job end to end on the embedded DUAL-Bench-style sample, offline.

Builds the shipped sample (48 instruction images, 12 categories, clean + perturbed), reads two
shipped sets of model responses, labels them with the offline keyword judge, scores them with the
``safe_completion`` scoring core and prints a table. ``--out DIR`` also writes the built dataset,
the judged JSONL files and ``results.json`` (atomically; an existing DIR is replaced only when an
earlier demo wrote it, i.e. it holds the marker file ``.vlmsafety-demo``). It also registers the metric modules in evaluate's
cache so that ``evaluate.load("safe_completion")`` works offline afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

DEMO_MARKER = ".vlmsafety-demo"
"""The file that marks a folder written by ``vlmsafety demo --out`` (the only kind it replaces)."""

DEMO_MODELS: tuple[tuple[str, str], ...] = (
    ("demo-vlm-a", "dual_sample_responses.jsonl"),
    ("demo-vlm-b", "dual_sample_responses_b.jsonl"),
)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="judge and score shipped sample responses on the embedded sample (offline, < 1 min)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--out", metavar="DIR", help="also write the dataset, judged files and results.json here")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--no-install-metrics", action="store_true",
                   help="do not register the metric modules in evaluate's cache")
    p.set_defaults(handler=run)


def _fmt(rate: Any) -> str:
    if rate.n == 0:
        return "   -   "
    return f"{rate.rate:.3f} [{rate.ci_low:.2f}, {rate.ci_high:.2f}]"


def run(args: argparse.Namespace) -> int:
    from vlmsafety.storage.files import atomic_path, check_output_folder

    if not args.out:
        return _demo(args, Path(tempfile.mkdtemp(prefix="vlmsafety-demo-")), None)
    final = check_output_folder(args.out, overwrite=True, marker=DEMO_MARKER,
                                command="vlmsafety demo")
    with atomic_path(final, folder=True) as work:  # appears at --out only when complete
        (work / DEMO_MARKER).write_text("written by `vlmsafety demo --out`; a later demo run may "
                                        "replace this folder\n", encoding="utf-8")
        return _demo(args, work, final)


def _demo(args: argparse.Namespace, work: Path, final: Path | None) -> int:
    """The demo, writing into ``work``; ``final`` is where ``work`` ends up (for messages)."""
    import datasets

    from vlmsafety.builders.dual import build_sample
    from vlmsafety.judges import KeywordJudge
    from vlmsafety.metric_modules import install_metrics
    from vlmsafety.predictions import Judgement, check_coverage, read_predictions, write_jsonl
    from vlmsafety.report import markdown_table
    from vlmsafety.scoring import safe_completion

    t0 = time.perf_counter()
    folder = work / "dual-sample"
    shown = (final or work) / "dual-sample"
    print(f"1/4 building the embedded sample -> {shown}", file=sys.stderr)
    build_sample(folder, overwrite=True, progress=False)
    rows: list[dict[str, Any]] = []
    for config in ("clean", "perturbed"):
        ds = datasets.load_dataset(str(folder), config, split="test",
                                   download_mode="force_redownload")
        rows += ds.remove_columns(["image"]).to_list()
    names = ds.features  # both configs share DUAL_FEATURES
    cat_names = names["category"].names
    type_names = names["instruction_type"].names
    pert_names = names["perturbation"].names
    by_id = {r["id"]: r for r in rows}

    judge = KeywordJudge()
    results: dict[str, Any] = {"dataset": str(shown), "judge": judge.name, "models": {}}
    table: list[list[str]] = []
    print(f"2/4 judging {len(DEMO_MODELS)} models x {len(rows)} responses with {judge.name}",
          file=sys.stderr)
    for model, fname in DEMO_MODELS:
        preds = read_predictions(files("vlmsafety.data").joinpath(fname), known_ids=by_id.keys())
        check_coverage((p.id for p in preds), by_id.keys(), missing="error")
        verdicts = judge.judge_many([(p.response, by_id[p.id]["prompt"]) for p in preds])
        judged = [Judgement(p.id, v.label, v.judge, p.response, model, v.reason)
                  for p, v in zip(preds, verdicts)]
        if args.out:
            write_jsonl(work / f"judged-{model}.jsonl", judged)
        meta = [by_id[j.id] for j in judged]
        res = safe_completion(
            [j.label for j in judged],
            [type_names[m["instruction_type"]] for m in meta],
            categories=[cat_names[m["category"]] for m in meta],
            perturbations=[pert_names[m["perturbation"]] for m in meta],
            severities=[m["severity"] for m in meta],
            source_ids=[m["source_id"] for m in meta],
            n_boot=args.n_boot, seed=args.seed, judge=judge.name,
        )
        results["models"][model] = res.to_dict()
        for itype in ("harmful", "benign"):
            g = res.by_instruction_type.get(itype)
            if g is None:
                continue
            table.append([model, itype, str(g.n), _fmt(g.refusal_rate), _fmt(g.direct_answer_rate),
                          _fmt(g.safe_completion_rate), str(g.n_unscored)])
        for pert, deltas in sorted(res.delta_ir.items()):
            results["models"][model].setdefault("delta_ir_summary", {})[pert] = {
                k: d.value for k, d in deltas.items()}

    print("3/4 scoring done", file=sys.stderr)
    print()
    print("DUAL-Bench-style sample, all rows (clean + perturbed); rates with Wilson 95% intervals")
    print(markdown_table(["model", "instruction", "n", "RR", "DAR", "SCR", "unscored"], table))
    print()
    print("Robustness gap dIR = rate on perturbed items - rate on their own clean sources")
    dtable = []
    for model, res_d in results["models"].items():
        for pert, d in sorted(res_d.get("delta_ir_summary", {}).items()):
            dtable.append([model, pert] + [f"{d.get(k, float('nan')):+.3f}" for k in
                                           ("refusal_rate", "direct_answer_rate", "safe_completion_rate")])
    print(markdown_table(["model", "perturbation", "dRR", "dDAR", "dSCR"], dtable))
    if not args.no_install_metrics:
        installed = install_metrics()
        names = ", ".join(p.stem for p in installed)
        print(f"\n4/4 {len(installed)} metric module(s) registered for offline evaluate.load(): "
              f"{names}", file=sys.stderr)
    if args.out:
        (work / "results.json").write_text(json.dumps(results, indent=2, allow_nan=False))
        print(f"\nwrote {(final or work) / 'results.json'}")
    print(f"\ndone in {time.perf_counter() - t0:.1f}s")
    return 0
