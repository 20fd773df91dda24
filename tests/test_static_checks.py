"""The project's static checks, run by the test suite so that CI fails on a finding.

``ruff check`` (the pinned ruff's default rules, less those ``pyproject.toml`` lists with a reason)
over the whole repo and ``mypy vlmsafety`` under the project's configuration, at zero findings.
Both tools are pinned in the ``test`` extra.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600,
                          check=False)


def test_ruff_finds_nothing() -> None:
    if shutil.which("ruff") is None and _run([sys.executable, "-m", "ruff", "--version"]).returncode:
        pytest.fail("ruff is not installed: pip install -e '.[test]'")
    proc = _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_mypy_finds_nothing() -> None:
    proc = _run([sys.executable, "-m", "mypy", "vlmsafety"])
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_no_type_ignore_without_a_reason() -> None:
    """A ``# type: ignore[...]`` under vlmsafety/ says why on the same line."""
    bare = []
    for path in sorted((REPO / "vlmsafety").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "# type: ignore" in line:
                after = line.split("# type: ignore", 1)[1]
                after = after.split("]", 1)[1] if after.startswith("[") else after
                if not after.strip().lstrip("#").strip():
                    bare.append(f"{path.relative_to(REPO)}:{n}")
    assert bare == [], "say why on the line: " + ", ".join(bare)
