"""The ``vlmsafety`` command: thin subcommands over the library.

Each subcommand lives in its own module ``vlmsafety.cli.<name>`` exposing
``register(subparsers) -> None``; heavy imports happen inside the handlers so that ``--help`` is fast.
A handler returns an exit code. Library errors (:class:`vlmsafety.errors.VLMSafetyError`) are printed
as one clear line on stderr with exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser", "COMMANDS"]

# (module under vlmsafety.cli, in the order shown by --help). A module is listed only once its
# command works end to end.
COMMANDS: tuple[str, ...] = (
    "demo",
    "build",
    "generate",
    "judge",
    "judge_eval",
    "evaluate",
    "annotate",
    "import_predictions",
    "push",
    "install_metrics",
)


def build_parser() -> argparse.ArgumentParser:
    from vlmsafety import __version__

    parser = argparse.ArgumentParser(
        prog="vlmsafety",
        description=(
            "Measure whether a vision-language model is safe and still useful "
            "(DUAL-Bench, VSCBench). Run `vlmsafety demo` for a one-minute tour."
        ),
    )
    parser.add_argument("--version", action="version", version=f"vlmsafety {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vlmsafety.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script. Returns the exit code."""
    from vlmsafety.errors import VLMSafetyError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # so that a command can record how it was run
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 1
    try:
        return int(args.handler(args) or 0)
    except VLMSafetyError as exc:
        print(f"vlmsafety {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vlmsafety {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
