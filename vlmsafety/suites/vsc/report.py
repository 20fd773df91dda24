"""VSCBench's part of report.md and its plots: SRA_u / SRA_s per config, per category
(image-centric) and per image setting (text-centric), pair consistency, the calibration scatter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vlmsafety.report.common import (
    RATE_ABBR,
    bar_series,
    best_interval,
    display_keys,
    rate_cell,
    scores_getter,
)
from vlmsafety.report.markdown import format_rate, markdown_table
from vlmsafety.suites.vsc.spec import IMAGE_CENTRIC, TEXT_CENTRIC

__all__ = ["leaderboard_notes", "plot_title", "plots", "sections"]

_BREAKDOWNS = ((IMAGE_CENTRIC, "by_category", "category"),
               (TEXT_CENTRIC, "by_setting", "image setting"))


def leaderboard_notes(results: Mapping[str, Any]) -> list[str]:
    """Notes under the leaderboards' introduction (none for VSCBench)."""
    return []


def sections(results: Mapping[str, Any]) -> list[str]:
    models = results["models"]
    lines = ["", "## Per model", ""]
    rows = []
    for name, info in models.items():
        for config, res in info["scores"].items():
            o = res["overall"]
            m = o["sra_mean"]
            rows.append([name, config, res["n"], rate_cell(o["sra_u"], n=True), rate_cell(o["sra_s"], n=True),
                         format_rate(m["value"], m["boot_low"], m["boot_high"]),
                         rate_cell(res["pair_consistency"]) if res.get("pair_consistency") else "-",
                         res["n_unscored"]])
    lines += [markdown_table(["model", "config", "n", "SRA_u", "SRA_s", "mean [bootstrap]",
                              "pair consistency", "unscored"], rows),
              "", ("Pair consistency (image-centric): share of prompts whose 3 safe and 3 unsafe "
              "images are all answered right.")]
    for config, field, title in _BREAKDOWNS:
        keys = sorted({k for info in models.values()
                       for k in info["scores"].get(config, {}).get(field, {})})
        if not keys:
            continue
        for metric in ("sra_u", "sra_s"):
            lines += ["", f"### {config}: {RATE_ABBR[metric]} per {title}", ""]
            table = [[k] + [rate_cell(info["scores"].get(config, {}).get(field, {}).get(k, {})
                               .get(metric)) for info in models.values()] for k in keys]
            lines.append(markdown_table([title, *models], table))
    return lines


def plots(results: Mapping[str, Any], folder: Path) -> list[Path]:
    from vlmsafety.report.plots import category_bars, tradeoff_scatter

    models = results["models"]
    written = []
    for config, field, what in _BREAKDOWNS:
        keys = sorted({k for info in models.values()
                       for k in info["scores"].get(config, {}).get(field, {})})
        for metric in ("sra_u", "sra_s") if keys else ():
            written.append(category_bars(
                folder / f"{config}_{metric}_by_{field[3:]}.png", display_keys(keys),
                bar_series(models, scores_getter(config, field), keys, metric),
                title=f"{config}: {RATE_ABBR[metric]} per {what} (Wilson 95% CI)",
                ylabel=RATE_ABBR[metric]))
    for config in results["dataset"]["configs"]:
        pairs = {}
        for name, info in models.items():
            res = info["scores"].get(config)
            if not res:
                continue
            u, s = res["overall"]["sra_u"], res["overall"]["sra_s"]
            if u["rate"] is not None and s["rate"] is not None:
                pairs[name] = (u, s)
        lo, hi, ci = best_interval([r for pair in pairs.values() for r in pair])
        points = {name: (u["rate"], s["rate"], (u[lo], u[hi]), (s[lo], s[hi]), None)
                  for name, (u, s) in pairs.items()}
        if points:
            written.append(tradeoff_scatter(
                folder / f"tradeoff_{config}.png", points,
                xlabel="SRA_u: unsafe items answered safely",
                ylabel="SRA_s: safe items answered helpfully",
                title=f"Safety calibration, {config} (error bars: {ci})",
                better="upper right"))
    return written




def plot_title(stem: str, results: Mapping[str, Any]) -> str | None:
    """The heading of one of :func:`plots`' files (``None``: not one of them)."""
    if stem.startswith("tradeoff_"):
        return f"Trade-off, {stem[len('tradeoff_'):]}: SRA_u vs SRA_s"
    m = re.fullmatch(rf"({IMAGE_CENTRIC}|{TEXT_CENTRIC})_(sra_[us])_by_(\w+)", stem)
    if m:
        return f"{m.group(1)}: {RATE_ABBR[m.group(2)]} per {m.group(3).replace('_', ' ')}"
    return None
