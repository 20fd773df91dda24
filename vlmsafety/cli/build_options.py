"""Options shared by the ``vlmsafety build <bench>`` subcommands (each suite's ``cli`` module).

Example:
    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> add_parallel_arguments(p)
    >>> p.parse_args(["--num-proc", "2"]).num_proc
    2
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_download_arguments", "add_parallel_arguments", "part_summary", "warn_placeholders"]


def add_parallel_arguments(p: argparse.ArgumentParser) -> None:
    """--num-proc and --shard, shared by the builders that make or check many images."""
    p.add_argument("--num-proc", type=int, default=1, metavar="N",
                   help="worker processes for image work; the writer stays one and ordered, the "
                        "output does not depend on N (default 1: none)")
    p.add_argument("--shard", metavar="I/K",
                   help="build only the I-th (from 0) of K disjoint parts into --out, a part "
                        "folder; join the K parts with `vlmsafety build merge`")


def add_download_arguments(p: argparse.ArgumentParser) -> None:
    """The options shared by builders that download pinned release files: --base-url, --timeout,
    --allow-unpinned and --overwrite."""
    p.add_argument("--base-url", metavar="URL",
                   help="raw-file host for downloads (default https://raw.githubusercontent.com)")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S",
                   help="seconds per download (default 60)")
    p.add_argument("--allow-unpinned", action="store_true",
                   help="accept inputs whose sha256 differs from the pinned release (card says so)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an --out folder an earlier build made (never other files)")


def part_summary(part: Path) -> dict[str, Any]:
    """What a part folder holds: its place, rows per config (printed by ``build --shard``)."""
    from vlmsafety.builders.shards import PART_FILE

    manifest = json.loads((part / PART_FILE).read_text(encoding="utf-8"))
    shard = manifest["shard"]
    return {"out": str(part), "shard": f"{shard['index']}/{shard['count']}",
            "rows": {c: v["rows"] for c, v in manifest["configs"].items()}}


def warn_placeholders(out: Path) -> int:
    """Say on stderr how many images of a built folder are placeholders (any builder's
    ``--placeholders``); return that count (0: nothing said)."""
    from vlmsafety.storage.images import count_placeholders

    n, total = count_placeholders(out)
    if n:
        print(f"warning: {n} of {total} images are placeholders; scores on these rows do not "
              "measure a model, and `vlmsafety push` refuses this folder unless "
              "--allow-placeholders", file=sys.stderr)
    return n
