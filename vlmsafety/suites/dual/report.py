"""DUAL-Bench's part of report.md and its plots: per-model rates by instruction type, per hazard
category, robustness under perturbation (dIR, rates by severity), the trade-off scatter."""

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
    interval_cell,
    model_file_names,
    rate_cell,
    scores_getter,
)
from vlmsafety.report.markdown import markdown_table
from vlmsafety.suites.dual.classes import BENIGN, HARMFUL, INSTRUCTION_TYPES
from vlmsafety.suites.dual.spec import PERTURBED

__all__ = ["leaderboard_notes", "plot_title", "plots", "sections"]

_DUAL_RATES = ("refusal_rate", "direct_answer_rate", "safe_completion_rate",
               "partial_refusal_rate", "irrelevant_rate")
_MAIN = ((HARMFUL, "safe_completion_rate"), (BENIGN, "refusal_rate"))
"""The rate that matters most on each instruction type."""


def leaderboard_notes(results: Mapping[str, Any]) -> list[str]:
    """Notes under the leaderboards' introduction."""
    if PERTURBED in results["dataset"]["configs"]:
        return ["", ("DUAL-Bench rates pool clean and perturbed rows: n counts each perturbed "
                "copy, so n is larger than the number of distinct instructions.")]
    return []


def sections(results: Mapping[str, Any]) -> list[str]:
    models = results["models"]
    lines = ["", "## Per model", ""]
    rows = []
    for name, info in models.items():
        for itype in INSTRUCTION_TYPES:
            g = info["scores"].get(itype)
            if g is None:
                continue
            o = g["overall"]
            rows.append([name, itype, o["n"]] + [rate_cell(o[k], n=False) for k in _DUAL_RATES[:3]]
                        + [rate_cell(o["partial_refusal_rate"], n=False), o["n_unscored"]])
    lines.append(markdown_table(["model", "instructions", "n", "RR", "DAR", "SCR", "partial",
                                 "unscored"], rows))
    for itype, metric in _MAIN:
        cats = sorted({c for info in models.values()
                       for c in info["scores"].get(itype, {}).get("by_category", {})})
        if not cats:
            continue
        lines += ["", f"### {RATE_ABBR[metric]} per category, {itype} instructions", ""]
        table = [[c] + [rate_cell(info["scores"][itype]["by_category"].get(c, {}).get(metric))
                        if itype in info["scores"] else "-" for info in models.values()]
                 for c in cats]
        lines.append(markdown_table(["category", *models], table))
    if any(info["scores"]["all"].get("by_perturbation") for info in models.values()):
        lines += ["", "## Robustness under perturbation", "",
                  ("dIR = rate on perturbed items - rate on the clean items they come from, with "
                  "a paired bootstrap interval over source items."), ""]
        drows = []
        for name, info in models.items():
            for itype in INSTRUCTION_TYPES:
                g = info["scores"].get(itype)
                for pert, deltas in sorted((g or {}).get("delta_ir", {}).items()):
                    cells = []
                    for k in ("refusal_rate", "direct_answer_rate", "safe_completion_rate"):
                        d = deltas.get(k)
                        cells.append("-" if d is None or d["value"] is None else
                                     f"{d['value']:+.3f} {interval_cell(d['boot_low'], d['boot_high'])}")
                    n_src = next(iter(deltas.values()))["n_sources"] if deltas else 0
                    drows.append([name, itype, pert, n_src, *cells])
        lines.append(markdown_table(["model", "instructions", "perturbation", "sources", "dRR",
                                     "dDAR", "dSCR"], drows))
        lines += ["", "### Rates by severity (severity 0 = clean)", ""]
        srows = []
        for name, info in models.items():
            for itype, metric in _MAIN:
                g = info["scores"].get(itype)
                if not g or not g.get("by_perturbation"):
                    continue
                for pert, sev in sorted(g["by_perturbation"].items()):
                    cells = [f"{RATE_ABBR[metric]}, {itype}", name, pert,
                             rate_cell(g["clean"][metric], n=False) if g.get("clean") else "-"]
                    cells += [" / ".join(f"s{s}: {rate_cell(v[metric], n=False)}"
                                         for s, v in sorted(sev.items()) if s != "all")]
                    srows.append(cells)
        lines.append(markdown_table(["rate", "model", "perturbation", "clean", "by severity"],
                                    srows))
    return lines


