"""``vlmsafety evaluate``: predictions of one or more models -> results.json, report.md, plots."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

_EPILOG = """\
Each predictions file is PATH or NAME=PATH; a bare PATH is named by its lines' "model" field
(when they agree) or by its file name. Every response is labelled by the judge (keyword: offline
rules; chat: an LLM judge through the same SQLite cache as `vlmsafety judge`, so a re-run only
judges what is new; precomputed: the files are judged JSONL with a "label" per line), scored with
the scoring core, and ranked per headline rate with the significance of adjacent gaps.

Writes OUT/results.json (every rate with its count and intervals; dataset, judge and metric
versions; the command), OUT/report.md, OUT/plots/*.png (needs matplotlib: pip install
'vlmsafety[plots]'; without it the plots are skipped with a note) and OUT/judged/<model>.jsonl.
OUT is replaced as a whole at the end. `vlmsafety report OUT/results.json` renders report.md and
the plots again. Exit status: 0 written, 2 refused (nothing written).

examples:
  vlmsafety evaluate --benchmark dual --dataset ./dual-sample \\
      --predictions model-a.jsonl model-b.jsonl --out results/
  vlmsafety evaluate --benchmark vsc --dataset vlmsafety/vsc --judge chat --scheme vsc \\
      --base-url http://localhost:8000/v1 --model Qwen/Qwen2.5-7B-Instruct \\
      --predictions qwen=preds/qwen.jsonl llava=preds/llava.jsonl --out results-vsc/
  vlmsafety evaluate --benchmark mossbench --dataset ./mossbench \
      --predictions gpt4o.jsonl --setting empty_policy=exclude --out results-moss/
"""


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "evaluate", help="judge, score and compare models; write results.json, report.md, plots",
        description="Judge the responses of one or more models on a benchmark, score "
        "them with intervals, rank them with the significance of adjacent gaps, and write "
        "results.json, report.md and plots.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from vlmsafety.specs import benchmarks, specs

    p.add_argument("--benchmark", required=True, choices=benchmarks(),
                   help="which benchmark the dataset is (its spec: configs, judge rubric, "
                   "scorer)")
    p.add_argument("--dataset", required=True, metavar="DIR_OR_REPO",
                   help="a folder built by `vlmsafety build` or a Hub dataset repo id")
    p.add_argument("--revision", metavar="SHA_OR_TAG",
                   help="pin a Hub repo id to this revision (recommended for published results)")
    p.add_argument("--predictions", required=True, nargs="+", metavar="[NAME=]P",
                   help="one predictions JSONL per model")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--config", action="append", metavar="NAME",
                   help="score only this config (repeatable; default: every config with "
                   "predictions)")
    from vlmsafety.cli.judge import JUDGE_HELP
    from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE

    p.add_argument("--judge", default=DEFAULT_OFFLINE_JUDGE, metavar="NAME", help=JUDGE_HELP)
    p.add_argument("--allow-missing", action="store_true",
                   help="score rows that have a prediction and count the others (default: a "
                   "row without a prediction is an error)")
    p.add_argument("--setting", action="append", metavar="KEY=VALUE", default=[],
                   help="a metric setting of the benchmark (repeatable; "
                   + "; ".join(f"{s.name}: {', '.join(s.settings)}" for s in specs() if s.settings)
                   + "); recorded in results.json (default: none, the benchmark's own settings)")
    p.add_argument("--min-coverage", type=float, default=0.95, metavar="SHARE",
                   help="warn when a model's predictions cover less than this share of the "
                   "scored rows, or when models' coverages differ (default 0.95)")
    p.add_argument("--min-clusters", type=int, default=20, metavar="N",
                   help="no bootstrap interval from fewer clusters: Wilson intervals (gaps: "
                   "none) instead, and the output says so (default 20)")
    p.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--no-plots", action="store_true", help="do not draw plots")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--human-labels", nargs="+", type=Path, metavar="FILE",
                   help="human labels on a random sample (vlmsafety annotate; one file per "
                   "annotator, combined by majority, ties left out and counted): every headline "
                   "rate is also given corrected (PPI++) with its interval and n_human")
    metric = p.add_argument_group(
        "metric settings (each recorded in results.json's metric; a setting the benchmark does "
        "not have is an error)")
    _add_setting_options(metric)
    chat = p.add_argument_group("chat judge (--judge chat or cascade)")
    from vlmsafety.judges.chat import scheme_names

    chat.add_argument("--scheme", choices=scheme_names(),
                      help="rubric (default: the benchmark's own)")
    from vlmsafety.cli.judge import add_cascade_arguments, add_chat_arguments, add_image_argument

    add_chat_arguments(chat)
    add_image_argument(chat, "the image is the dataset row's, read only then (a row without "
                       "one, e.g. MSTS en_textonly, sends the text alone)")
    add_cascade_arguments(chat)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vlmsafety.cli.judge import make_judge
    from vlmsafety.cli.report import plots_available
    from vlmsafety.evaluation import EvaluationRequest, run_evaluation
    from vlmsafety.specs import get_spec

    judge = make_judge(args, args.scheme or get_spec(args.benchmark).judge_scheme)
    request = EvaluationRequest(
        args.benchmark, args.dataset, args.predictions, judge=judge, configs=args.config,
        settings=_settings(args), allow_missing=args.allow_missing, revision=args.revision,
        human_labels=args.human_labels or (), n_boot=args.n_boot, seed=args.seed,
        min_coverage=args.min_coverage, min_clusters=args.min_clusters,
        command="vlmsafety " + shlex.join(getattr(args, "argv", sys.argv[1:])))
    results = run_evaluation(request, args.out,
                             plots=plots_available("evaluate", not args.no_plots),
                             overwrite=args.overwrite)
    for warning in results.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{len(results.models)} model(s) on {args.benchmark} "
          f"({', '.join(results.dataset.configs)}), judge {results.judge.name}")
    for name, info in results.models.items():
        preds = info.predictions
        other = preds.n_other_configs
        left_out = f" ({other} for configs not scored, left out)" if other else ""
        print(f"  {name}: {preds.n_lines} predictions{left_out}, "
              f"{preds.n_failed} failed generations, {sum(info.n_missing.values())} rows "
              f"without prediction, {info.label_counts.get('unscored', 0)} unscored")
    for board in results.leaderboards:
        _print_board(board, results)
    if results.human_labels is not None:
        h = results.human_labels.to_dict()
        print(f"\nhuman labels: {h['n_labels']} from {', '.join(h['annotators'])} "
              f"({h['combined']}; {h['n_ties']} ties left out, {h['n_skipped']} skipped)")
    print(f"\nwrote {args.out / 'results.json'}, {args.out / 'report.md'} and "
          f"{len(results.plots or ())} plot(s)")
    return 0


def _print_board(board: Any, results: Any) -> None:
    """One leaderboard: rank, model, rate with its interval (bootstrap when every row has one,
    else Wilson), coverage, the gap to the next model, and the human-corrected rate if any."""
    import math

    from vlmsafety.report import format_rate

    width = max([24, *(len(m) for m in results.models)])
    boot = all(not math.isnan(r.rate.boot_low) for r in board.rows)
    print(f"\n{board.headline.title}: rate [{'bootstrap' if boot else 'Wilson'} 95% CI] (n)")
    for i, row in enumerate(board.rows):
        gap = f"  gap to next {_gap(board.adjacent[i])}" if i < len(board.adjacent) else ""
        r = row.rate
        lo, hi = (r.boot_low, r.boot_high) if boot else (r.ci_low, r.ci_high)
        print(f"  {i + 1}. {row.model:<{width}} {format_rate(r.rate, lo, hi, r.n)} "
              f"coverage {row.coverage:.3f}{gap}")
        if row.corrected is not None:
            c = row.corrected.to_dict()
            print(f"     {'corrected by human labels':<{width}} "
                  f"{format_rate(c['rate'], c['ci_low'], c['ci_high'], c['n'])} "
                  f"n_human={c['n_human']} ({c['method']})")
    if not boot and results.metric.n_boot:
        print(f"  (no bootstrap interval: fewer than --min-clusters "
              f"{results.metric.min_clusters} clusters for some model; Wilson shown)")


def _add_setting_options(group: Any) -> None:
    """The registered benchmarks' named setting options (``--partial-refusal`` ...), each once."""
    from vlmsafety.specs import specs

    every = specs()
    seen: set[str] = set()
    for spec in every:
        for opt in spec.options:
            if opt.flag in seen:
                continue
            seen.add(opt.flag)
            owners = [s for s in every if any(o.flag == opt.flag for o in s.options)]
            if len(owners) == 1:
                where, defaults = f"{spec.title}: ", _shown(spec.settings.get(opt.setting))
            else:
                where, defaults = "", ", ".join(
                    f"{s.title} {_shown(s.settings.get(opt.setting))}" for s in owners)
            group.add_argument(opt.flag, dest=f"set_{opt.setting}", choices=opt.choices,
                               metavar=opt.metavar, help=f"{where}{opt.help} (default: {defaults})")


def _shown(value: Any) -> str:
    return ("on" if value else "off") if isinstance(value, bool) else str(value)


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The metric settings given on the command line: ``--vsc-mode`` -> ``mode`` (and the
    other named flags), then each ``--setting KEY=VALUE``; the benchmark's spec checks them."""
    from vlmsafety.errors import InvalidArgumentError

    out: dict[str, Any] = {}
    for key, value in vars(args).items():
        if key.startswith("set_") and value is not None:
            out[key[4:]] = {"on": True, "off": False}.get(value, value)
    for value in args.setting:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise InvalidArgumentError(f"--setting {value!r}: use KEY=VALUE")
        out[key.strip()] = text.strip()
    return out


def _gap(gap: Any) -> str:
    """``+0.042 [+0.010, +0.071] (McNemar p=0.012, n=768 shared)``: the gap a - b on the items
    both models have, its paired bootstrap interval (when computed), McNemar's exact p-value."""
    from vlmsafety.report import format_signed

    adj = gap.to_dict()
    if adj["difference"] is None:
        return f"n/a (n={adj['n_both_scored']} shared)"
    text = format_signed(adj["difference"])
    if adj.get("difference_ci_low") is not None and adj.get("difference_ci_high") is not None:
        text += (f" [{format_signed(adj['difference_ci_low'])}, "
                 f"{format_signed(adj['difference_ci_high'])}]")
    elif adj.get("paired_bootstrap", {}).get("note", "").startswith("no bootstrap:"):
        text += " [no CI: < --min-clusters]"
    p = adj["mcnemar"].get("p_value")
    text += f" (McNemar p={p:.3g}" if p is not None else " (McNemar n/a"
    return text + f", n={adj['n_both_scored']} shared)"
