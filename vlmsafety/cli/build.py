"""``vlmsafety build BENCH ...``: build a Hub-ready dataset folder (one sub-subcommand per benchmark).

Each benchmark's options are registered by ``vlmsafety.cli.build_<bench>.register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from vlmsafety.specs import BENCHMARKS

BENCHES: tuple[str, ...] = (*dict.fromkeys((*BENCHMARKS, "msts")), "merge")
"""One ``vlmsafety build`` subcommand per benchmark spec (``vlmsafety.cli.build_<name>``), and
``merge`` (joins the parts of a sharded build)."""


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


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "build",
        help="build a Hub-ready dataset folder (parquet + generated card)",
        description="Build a Hub-ready dataset folder: data/<config>/*.parquet plus README.md with "
        "generated YAML. The same folder loads with datasets.load_dataset(folder, config) and is "
        "what `vlmsafety push` uploads.",
    )
    benches = p.add_subparsers(dest="bench", metavar="BENCH")
    for bench in BENCHES:
        importlib.import_module(f"vlmsafety.cli.build_{bench}").register(benches)
    p.set_defaults(handler=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    """No subcommand given: print the help and return exit code 1."""
    parser.print_help()
    return 1
