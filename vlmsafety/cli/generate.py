"""``vlmsafety generate``: a model's responses to every row of a dataset, as a predictions JSONL."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

_EPILOG = """\
Each row (id, prompt, image) is sent to an OpenAI-compatible /v1/chat/completions endpoint as one
user message: the image as a data URL, then the prompt (rows without an image: the prompt alone).
Endpoint, model and key default to VLMSAFETY_GENERATE_BASE_URL, VLMSAFETY_GENERATE_MODEL and
VLMSAFETY_GENERATE_API_KEY (then OPENAI_API_KEY); the key is never written anywhere.

Replies are cached (SQLite) as each one arrives: a killed run, re-run with the same command, sends
only what is missing. Failed requests are written as "response": null with an "error" and are not
cached, so a re-run (with --overwrite) retries just them. A dead or broken endpoint stops the
run early: the URL is checked first, the first row's request goes alone as a probe, and after
--max-consecutive-failures rows in a row whose request failed the requests in flight are
cancelled; nothing is written then (replies so far stay cached, the same command resumes).
Exit code: 0 when every row has a response, 1 when some requests failed (the file is still
written), 2 on a usage or data error or a stopped run.

examples:
  vlmsafety generate --dataset ./dual-sample --endpoint http://localhost:8000/v1 \\
      --model Qwen/Qwen2.5-VL-7B-Instruct --out preds.jsonl
  vlmsafety generate --dataset vlmsafety/vsc --config text_only --limit 20 --out smoke.jsonl
"""


def _count(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "generate", help="collect a model's responses over a dataset (OpenAI-compatible endpoint)",
        description="Send every row of a dataset (a folder built by `vlmsafety build` or a Hub "
        "repo id) to an OpenAI-compatible vision chat endpoint and write the replies as a "
        "predictions JSONL {id, response, model, config, ...}, one line per row in dataset order.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--dataset", required=True, metavar="DIR_OR_REPO",
                   help="dataset folder built by vlmsafety, or a Hub repo id")
    p.add_argument("--config", action="append", metavar="NAME",
                   help="config to read (repeatable; default: every config)")
    p.add_argument("--revision", metavar="SHA_OR_TAG",
                   help="pin a Hub repo id to this revision (recommended for published results)")
    p.add_argument("--out", required=True, type=Path, metavar="P",
                   help="predictions JSONL to write")
    p.add_argument("--overwrite", action="store_true", help="replace --out when it exists")
    p.add_argument("--endpoint", "--base-url", dest="base_url", metavar="URL",
                   help="server URL, with or without /v1 (default $VLMSAFETY_GENERATE_BASE_URL)")
    p.add_argument("--model", help="model name (default $VLMSAFETY_GENERATE_MODEL)")
    p.add_argument("--system", help="system prompt sent before each row's message")
    p.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default 0: greedy)")
    p.add_argument("--max-tokens", type=int, help="reply length cap (default: the server's)")
    p.add_argument("--seed", type=int, help="sampling seed passed to the server")
    p.add_argument("--limit", type=int, metavar="N",
                   help="only the first N rows of each config (smoke tests)")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    p.add_argument("--max-attempts", type=int, default=6,
                   help="HTTP attempts per row (default %(default)s)")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds per HTTP attempt (default %(default)s)")
    p.add_argument("--max-reply-mb", type=float, default=16.0, metavar="MB",
                   help="largest reply read, in MiB; a larger one fails (default %(default)s)")
    p.add_argument("--max-consecutive-failures", type=_count, metavar="N",
                   help="stop after N rows in a row whose request failed, after retries "
                   "(default: 2 x --concurrency; 0: never stop, no probe)")
    p.add_argument("--cache", type=Path,
                   help="SQLite cache (default $VLMSAFETY_CACHE_DIR/generate_cache.sqlite, "
                   "else ~/.cache/vlmsafety/generate_cache.sqlite)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write a cache")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from vlmsafety.chat_client import RetryPolicy
    from vlmsafety.generate import default_cache, generate

    params: dict[str, Any] = {"temperature": args.temperature}
    if args.max_tokens is not None:
        params["max_tokens"] = args.max_tokens
    if args.seed is not None:
        params["seed"] = args.seed
    summary = generate(
        args.dataset, out=args.out, base_url=args.base_url, model=args.model,
        configs=args.config, revision=args.revision, concurrency=args.concurrency,
        retry=RetryPolicy(max_attempts=args.max_attempts, request_timeout=args.timeout,
                          total_timeout=max(600.0, args.timeout * args.max_attempts),
                          max_reply_bytes=max(1, int(args.max_reply_mb * (1 << 20)))),
        params=params, system=args.system,
        cache=None if args.no_cache else (args.cache or default_cache()),
        limit=args.limit, overwrite=args.overwrite,
        max_consecutive_failures=args.max_consecutive_failures,
    )
    print(json.dumps(summary.to_dict(), indent=2) if args.json else summary.format())
    return 1 if summary.n_failed else 0
