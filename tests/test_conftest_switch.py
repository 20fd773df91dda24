"""VLMSAFETY_REQUIRE_SHARED turns the skips of tests that need ../shared/data into failures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from required import REQUIRED_MARK, required_skip_to_failure  # type: ignore[import-not-found]


def test_switch_decides_which_skips_fail() -> None:
    on = {"VLMSAFETY_REQUIRE_SHARED": "1"}
    assert required_skip_to_failure(True, f"{REQUIRED_MARK} no xstest", on)
    assert required_skip_to_failure(True, "reference data not found at ../shared/data", on)
    assert not required_skip_to_failure(True, f"{REQUIRED_MARK} no xstest", {})
    assert not required_skip_to_failure(True, "needs fork", on)  # other skips stay skips
    assert not required_skip_to_failure(False, f"{REQUIRED_MARK} x", on)


def test_switch_fails_a_real_run(tmp_path: Path) -> None:
    """A test that skips for missing reference data fails the run when the switch is on."""
    tests = Path(__file__).resolve().parent
    case = tmp_path / "test_case.py"
    case.write_text("from required import skip_unless_available\n\n"
                    "def test_needs_data():\n    skip_unless_available('no file here')\n")
    (tmp_path / "conftest.py").write_text((tests / "conftest.py").read_text(encoding="utf-8"))
    for helper in ("required", "chat_server", "mossbench_release", "msts_release"):  # conftest loads them
        (tmp_path / f"{helper}.py").write_text((tests / f"{helper}.py").read_text(encoding="utf-8"))
    # the plugins this case does not use stay off (hypothesis alone imports for ~2 s)
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest",
            "-p", "no:benchmark", "-p", "no:xdist", "--rootdir", str(tmp_path), "-c", os.devnull, str(case)]
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "VLMSAFETY_REQUIRE_SHARED": "1"}
    on = subprocess.run(args, check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert on.returncode == 1, on.stdout + on.stderr
    assert "1 failed" in on.stdout
    env.pop("VLMSAFETY_REQUIRE_SHARED")
    off = subprocess.run(args, check=False, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert off.returncode == 0 and "1 skipped" in off.stdout, off.stdout + off.stderr


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
