"""Pieces every benchmark's report shares: rate and interval cells, file-safe model names, bar
series for plots, axis labels.

Example:
    >>> rate_cell({"rate": 0.5, "ci_low": 0.2, "ci_high": 0.8, "n": 10})
    '0.500 [0.200, 0.800] (n=10)'
    >>> interval_cell(-0.1, 0.2)
    '[-0.100, +0.200]'
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from vlmsafety.report.markdown import format_rate

__all__ = ["RATE_ABBR", "bar_series", "best_interval", "display_keys", "interval_cell",
           "model_file_names",
           "rate_cell", "scores_getter"]

RATE_ABBR: dict[str, str] = {
    "refusal_rate": "RR", "direct_answer_rate": "DAR", "safe_completion_rate": "SCR",
    "partial_refusal_rate": "partial", "irrelevant_rate": "irrelevant", "sra_u": "SRA_u",
    "sra_s": "SRA_s",
}
"""Short names of rates in tables and plots."""


def model_file_names(names: Iterable[str]) -> dict[str, str]:
    """A distinct, file-system-safe stem per model name, stable across runs.

    Names that reduce to the same stem (``Qwen/Qwen2-VL`` and ``Qwen_Qwen2-VL``; case-insensitive
    file systems included) all get a short hash of the full name appended.

    Example:
        >>> model_file_names(["Qwen/Qwen2-VL", "llava"])
        {'Qwen/Qwen2-VL': 'Qwen_Qwen2-VL', 'llava': 'llava'}
        >>> sorted(model_file_names(["a/b", "a_b"]).values())
        ['a_b-648fa9b3', 'a_b-c14cddc0']
    """
    names = list(dict.fromkeys(names))
    stems = {n: re.sub(r"[^A-Za-z0-9._-]+", "_", n).strip("_") or "model" for n in names}
    clashes = Counter(stem.lower() for stem in stems.values())
    return {n: stem if clashes[stem.lower()] == 1
            else f"{stem}-{hashlib.sha256(n.encode('utf-8')).hexdigest()[:8]}"
            for n, stem in stems.items()}


def rate_cell(rate: Mapping[str, Any] | None, *, n: bool = True) -> str:
    """``rate [low, high] (n=...)`` of a rate dict, or ``-`` when there is none."""
    if rate is None:
        return "-"
    return format_rate(rate.get("rate"), rate.get("ci_low"), rate.get("ci_high"),
                       rate.get("n") if n else None)


def best_interval(rates: Sequence[Mapping[str, Any]]) -> tuple[str, str, str]:
    """Which interval to draw for these rates, the one the leaderboard shows: the clustered
    bootstrap one when every rate has it, else Wilson's. Returns the low and high keys and the
    label to print with the plot.

    Example:
        >>> best_interval([{"boot_low": 0.1, "boot_high": 0.3}])
        ('boot_low', 'boot_high', 'bootstrap 95% CI')
        >>> best_interval([{"boot_low": None, "boot_high": None}])
        ('ci_low', 'ci_high', 'Wilson 95% CI')
    """
    if rates and all(r.get("boot_low") is not None and r.get("boot_high") is not None
                     for r in rates):
        return "boot_low", "boot_high", "bootstrap 95% CI"
    return "ci_low", "ci_high", "Wilson 95% CI"


def interval_cell(lo: float | None, hi: float | None) -> str:
    """A signed interval ``[lo, hi]``, or ``-`` when either end is missing."""
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "-"
    return f"[{lo:+.3f}, {hi:+.3f}]"


def bar_series(models: Mapping[str, Any], getter: Callable[[Any], Any], keys: Sequence[str],
               metric: str
               ) -> dict[str, tuple[list[float | None], list[float | None], list[float | None]]]:
    """Per model: values, lower and upper interval ends of ``metric`` for each of ``keys``."""
    series = {}
    for name, info in models.items():
        groups = getter(info) or {}
        vals, lows, highs = [], [], []
        for k in keys:
            rate = (groups.get(k) or {}).get(metric)
            vals.append(None if rate is None else rate["rate"])
            lows.append(None if rate is None else rate["ci_low"])
            highs.append(None if rate is None else rate["ci_high"])
        series[name] = (vals, lows, highs)
    return series


def scores_getter(group: str, field: str) -> Callable[[Mapping[str, Any]], Any]:
    """``info -> info["scores"][group][field]`` (``None`` where absent), for :func:`bar_series`."""
    def get(info: Mapping[str, Any]) -> Any:
        return info["scores"].get(group, {}).get(field)
    return get


def display_keys(keys: Sequence[str]) -> list[str]:
    """Axis labels: slugs with spaces, so that long names wrap between words."""
    return [k.replace("_", " ") for k in keys]