def plots(results: Mapping[str, Any], folder: Path) -> list[Path]:
    from vlmsafety.report.plots import category_bars, robustness_curves, tradeoff_scatter

    models = results["models"]
    stems = model_file_names(models)
    written = []
    for itype, metric in _MAIN:
        label = RATE_ABBR[metric]
        cats = sorted({c for info in models.values()
                       for c in info["scores"].get(itype, {}).get("by_category", {})})
        if cats:
            written.append(category_bars(
                folder / f"category_{label.lower()}_{itype}.png", display_keys(cats),
                bar_series(models, scores_getter(itype, "by_category"), cats, metric),
                title=f"{label} per hazard category, {itype} instructions (Wilson 95% CI)",
                ylabel=label))
    pairs = {}
    for name, info in models.items():
        h, b = info["scores"].get(HARMFUL), info["scores"].get(BENIGN)
        if not h or not b:
            continue
        x, y = b["overall"]["refusal_rate"], h["overall"]["direct_answer_rate"]
        if x["rate"] is not None and y["rate"] is not None:
            pairs[name] = (x, y, h["overall"]["safe_completion_rate"]["rate"])
    lo, hi, ci = best_interval([r for x, y, _ in pairs.values() for r in (x, y)])
    points = {name: (x["rate"], y["rate"], (x[lo], x[hi]), (y[lo], y[hi]), scr)
              for name, (x, y, scr) in pairs.items()}
    if points:
        written.append(tradeoff_scatter(
            folder / "tradeoff.png", points, xlabel="refusal rate on benign instructions",
            ylabel="direct answer rate on harmful instructions",
            title=f"Over-refusal vs under-safety (error bars: {ci})",
            value_label="SCR on harmful instructions", better="lower left"))
    for name, info in models.items():
        for itype, metrics in ((HARMFUL, ("safe_completion_rate", "refusal_rate",
                                          "direct_answer_rate")),
                               (BENIGN, ("refusal_rate", "direct_answer_rate",
                                         "safe_completion_rate"))):
            g = info["scores"].get(itype)
            if not g or not g.get("by_perturbation") or not g.get("clean"):
                continue
            panels = {}
            for pert, sev in sorted(g["by_perturbation"].items()):
                levels = sorted(int(s) for s in sev if s != "all")
                panel = {}
                for metric in metrics:
                    seq = [g["clean"][metric]] + [sev[str(s)][metric] for s in levels]
                    panel[RATE_ABBR[metric]] = ([0, *levels], [r["rate"] for r in seq],
                                                 [r["ci_low"] for r in seq],
                                                 [r["ci_high"] for r in seq])
                panels[pert] = panel
            written.append(robustness_curves(
                folder / f"robustness_{stems[name]}_{itype}.png", panels,
                title=f"{name}: {itype} instructions under perturbation (0 = clean)"))
    return written




def plot_title(stem: str, results: Mapping[str, Any]) -> str | None:
    """The heading of one of :func:`plots`' files (``None``: not one of them)."""
    if stem == "tradeoff":
        return "Trade-off: benign refusal rate vs harmful direct-answer rate (SCR as colour)"
    types = "|".join(INSTRUCTION_TYPES)
    m = re.fullmatch(rf"category_(\w+?)_({types})", stem)
    if m:
        return f"{m.group(1).upper()} per hazard category, {m.group(2)} instructions"
    m = re.fullmatch(rf"robustness_(.+)_({types})", stem)
    if m:
        by_stem = {v: k for k, v in model_file_names(results.get("models", {})).items()}
        return f"Robustness of {by_stem.get(m.group(1), m.group(1))}, {m.group(2)} instructions"
    return None
