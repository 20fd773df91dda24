"""The ``vlmsafety`` command: thin subcommands over the library.

Each subcommand lives in its own module ``vlmsafety.cli.<name>`` exposing
``register(subparsers) -> None``; heavy imports happen inside the handlers so that ``--help`` is fast.
A handler returns an exit code. Library errors (:class:`vlmsafety.errors.VLMSafetyError`) and the
file system's refusals (a full disk, a read-only folder, no permission) are printed as one clear
line on stderr with exit code 2; anything else is a bug and keeps its traceback. Exit codes are
listed in docs/exit-codes.md.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["COMMANDS", "Terminated", "build_parser", "main", "plain_text", "sigterm_as_interrupt"]

# (module under vlmsafety.cli, in the order shown by --help). A module is listed only once its
# command works end to end.
COMMANDS: tuple[str, ...] = (
    "demo",
    "build",
    "generate",
    "judge",
    "judge_eval",
    "evaluate",
    "report",
    "annotate",
    "import_predictions",
    "push",
    "install_metrics",
)


_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj):`(~?)([^`]+)`")


def plain_text(text: str | None) -> str | None:
    """A docstring made fit for ``--help``: reST roles and double backticks become `code`.

    Subcommands take their description from their module's docstring, written for the API docs.

    Example:
        >>> plain_text("Runs ``vlmsafety evaluate`` (:func:`~vlmsafety.evaluation.run_evaluation`).")
        'Runs `vlmsafety evaluate` (`run_evaluation`).'
    """
    if text is None:
        return None
    def code(m: re.Match[str]) -> str:
        short, target = m.groups()
        return f"`{target.rsplit('.', 1)[-1] if short else target}`"

    return _ROLE.sub(code, text).replace("``", "`")


def _plain_help(parser: argparse.ArgumentParser) -> None:
    """Apply :func:`plain_text` to every description and help text under ``parser``."""
    parser.description = plain_text(parser.description)
    parser.epilog = plain_text(parser.epilog)
    for action in parser._actions:
        action.help = plain_text(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = plain_text(choice.help)
            for child in action.choices.values():
                _plain_help(child)


def build_parser() -> argparse.ArgumentParser:
    from vlmsafety._version import __version__
    from vlmsafety.specs import specs

    titles = ", ".join(spec.title for spec in specs())
    parser = argparse.ArgumentParser(
        prog="vlmsafety",
        description=(
            "Measure whether a vision-language model is safe and still useful on published "
            f"safety benchmarks ({titles}). Run `vlmsafety demo` for a one-minute tour."
        ),
    )
    parser.add_argument("--version", action="version", version=f"vlmsafety {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"vlmsafety.cli.{name}").register(sub)
    _plain_help(parser)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C, so that every ``finally`` and context
    manager runs (temporary files beside an output are removed, caches are closed)."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (main thread only; restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise Terminated("terminated (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_FILE_SYSTEM_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES,
                                 errno.EPERM, errno.EFBIG})
"""``OSError`` numbers that are the file system's answer, not a bug: printed as one line."""


def _one_line(command: str, show: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints vlmsafety's notes about the data (a
    ``UnicodeWarning``: text replaced) as one line on stderr, and leaves others to ``show``."""

    def showwarning(message: Warning | str, category: type[Warning], *rest: Any,
                    **kwargs: Any) -> None:
        if issubclass(category, UnicodeWarning):
            print(f"vlmsafety {command}: warning: {message}", file=sys.stderr)
        else:
            show(message, category, *rest, **kwargs)

    return showwarning


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script. Returns the exit code."""
    from vlmsafety.chat_client.redact import redact
    from vlmsafety.errors import VLMSafetyError

    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv  # so that a command can record how it was run
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 1
    try:
        with sigterm_as_interrupt(), warnings.catch_warnings():
            warnings.showwarning = _one_line(args.command, warnings.showwarning)
            return int(args.handler(args) or 0)
    except VLMSafetyError as exc:
        # the chat client redacts its own texts; this also covers a download URL with a password
        print(f"vlmsafety {args.command}: error: {redact(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only folder: one line naming the path
        if exc.errno not in _FILE_SYSTEM_ERRORS:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"vlmsafety {args.command}: error: {where}{exc.strerror or exc}; nothing was "
              "left half-written", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # the message says what was kept and how to resume
        detail = f": {redact(str(exc))}" if str(exc) else ""
        print(f"vlmsafety {args.command}: interrupted{detail}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
