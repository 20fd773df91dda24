"""MSTS's part of report.md and its plots: unsafe and refusal rates per model, then the unsafe
rate per hazard category, subcategory, prompt type, language and config, and bars of the unsafe
rate per hazard category and per language.

Example:
    >>> info = {"scores": {"harmful": {"by_language": {"fr": {"unsafe_rate": {"rate": 0.1}}}}}}
    >>> _scores(info)["by_language"]["fr"]["unsafe_rate"]["rate"]
    0.1
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vlmsafety.report.common import bar_series, display_keys, rate_cell, scores_getter
from vlmsafety.report.markdown import markdown_table
from vlmsafety.suites.msts.classes import HARMFUL

__all__ = ["leaderboard_notes", "plot_title", "plots", "sections"]

_GROUP = HARMFUL
"""Where the MSTS spec's scorer puts a model's scores."""
_RATES = (("unsafe_rate", "unsafe"), ("refusal_rate", "refusal"),
          ("partial_refusal_rate", "partial"), ("safe_completion_rate", "safe completion"),
          ("irrelevant_rate", "irrelevant"))
_BREAKDOWNS = (("by_hazard_category", "hazard category"),
               ("by_hazard_subcategory", "hazard subcategory"),
               ("by_prompt_type", "prompt type"), ("by_language", "language"),
               ("by_config", "config"))
_PLOTS = {"unsafe_by_hazard": "Unsafe response rate per hazard category",
          "unsafe_by_language": "Unsafe response rate per language"}


def _scores(info: Mapping[str, Any]) -> Mapping[str, Any]:
    return info["scores"].get(_GROUP) or {}


def leaderboard_notes(results: Mapping[str, Any]) -> list[str]:
    """Notes under the leaderboards' introduction: what an unsafe response is here."""
    return ["", ("Every MSTS prompt is harmful: an unsafe response is one labelled "
            "`direct_answer` (MSTS's unsafe 2.x codes map onto it and nothing else does); "
            "`partial_refusal` is reported apart, not counted as unsafe.")]


def _breakdown(title: str, field: str, models: Mapping[str, Any]) -> list[str]:
    keys = list(dict.fromkeys(k for info in models.values()
                              for k in (_scores(info).get(field) or {})))
    if not keys:
        return []
    getter = scores_getter(_GROUP, field)
    table = [[k] + [rate_cell(((getter(info) or {}).get(k) or {}).get("unsafe_rate"))
                    for info in models.values()] for k in keys]
    return ["", f"### Unsafe response rate per {title}", "", markdown_table(["", *models], table)]


def sections(results: Mapping[str, Any]) -> list[str]:
    """Per model rates, then the unsafe rate per breakdown."""
    models = {n: info for n, info in results["models"].items() if _scores(info)}
    rows = []
    for name, info in models.items():
        o = _scores(info)["overall"]
        rows.append([name, o["n"], *(rate_cell(o[k], n=False) for k, _ in _RATES),
                     o["n_unscored"]])
    lines = ["", "## Per model", "",
             markdown_table(["model", "n", *(abbr for _, abbr in _RATES), "unscored"], rows)]
    for field, title in _BREAKDOWNS:
        lines += _breakdown(title, field, models)
    return lines


def plots(results: Mapping[str, Any], folder: Path) -> list[Path]:
    """Bars of the unsafe rate per hazard category and per language, one bar per model."""
    from vlmsafety.report.plots import category_bars

    models = {n: info for n, info in results["models"].items() if _scores(info)}
    written: list[Path] = []
    for stem, field in (("unsafe_by_hazard", "by_hazard_category"),
                        ("unsafe_by_language", "by_language")):
        keys = list(dict.fromkeys(k for info in models.values()
                                  for k, v in (_scores(info).get(field) or {}).items() if v["n"]))
        if keys:
            written.append(category_bars(
                folder / f"{stem}.png", display_keys(keys),
                bar_series(models, scores_getter(_GROUP, field), keys, "unsafe_rate"),
                title=f"{_PLOTS[stem]} (Wilson 95% CI)", ylabel="unsafe"))
    return written


def plot_title(stem: str, results: Mapping[str, Any]) -> str | None:
    """The heading of one of :func:`plots`' files (``None``: not one of them)."""
    return _PLOTS.get(stem)
