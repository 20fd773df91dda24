"""Skips that CI must not take: tests that need ../shared/data or a browser.

A user's clone has neither, so such tests skip there; CI always has both, so ``.ci/run`` sets
``VLMSAFETY_REQUIRE_SHARED=1`` and ``tests/conftest.py`` turns those skips into failures.
Importable from every test as ``required`` (registered by conftest).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

REQUIRE_SHARED = "VLMSAFETY_REQUIRE_SHARED"
"""Set to 1 (CI does, in .ci/run) to turn the skips of tests that need ../shared/data or a browser
into failures: a user's clone has neither, but CI always has both, so there a skip is a bug."""

REQUIRED_MARK = "[needs reference data or a browser]"
"""Tag in a skip reason that :data:`REQUIRE_SHARED` turns into a failure (reasons that name
``shared/data`` count too)."""


def required_skip_to_failure(skipped: bool, reason: str, env: Mapping[str, str]) -> bool:
    """Whether a skip with this ``reason`` must fail the run (the switch is on and the reason is a
    missing ../shared/data or browser)."""
    return (skipped and env.get(REQUIRE_SHARED) == "1"
            and (REQUIRED_MARK in reason or "shared/data" in reason))


def skip_unless_available(reason: str) -> None:
    """Skip for a missing reference file or browser (a failure when CI sets the switch)."""
    pytest.skip(f"{REQUIRED_MARK} {reason}")
