"""Every ``vlmsafety ...`` command shown in README.md and docs/*.md parses with the real CLI, so
the documentation cannot drift from the flags (the README set-up commands are run by CI itself)."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path
from typing import Any

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


def _section_commands(path: Path, heading: str) -> list[str]:
    """The commands of the bash blocks under ``heading`` (up to the next ``## ``), in order."""
    text = path.read_text()
    start = text.index(heading)
    end = text.find("\n## ", start + len(heading))
    section = text[start:end if end >= 0 else None]
    out = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL):
        out += [line.split(" #", 1)[0].strip()
                for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    return out


def test_reproduce_section_runs_as_written(shared_data: Path, tmp_path: Path, demo_run: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/evaluate.md "Reproduce the published numbers": every command runs, from a checkout
    with ``../shared/data`` beside it, and gives what the text says (issue 17 item 7).

    The section's ``vlmsafety demo --out demo ...`` is the session's shared demo run (conftest.py,
    ``demo_run``: the same options, another folder), linked in as ``demo``."""
    import json
    import subprocess
    import sys

    from vlmsafety.cli import main

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "docs").symlink_to(ROOT / "docs")
    (tmp_path / "shared").symlink_to(shared_data.parent)
    monkeypatch.chdir(repo)
    commands = _section_commands(ROOT / "docs" / "evaluate.md", "## Reproduce the published numbers")
    assert [c.split()[0] for c in commands] == ["python", "vlmsafety", "vlmsafety"]
    for command in commands:
        argv = shlex.split(command)
        if argv[:3] == ["vlmsafety", "demo", "--out"]:
            assert argv[4:] == list(demo_run.argv[2:]), "the shared demo run has other options"
            (repo / argv[3]).symlink_to(demo_run.out)
        elif argv[0] == "python":
            done = subprocess.run([sys.executable, *argv[1:]], cwd=repo, capture_output=True,
                                  text=True, timeout=600, check=False)
            assert done.returncode == 0, f"`{command}` failed: {done.stderr[-2000:]}"
        else:
            assert main(argv[1:]) == 0, f"`{command}` failed"
    # what the section says: ranks agree with the paper (rho 0.976), 6 of 8 published rates
    # inside our CI
    page = (repo / "mossbench.md").read_text()
    assert "| refusal | 8 | 6 of 8 |" in page and "| 0.976 |" in page
    strict = json.loads((repo / "demo-strict" / "results.json").read_text())
    assert strict["metric"]["partial_refusal"] == "refusal"
    assert strict["metric"]["bootstrap_breakdowns"] is True
    default = json.loads((repo / "demo" / "evaluation" / "results.json").read_text())
    for res, boot in ((strict, True), (default, True)):  # DUAL's default too (issue 24)
        cats = res["models"]["demo-vlm-a"]["scores"]["harmful"]["by_category"].values()
        assert cats and all((c["refusal_rate"]["boot_low"] is not None) is boot for c in cats)
    # partial refusals now count as refusals (each model's refusal count grows by its partials)
    for model in ("demo-vlm-a", "demo-vlm-b"):
        counts = strict["models"][model]["label_counts"]
        m_strict = strict["models"][model]["scores"]["all"]["overall"]["refusal_rate"]
        m_default = default["models"][model]["scores"]["all"]["overall"]["refusal_rate"]
        assert m_strict["count"] == m_default["count"] + counts.get("partial_refusal", 0)
