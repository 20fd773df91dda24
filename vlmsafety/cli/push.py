"""``vlmsafety push DIR REPO_ID``: publish a built dataset folder or a metric folder on the Hub.

The folder is validated before anything is uploaded; ``--dry-run`` lists exactly the files that
would be uploaded and makes no network call. The token comes from ``HF_TOKEN`` or the saved login.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "push",
        help="publish a dataset folder or a metric folder (evaluate Space) on the Hub",
        description="Publish a built dataset folder (README.md with `configs` + data/) as a "
        "dataset repo, or a metric folder (NAME.py, README.md with the Space header, app.py, "
        "requirements.txt) as a gradio Space. The token is read from HF_TOKEN or the login "
        "saved by `hf auth login`; it is never a command-line argument.",
    )
    p.add_argument("folder", metavar="DIR", help="the folder to publish")
    p.add_argument("repo_id", metavar="REPO_ID", help="owner/name on the Hub")
    p.add_argument("--kind", choices=("auto", "dataset", "metric"), default="auto",
                   help="folder kind (default: detected from its files)")
    p.add_argument("--private", action="store_true", help="make the repo private")
    p.add_argument("--gated", choices=("auto", "manual"), default=None,
                   help="require access requests (datasets only): auto-approved or manual")
    p.add_argument("--revision", metavar="BRANCH", default=None,
                   help="branch to push to (created if missing)")
    p.add_argument("--message", metavar="MSG", default=None, help="commit message")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and list the files that would be uploaded; no network")
    p.add_argument("--allow-placeholders", action="store_true",
                   help="publish a dataset built with --placeholders (default: refuse)")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import sys

    from vlmsafety.hub import placeholder_refusal, push

    result = push(args.folder, args.repo_id, kind=args.kind, private=args.private,
                  gated=args.gated, revision=args.revision, message=args.message,
                  dry_run=args.dry_run, allow_placeholders=args.allow_placeholders)
    if args.json:
        out = result.plan.to_dict()
        out.update({"dry_run": result.dry_run, "commit_url": result.commit_url})
        print(json.dumps(out, indent=2))
    else:
        print(("dry run: would upload " if result.dry_run else "uploaded ") + result.plan.format())
        if result.commit_url:
            print(f"commit: {result.commit_url}")
    refusal = placeholder_refusal(result.plan, args.allow_placeholders)
    if result.dry_run and refusal is not None:  # exit as the real push would
        print(f"vlmsafety push: error: the push would be refused: {refusal}", file=sys.stderr)
        return 2
    return 0
