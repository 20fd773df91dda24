"""MOSSBench's part of report.md and its plots: refusal rates per model, per stimulus type, per
metadata flag (yes / no) and per harm code, and bars of the refusal rate per stimulus and per flag.

Every item is benign, so every refusal is over-sensitive (lower is better).

Example:
    >>> flag_groups({"scores": {"benign": {"by_flag": {"ocr": {"yes": 1, "no": 2}}}}})
    {'ocr yes': 1, 'ocr no': 2}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vlmsafety.report.common import bar_series, display_keys, rate_cell, scores_getter
from vlmsafety.report.markdown import markdown_table
from vlmsafety.suites.mossbench.classes import BENIGN

__all__ = ["flag_groups", "leaderboard_notes", "plot_title", "plots", "sections"]

_GROUP = BENIGN
"""Where the MOSSBench spec's scorer puts a model's scores."""
_RATES = (("refusal_rate", "RR"), ("partial_refusal_rate", "partial"),
          ("compliance_rate", "compliance"), ("irrelevant_rate", "irrelevant"))
_PLOTS = {"refusal_by_stimulus": "Refusal rate per stimulus type (over-sensitivity)",
          "refusal_by_flag": "Refusal rate per metadata flag (yes / no)"}


def _scores(info: Mapping[str, Any]) -> Mapping[str, Any]:
    return info["scores"].get(_GROUP) or {}


def flag_groups(info: Mapping[str, Any]) -> dict[str, Any]:
    """``"<flag> yes"`` / ``"<flag> no"`` -> rates, from one model's scores."""
    flags = _scores(info).get("by_flag") or {}
    return {f"{flag} {side}": rates for flag, sides in flags.items()
            for side, rates in sides.items()}


def _settings_note(results: Mapping[str, Any]) -> str:
    metric = results["metric"]
    labels = ", ".join(f"`{lab}`" for lab in metric.get("refusal_labels", ["refusal"]))
    return (f"A refusal is a response labelled {labels} (MOSSBench counts a response that only "
            "offers alternatives as a refusal, and any attempt to answer as compliance); an "
            f"empty response counts as `{metric.get('empty_policy', 'refusal')}` "
            "(`empty_policy`; `refusal` is MOSSBench's rule).")


def leaderboard_notes(results: Mapping[str, Any]) -> list[str]:
    """Notes under the leaderboards' introduction: what a refusal is here."""
    return ["", "Every MOSSBench item is benign: each refusal is over-sensitivity. "
            + _settings_note(results)]


def _breakdown(title: str, keys: list[str], models: Mapping[str, Any], getter: Any) -> list[str]:
    if not keys:
        return []
    table = [[k] + [rate_cell(((getter(info) or {}).get(k) or {}).get("refusal_rate"))
                    for info in models.values()] for k in keys]
    return ["", f"### {title}", "", markdown_table(["", *models], table)]


def sections(results: Mapping[str, Any]) -> list[str]:
    """Per model rates, then refusal rates per stimulus type, flag and harm code."""
    models = results["models"]
    rows = []
    for name, info in models.items():
        s = _scores(info)
        if not s:
            continue
        o = s["overall"]
        rows.append([name, o["n"], *(rate_cell(o[k], n=False) for k, _ in _RATES),
                     o["n_empty"], o["n_unscored"]])
    lines = ["", "## Per model", "", _settings_note(results), "",
             markdown_table(["model", "n", *(abbr for _, abbr in _RATES), "empty responses",
                             "unscored"], rows)]

    def keys(field: str) -> list[str]:
        return list(dict.fromkeys(k for info in models.values()
                                  for k in (_scores(info).get(field) or {})))

    lines += _breakdown("Refusal rate per stimulus type", keys("by_stimulus"), models,
                        scores_getter(_GROUP, "by_stimulus"))
    flag_keys = list(dict.fromkeys(k for info in models.values() for k in flag_groups(info)))
    lines += _breakdown("Refusal rate per metadata flag", flag_keys, models, flag_groups)
    lines += _breakdown("Refusal rate per harm code (the release gives the codes no names)",
                        sorted(keys("by_harm"), key=int), models,
                        scores_getter(_GROUP, "by_harm"))
    return lines


def plots(results: Mapping[str, Any], folder: Path) -> list[Path]:
    """Bars of the refusal rate per stimulus type and per flag, one bar per model."""
    from vlmsafety.report.plots import category_bars

    models = {n: info for n, info in results["models"].items() if _scores(info)}
    written: list[Path] = []
    stim = list(dict.fromkeys(k for info in models.values()
                              for k in _scores(info).get("by_stimulus") or {}))
    flags = list(dict.fromkeys(k for info in models.values() for k in flag_groups(info)))
    for stem, keys, getter in (("refusal_by_stimulus", stim, scores_getter(_GROUP, "by_stimulus")),
                               ("refusal_by_flag", flags, flag_groups)):
        if keys:
            written.append(category_bars(
                folder / f"{stem}.png", display_keys(keys),
                bar_series(models, getter, keys, "refusal_rate"),
                title=f"{_PLOTS[stem]} (Wilson 95% CI)", ylabel="RR"))
    return written


def plot_title(stem: str, results: Mapping[str, Any]) -> str | None:
    """The heading of one of :func:`plots`' files (``None``: not one of them)."""
    return _PLOTS.get(stem)
