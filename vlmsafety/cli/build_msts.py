"""``vlmsafety build msts``: registered from the suite's folder (:mod:`vlmsafety.suites.msts.cli`)."""

from __future__ import annotations

from vlmsafety.suites.msts.cli import register, run

__all__ = ["register", "run"]
