"""The performance suite's smoke mode runs end to end (that every module runs, not how fast).

No wall-clock limit: a busy machine slows the run down but cannot fail it (the modules' own
waits are safety nets of minutes).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PERF = REPO / "perf"
KEYS = {"benchmark", "case", "metric", "value", "unit", "target", "ok"}


def _name(path: Path) -> str:
    """The module's ``NAME`` (what its rows carry in ``benchmark``), read without importing it."""
    found = re.search(r"^NAME\s*(?::\s*\w+\s*)?=\s*[\"']([^\"']+)[\"']", path.read_text(), re.MULTILINE)
    return found.group(1) if found else path.stem.removeprefix("bench_")


@pytest.mark.slow
def test_smoke_suite_runs_and_every_benchmark_reports(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    # os.environ carries the autouse fixture's offline settings and temporary HF_HOME
    proc = subprocess.run(
        [sys.executable, str(PERF / "run.py"), "--smoke", "--json", str(out)],
        cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    rows = json.loads(out.read_text())
    discovered = {_name(p) for p in PERF.glob("bench_*.py")}
    assert discovered, "no benchmarks found"
    reported = {r["benchmark"] for r in rows}
    assert discovered <= reported, f"no rows from {sorted(discovered - reported)}"
    for r in rows:
        assert KEYS <= set(r), f"row lacks {sorted(KEYS - set(r))}: {r}"
        assert isinstance(r["value"], (int, float)), r
        assert r["ok"] in (True, False, None), r
        assert r["ok"] is None or r["target"], f"a row with ok set needs a target: {r}"
        # a figure that is checked against a target must be a real number
        assert r["ok"] is None or math.isfinite(r["value"]), f"non-finite value with a target: {r}"
    for name in discovered:
        values = [r["value"] for r in rows if r["benchmark"] == name]
        assert any(math.isfinite(v) for v in values), f"{name} reported no finite figure: {values}"
    assert "benchmark" in proc.stdout and "mode: smoke" in proc.stdout  # the table was printed
