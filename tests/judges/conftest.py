"""Fixtures for judge tests: the local chat-completions server (``tests/chat_server.py``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "chat_server.py"
if "chat_server" not in sys.modules:  # importable as ``chat_server`` from these tests
    _spec = importlib.util.spec_from_file_location("chat_server", _PATH)
    assert _spec is not None and _spec.loader is not None
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules["chat_server"] = _mod
    _spec.loader.exec_module(_mod)


@pytest.fixture(autouse=True)
def _no_judge_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("VLMSAFETY_JUDGE_BASE_URL", "VLMSAFETY_JUDGE_MODEL", "VLMSAFETY_JUDGE_API_KEY",
                "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
