"""Every ``vlmsafety ...`` command shown in README.md and docs/*.md parses with the real CLI, so
the documentation cannot drift from the flags (the README set-up commands are run by CI itself)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from vlmsafety.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _commands(path: Path) -> list[str]:
    out = []
    for block in re.findall(r"```(?:bash|sh|shell)\n(.*?)```", path.read_text(), flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            for part in re.split(r"&&|;", line.split(" #", 1)[0]):
                part = part.strip()
                if part.startswith("vlmsafety "):
                    out.append(part)
    return out


CASES = [(p.relative_to(ROOT).as_posix(), c) for p in DOCS for c in _commands(p)]


def test_docs_show_the_main_commands() -> None:
    shown = {shlex.split(c)[1] for _, c in CASES}
    assert {"demo", "build", "generate", "evaluate"} <= shown


@pytest.mark.parametrize(("doc", "command"), CASES, ids=[f"{d}:{c[:60]}" for d, c in CASES])
def test_documented_command_parses(doc: str, command: str) -> None:
    argv = [a for a in shlex.split(command.replace("<", "'<").replace(">", ">'"))][1:]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            args = build_parser().parse_args(argv)
    except SystemExit as exc:
        if exc.code == 0 and ("--help" in argv or "--version" in argv):
            return
        pytest.fail(f"{doc}: `{command}` does not parse: {err.getvalue().strip()}")
    assert getattr(args, "handler", None) is not None, f"{doc}: `{command}` names no command"
