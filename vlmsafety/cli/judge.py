"""``vlmsafety judge``: turn a predictions JSONL into a judged JSONL and print label counts."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path
from typing import Any

_EPILOG = """\
The chat judge sends, for each line, the line's "prompt" field when present, else --prompt.
Endpoint, model and key default to VLMSAFETY_JUDGE_BASE_URL, VLMSAFETY_JUDGE_MODEL and
VLMSAFETY_JUDGE_API_KEY (then OPENAI_API_KEY); the key is never written anywhere. Chat verdicts
are cached (SQLite) as each one arrives: a killed run, re-run with the same command, judges only
what is missing. Failed requests are not cached and are retried on a re-run. An existing --out
is replaced only with --overwrite, and never when it is one of the inputs; it is written to a
temporary file and renamed at the end, so a failed or stopped run leaves nothing half-written.

examples:
  vlmsafety judge --predictions preds.jsonl --out judged.jsonl
  vlmsafety judge --judge chat --scheme dual --base-url http://localhost:8000/v1 \\
      --model Qwen/Qwen2.5-7B-Instruct --predictions preds.jsonl --out judged.jsonl
"""


def default_cache() -> Path:
    """``$VLMSAFETY_CACHE_DIR/judge_cache.sqlite``, else ``~/.cache/vlmsafety/judge_cache.sqlite``."""
    root = os.environ.get("VLMSAFETY_CACHE_DIR") or Path.home() / ".cache" / "vlmsafety"
    return Path(root) / "judge_cache.sqlite"


def register(sub: Any) -> None:
    from vlmsafety.judges.registry import DEFAULT_OFFLINE_JUDGE

    p: argparse.ArgumentParser = sub.add_parser(
        "judge", help="label each response of a predictions file (keyword or LLM judge)",
        description="Label each response of a predictions JSONL with a behaviour label "
        "(refusal, partial_refusal, safe_completion, direct_answer, irrelevant, unscored) and "
        "write the judged JSONL; prints counts per label.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--judge", default=DEFAULT_OFFLINE_JUDGE, metavar="NAME",
                   help="a registered judge: keyword@1.0.0 (offline rules; 'keyword' = latest), "
                   "chat (LLM judge over an OpenAI-compatible endpoint); default: %(default)s")
    p.add_argument("--scheme", choices=("dual", "vsc", "xstest"), default="dual",
                   help="rubric of the chat judge (DUAL-Bench 3-way, VSCBench 4-way, XSTest "
                   "3-way; default %(default)s); the keyword judge ignores it")
    p.add_argument("--predictions", required=True, type=Path, metavar="P",
                   help="predictions JSONL: {id, response, ...}")
    p.add_argument("--out", required=True, type=Path, metavar="J", help="judged JSONL to write")
    p.add_argument("--overwrite", action="store_true",
                   help="replace --out when it exists (never allowed when it is an input)")
    p.add_argument("--prompt", default="Describe the image",
                   help="prompt shown to the chat judge for lines without a 'prompt' field "
                   "(default: %(default)r)")
    add_chat_arguments(p)
    p.add_argument("--rules", type=Path, help="keyword rules JSON (default: packaged rules)")
    p.set_defaults(handler=run)


def add_chat_arguments(group: Any) -> None:
    """The chat judge's options (shared by ``vlmsafety judge`` and ``vlmsafety evaluate``)."""
    group.add_argument("--base-url", help="endpoint (default $VLMSAFETY_JUDGE_BASE_URL)")
    group.add_argument("--model", help="judge model (default $VLMSAFETY_JUDGE_MODEL)")
    group.add_argument("--concurrency", type=int, default=8,
                       help="requests in flight (default 8)")
    group.add_argument("--template", type=Path, help="your own rubric template file")
    group.add_argument("--cache", type=Path, help=f"SQLite cache (default {default_cache()})")
    group.add_argument("--no-cache", action="store_true", help="do not read or write a cache")
    group.add_argument("--max-attempts", type=int, default=6,
                       help="HTTP attempts per item (default %(default)s)")
    group.add_argument("--timeout", type=float, default=120.0,
                       help="seconds per HTTP attempt (default %(default)s)")


def chat_judge_from_args(args: argparse.Namespace, scheme: str) -> Any:
    """The ``chat`` judge of the registry, with the options of :func:`add_chat_arguments`."""
    from vlmsafety.chat_client import RetryPolicy
    from vlmsafety.judges.registry import load_judge

    return load_judge(
        "chat", scheme=scheme,
        base_url=args.base_url, model=args.model, template=args.template,
        cache=None if args.no_cache else (args.cache or default_cache()),
        concurrency=args.concurrency,
        retry=RetryPolicy(max_attempts=args.max_attempts, request_timeout=args.timeout,
                          total_timeout=max(600.0, args.timeout * args.max_attempts)),
    )


def make_judge(args: argparse.Namespace, scheme: str | None = None) -> Any:
    """The judge named by ``--judge``, from the registry (:func:`vlmsafety.judges.load_judge`).

    ``chat`` takes the options of :func:`add_chat_arguments` and ``scheme`` (default
    ``--scheme``), and so does ``cascade`` for its chat judge; ``--rules``, when given, is passed
    to the judge as ``rules``.
    """
    from vlmsafety.judges.registry import load_judge

    if args.judge.partition("@")[0] == "chat":
        return chat_judge_from_args(args, scheme or args.scheme)
    if args.judge == "cascade":  # the offline judge first, the chat judge for unsure items
        return load_judge("cascade", second=chat_judge_from_args(args, scheme or args.scheme))
    rules = getattr(args, "rules", None)
    return load_judge(args.judge, **({} if rules is None else {"rules": rules}))


def run(args: argparse.Namespace) -> int:
    from vlmsafety.judges.apply import judge_predictions
    from vlmsafety.judges.base import Judge
    from vlmsafety.labels import LABELS, UNSCORED
    from vlmsafety.predictions import read_predictions, write_jsonl
    from vlmsafety.storage.files import check_output

    check_output(args.out, overwrite=args.overwrite,
                 inputs=[args.predictions, args.rules, getattr(args, "template", None),
                         None if args.no_cache else args.cache])  # before any judging
    preds = read_predictions(args.predictions)
    judge: Judge = make_judge(args)
    verdicts = judge_predictions(preds, judge, default_prompt=args.prompt)
    write_jsonl(args.out, verdicts)
    counts = Counter(v.label for v in verdicts)
    print(f"judge: {verdicts[0].judge if verdicts else judge.name}")
    print(f"wrote {len(verdicts)} judged lines to {args.out}")
    width = max(map(len, LABELS))
    for label in LABELS:
        n = counts.get(label, 0)
        share = n / len(verdicts) if verdicts else 0.0
        print(f"  {label:<{width}}  {n:>7}  {share:6.1%}")
    reasons = Counter(v.reason.split(":")[0] for v in verdicts if v.label == UNSCORED and v.reason)
    for reason, n in reasons.most_common(5):
        print(f"  unscored because {reason!r}: {n}")
    return 0
