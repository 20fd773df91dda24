"""Settings and outcome of a :func:`~vlmsafety.generate.generate` run: environment prefix, cache
namespace, default parameters, default cache file, and :class:`GenerateSummary`.

Example:
    >>> ENV_PREFIX, CACHE_NAMESPACE, dict(DEFAULT_PARAMS)
    ('VLMSAFETY_GENERATE', 'generate', {'temperature': 0.0})
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CACHE_NAMESPACE", "DEFAULT_PARAMS", "ENV_PREFIX", "GenerateSummary", "default_cache"]

ENV_PREFIX = "VLMSAFETY_GENERATE"
"""Environment variables: ``VLMSAFETY_GENERATE_BASE_URL``, ``_MODEL``, ``_API_KEY``."""

CACHE_NAMESPACE = "generate"
"""Namespace of the replies in the SQLite cache."""

DEFAULT_PARAMS: Mapping[str, Any] = {"temperature": 0.0}
"""Request parameters used when ``params`` is not given (greedy decoding)."""




def default_cache() -> Path:
    """The default cache file: ``$VLMSAFETY_CACHE_DIR/generate_cache.sqlite``, else
    ``~/.cache/vlmsafety/generate_cache.sqlite`` (beside the judge's cache).

    Example:
        >>> default_cache().name
        'generate_cache.sqlite'
    """
    root = os.environ.get("VLMSAFETY_CACHE_DIR") or Path.home() / ".cache" / "vlmsafety"
    return Path(root) / "generate_cache.sqlite"


@dataclass(frozen=True)
class GenerateSummary:
    """What a :func:`generate` run did.

    Attributes:
        out: The predictions file written.
        model: The model asked.
        configs: The dataset configs read (empty for in-memory rows).
        n: Rows written (one line each).
        n_ok: Rows with a response.
        n_failed: Rows written as ``response: null`` with an ``error``.
        n_cached: Rows answered from the cache (no request sent).
        n_sent: Requests sent (one per row not answered by the cache).
        elapsed: Wall-clock seconds.
        errors: The first few failures, as ``"<id>: <error>"``.
    """

    out: Path
    model: str
    configs: tuple[str, ...]
    n: int
    n_ok: int
    n_failed: int
    n_cached: int
    n_sent: int
    elapsed: float
    errors: tuple[str, ...] = field(default=())

    @property
    def requests_per_second(self) -> float:
        """Requests sent per wall-clock second (0 when nothing was sent)."""
        return self.n_sent / self.elapsed if self.n_sent and self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values."""
        return {"out": str(self.out), "model": self.model, "configs": list(self.configs),
                "n": self.n, "n_ok": self.n_ok, "n_failed": self.n_failed,
                "n_cached": self.n_cached, "n_sent": self.n_sent,
                "elapsed": round(self.elapsed, 3),
                "requests_per_second": round(self.requests_per_second, 2),
                "errors": list(self.errors)}

    def format(self) -> str:
        """A short human-readable report (what the CLI prints)."""
        lines = [
            f"wrote {self.n} lines to {self.out} (model {self.model}"
            + (f", configs {', '.join(self.configs)})" if self.configs else ")"),
            (f"  ok {self.n_ok}, failed {self.n_failed}, from cache {self.n_cached}, "
            f"requests sent {self.n_sent}"),
            f"  elapsed {self.elapsed:.1f}s, {self.requests_per_second:.1f} req/s",
        ]
        if self.n_failed:
            lines.append("  first failures (written as response null + error; a re-run "
                         "retries them):")
            lines += [f"    {e}" for e in self.errors]
        return "\n".join(lines)

