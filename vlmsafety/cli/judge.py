"""``vlmsafety judge``: turn a predictions JSONL into a judged JSONL and print label counts."""

from __future__ import annotations

import argparse
import os
import sys
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
Exit status: 0 when written, 1 when written but every verdict is unscored (nothing was judged:
all requests rejected, or no reply parsable), 2 on an error (nothing written).

examples:
  vlmsafety judge --predictions preds.jsonl --out judged.jsonl
  vlmsafety judge --judge chat --scheme dual --base-url http://localhost:8000/v1 \\
      --model Qwen/Qwen2.5-7B-Instruct --predictions preds.jsonl --out judged.jsonl
"""


JUDGE_HELP = ("a registered judge (vlmsafety.judges.available_judges()): an offline one "
              "(refusal-lr, keyword; NAME@VERSION pins a version), chat (an LLM judge over an "
              "OpenAI-compatible endpoint: the options below), cascade (the offline judge, and "
              "the chat judge where it is unsure), or precomputed (the lines' own labels); "
              "default: %(default)s")
"""Help of every ``--judge`` option (``judge``, ``judge-eval``, ``evaluate``)."""


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
                   help=JUDGE_HELP)
    from vlmsafety.judges.chat import scheme_names

    schemes = scheme_names()
    p.add_argument("--scheme", choices=schemes, default=schemes[0],
                   help="rubric of the chat judge (each benchmark's own, or XSTest's 3-way; "
                   "default %(default)s); the offline judges ignore it")
    p.add_argument("--predictions", required=True, type=Path, metavar="P",
                   help="predictions JSONL: {id, response, ...}")
    p.add_argument("--out", required=True, type=Path, metavar="J", help="judged JSONL to write")
    p.add_argument("--overwrite", action="store_true",
                   help="replace --out when it exists (never allowed when it is an input)")
    p.add_argument("--prompt", default="Describe the image",
                   help="prompt shown to the chat judge for lines without a 'prompt' field "
                   "(default: %(default)r)")
    add_chat_arguments(p)
    add_image_argument(p, "the image is each line's \"image\" field (a file path; null: a "
                       "text-only line, sent without one)")
    add_cascade_arguments(p)
    p.add_argument("--rules", type=Path, help="keyword rules JSON (default: packaged rules)")
    p.set_defaults(handler=run)


def add_chat_arguments(group: Any) -> None:
    """The chat judge's options (shared by ``judge``, ``judge-eval`` and ``evaluate``)."""
    group.add_argument("--base-url", help="endpoint (default $VLMSAFETY_JUDGE_BASE_URL)")
    group.add_argument("--model", help="judge model (default $VLMSAFETY_JUDGE_MODEL)")
    group.add_argument("--api-key-env", metavar="VAR",
                       help="environment variable holding the judge's API key (default "
                       "VLMSAFETY_JUDGE_API_KEY, then OPENAI_API_KEY)")
    group.add_argument("--concurrency", type=int,
                       help=f"requests in flight (default {_CONCURRENCY})")
    group.add_argument("--template", type=Path, help="your own rubric template file")
    group.add_argument("--cache", type=Path, help=f"SQLite cache (default {default_cache()})")
    group.add_argument("--no-cache", action="store_true", help="do not read or write a cache")
    group.add_argument("--max-attempts", type=int,
                       help=f"HTTP attempts per item (default {_MAX_ATTEMPTS})")
    group.add_argument("--timeout", type=float,
                       help=f"seconds per HTTP attempt (default {_TIMEOUT:g})")
    group.add_argument("--max-reply-mb", type=float, metavar="MB",
                       help=f"largest reply read, in MiB; a larger one fails (default "
                       f"{_MAX_REPLY_MB:g})")


def add_cascade_arguments(group: Any) -> None:
    """``--cascade-threshold`` and ``--cascade-budget`` (``judge``, ``judge-eval``, ``evaluate``)."""
    from vlmsafety.judges.cascade import DEFAULT_THRESHOLD

    group.add_argument("--cascade-threshold", type=float, metavar="CONF",
                       help="--judge cascade: send the items whose offline confidence is below "
                       f"CONF to the chat judge (0 to 1.01; 1.01 sends every one; default "
                       f"{DEFAULT_THRESHOLD:g})")
    group.add_argument("--cascade-budget", type=int, metavar="N",
                       help="--judge cascade: send at most N items to the chat judge in the "
                       "whole run, the least sure first (default: no limit)")


def add_image_argument(group: Any, where: str) -> None:
    """``--judge-image``: the chat judge (or the cascade's) sends each item's image."""
    group.add_argument("--judge-image", action="store_true",
                       help="--judge chat or cascade: send each item's image with the judge "
                       f"request (as `vlmsafety generate` does); {where}")


