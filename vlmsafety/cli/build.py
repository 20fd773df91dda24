"""``vlmsafety build BENCH ...``: build a Hub-ready dataset folder (one sub-subcommand per benchmark).

Each registered benchmark's spec holds its ``build_command`` (``register(subparsers)``), which adds
``vlmsafety build <name>``; ``vlmsafety build merge`` joins the parts of a sharded build.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "build",
        help="build a Hub-ready dataset folder (parquet + generated card)",
        description="Build a Hub-ready dataset folder: data/<config>/*.parquet plus README.md with "
        "generated YAML. The same folder loads with datasets.load_dataset(folder, config) and is "
        "what `vlmsafety push` uploads.",
    )
    benches = p.add_subparsers(dest="bench", metavar="BENCH")
    from vlmsafety.cli import build_merge
    from vlmsafety.specs import specs

    for spec in specs():
        if spec.build_command is not None:
            spec.build_command(benches)
    build_merge.register(benches)
    p.set_defaults(handler=lambda args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    """No subcommand given: print the help and return exit code 1."""
    parser.print_help()
    return 1

