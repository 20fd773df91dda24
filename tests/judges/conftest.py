"""Fixtures for judge tests (``chat_server`` is made importable by ``tests/conftest.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_judge_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VLMSAFETY_JUDGE_BASE_URL", "VLMSAFETY_JUDGE_MODEL", "VLMSAFETY_JUDGE_API_KEY",
                "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