_CONCURRENCY = 8
_MAX_ATTEMPTS = 6
_TIMEOUT = 120.0
_MAX_REPLY_MB = 16.0


def _retry(max_attempts: int | None, timeout: float | None, max_reply_mb: float | None = None
           ) -> Any:
    from vlmsafety.chat_client import RetryPolicy

    attempts = _MAX_ATTEMPTS if max_attempts is None else max_attempts
    seconds = _TIMEOUT if timeout is None else timeout
    mib = _MAX_REPLY_MB if max_reply_mb is None else max_reply_mb
    return RetryPolicy(max_attempts=attempts, request_timeout=seconds,
                       total_timeout=max(600.0, seconds * attempts),
                       max_reply_bytes=max(1, int(mib * (1 << 20))))


def judge_options(args: argparse.Namespace, scheme: str | None = None
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(options, defaults)`` of :func:`vlmsafety.judges.load_judge` from the command line.

    ``options`` are what the user gave (``--base-url``, ``--model``, ``--api-key-env``,
    ``--concurrency``, ``--template``, ``--cache``, ``--max-attempts``/``--timeout``, ``--rules``,
    ``--judge-image``, ``--cascade-threshold``/``--cascade-budget``):
    a judge that does not take one is an error naming the ones it does. ``defaults`` (the rubric
    ``scheme``, the default cache or none with ``--no-cache``, the retry policy) go only to a judge
    that takes them.
    """
    given = {"base_url": args.base_url, "model": args.model,
             "api_key_env": getattr(args, "api_key_env", None), "concurrency": args.concurrency,
             "template": args.template, "rules": getattr(args, "rules", None),
             "cache": None if args.no_cache else args.cache}
    options = {k: v for k, v in given.items() if v is not None}
    reply_mb = getattr(args, "max_reply_mb", None)
    if args.max_attempts is not None or args.timeout is not None or reply_mb is not None:
        options["retry"] = _retry(args.max_attempts, args.timeout, reply_mb)
    options.update(_cascade_options(args))
    if getattr(args, "judge_image", False):
        options["send_image"] = True
    defaults: dict[str, Any] = {"cache": None if args.no_cache else default_cache(),
                                "retry": _retry(None, None)}
    if scheme or getattr(args, "scheme", None):
        defaults["scheme"] = scheme or args.scheme
    return options, defaults


def _cascade_options(args: argparse.Namespace) -> dict[str, Any]:
    """``threshold``/``budget`` from ``--cascade-threshold``/``--cascade-budget``, which only the
    cascade takes (the offline judges' own ``threshold`` is another thing)."""
    from vlmsafety.errors import InvalidArgumentError

    given = {"threshold": getattr(args, "cascade_threshold", None),
             "budget": getattr(args, "cascade_budget", None)}
    given = {k: v for k, v in given.items() if v is not None}
    if given and str(args.judge).strip().partition("@")[0] != "cascade":
        flags = ", ".join(f"--cascade-{k}" for k in given)
        raise InvalidArgumentError(f"{flags} apply to --judge cascade, not --judge {args.judge!r}")
    return given


def make_judge(args: argparse.Namespace, scheme: Any = None) -> Any:
    """The judge named by ``--judge``, made by :func:`vlmsafety.judges.load_judge` (the one place
    a judge's name is resolved) with :func:`judge_options`; ``scheme`` (default ``--scheme``) is
    the chat judge's rubric, the cascade's included."""
    from vlmsafety.judges.registry import load_judge

    options, defaults = judge_options(args, scheme)
    return load_judge(args.judge, defaults=defaults, **options)


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
    reasons = Counter(reason_kind(v.reason) for v in verdicts
                      if v.label == UNSCORED and v.reason)
    for reason, n in reasons.most_common(5):
        print(f"  unscored because {reason!r}: {n}")
    if verdicts and counts.get(UNSCORED, 0) == len(verdicts):
        print(f"vlmsafety judge: every one of the {len(verdicts)} verdicts is unscored: nothing "
              f"was judged (see the reasons above; {args.out} keeps each one)", file=sys.stderr)
        return 1
    return 0


def reason_kind(reason: str) -> str:
    """The kind of an unscored reason, for counting: its text up to the first ``:`` or ``;``
    that is not inside quotes.

    Example:
        >>> reason_kind("judge request failed: HTTP 400: bad"), reason_kind(
        ...     "the last line is not 'VERDICT: <code>'")
        ('judge request failed', "the last line is not 'VERDICT: <code>'")
    """
    quote = None
    for i, ch in enumerate(reason):
        if quote is not None:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in ":;":
            return reason[:i]
    return reason
