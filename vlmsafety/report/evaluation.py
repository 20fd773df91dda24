"""``report.md`` and its plots from the results of :func:`vlmsafety.evaluation.evaluate_models`.

The report is built from the JSON-ready results alone, so ``results.json`` is enough to redraw it
(:func:`write_report`). Every rate is written as ``rate [Wilson 95% interval] (n=...)``; gaps
between adjacent models on a leaderboard carry McNemar's exact p-value (items scored for both
models; ``*`` when p < 0.05) and a paired clustered bootstrap interval of the gap.

Plots (when matplotlib is installed): per-category bars, the safety/helpfulness trade-off across
models and, for DUAL-Bench with perturbed rows, robustness curves per model (severity 0 is the
clean rate of the same items).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vlmsafety.report.markdown import (
    format_p,
    format_rate,
    format_signed,
    leaderboard_table,
    markdown_table,
)

__all__ = ["model_file_names", "render_report", "write_report"]

_RATE_ABBR = {"refusal_rate": "RR", "direct_answer_rate": "DAR", "safe_completion_rate": "SCR",
              "partial_refusal_rate": "partial", "irrelevant_rate": "irrelevant",
              "sra_u": "SRA_u", "sra_s": "SRA_s"}
_DUAL_RATES = ("refusal_rate", "direct_answer_rate", "safe_completion_rate",
               "partial_refusal_rate", "irrelevant_rate")
_BENCH_NAMES = {"dual": "DUAL-Bench", "vsc": "VSCBench"}


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


def _r(rate: Mapping[str, Any] | None, *, n: bool = True) -> str:
    if rate is None:
        return "-"
    return format_rate(rate.get("rate"), rate.get("ci_low"), rate.get("ci_high"),
                       rate.get("n") if n else None)


def _header(results: Mapping[str, Any]) -> list[str]:
    ds, judge, metric = results["dataset"], results["judge"], results["metric"]
    configs = ", ".join(f"`{c}` ({v['n_rows']} rows)" for c, v in ds["configs"].items())
    settings = ", ".join(f"{k}={v}" for k, v in metric.items() if k not in ("name", "version"))
    lines = [
        f"# {_BENCH_NAMES.get(results['benchmark'], results['benchmark'])} evaluation",
        "",
        f"- Dataset: `{ds['source']}` (version {ds.get('version') or 'unknown'}): {configs}",
        f"- Judge: `{judge['name']}` ({judge['kind']})",
        f"- Metric: `{metric['name']}` from vlmsafety {metric['version']} ({settings})",
        f"- Models: {', '.join(f'`{m}`' for m in results['models'])}",
        f"- Command: `{results.get('command', '')}`",
        f"- Created: {results.get('created_utc', '')}",
    ]
    if ds.get("revision"):
        lines.append(f"- Dataset revision: `{ds['revision']}`")
    if ds.get("files"):
        lines.append(f"- Data files: {len(ds['files'])} parquet shard(s), sha256 in results.json")
    if ds.get("configs_without_predictions"):
        lines.append(f"- Configs left out (no predictions): {ds['configs_without_predictions']}")
    for warning in results.get("warnings", []):
        lines += ["", f"> **Warning:** {warning}"]
    lines += ["", "Rates are `rate [Wilson 95% interval] (n=items counted)`; unscored responses "
              "are left out of every rate and counted in their own column."]
    return lines


def _leaderboards(results: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Leaderboards", "",
             "Gap to next: the difference to the model ranked below, with McNemar's exact "
             "p-value on the items both models have scored (`*`: p < 0.05). The paired "
             "bootstrap interval of each gap resamples "
             + ("clean source items (an item moves with its perturbed copies)."
                if results["benchmark"] == "dual" else
                "prompts (image-centric) or queries (text-centric); text-only items alone."),
             "",
             "Each rate's interval here is the clustered bootstrap one (same clusters) when it "
             "was computed, else Wilson's, which treats every item as independent."]
    if results["benchmark"] == "dual" and "perturbed" in results["dataset"]["configs"]:
        lines += ["", "DUAL-Bench rates pool clean and perturbed rows: n counts each perturbed "
                  "copy, so n is larger than the number of distinct instructions."]
    for board in results["leaderboards"]:
        boot = all(r.get("boot_low") is not None and r.get("boot_high") is not None
                   for r in board["rows"])
        lo, hi = ("boot_low", "boot_high") if boot else ("ci_low", "ci_high")
        rows = [(r["model"], r["rate"], r[lo], r[hi], r["n"]) for r in board["rows"]]
        ps = [a["mcnemar"]["p_value"] for a in board["adjacent"]]
        lines += ["", f"### {board['title']}", "",
                  leaderboard_table(rows, ps, metric=_RATE_ABBR.get(board["metric"],
                                                                      board["metric"]),
                                    higher_is_better=board["higher_is_better"],
                                    ci_label="bootstrap 95% CI" if boot else "Wilson 95% CI")]
        if board["adjacent"]:
            gaps = [[f"{a['a']} - {a['b']}", format_signed(a["difference"]),
                     _interval(a.get("difference_ci_low"), a.get("difference_ci_high")),
                     a["n_both_scored"], format_p(a["mcnemar"]["p_value"])]
                    for a in board["adjacent"]]
            lines += ["", markdown_table(["gap", "difference", "paired bootstrap 95% CI",
                                          "items scored for both", "McNemar"], gaps)]
    return lines


def _interval(lo: float | None, hi: float | None) -> str:
    if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
        return "-"
    return f"[{lo:+.3f}, {hi:+.3f}]"


def _model_inputs(results: Mapping[str, Any]) -> list[str]:
    rows = []
    for name, info in results["models"].items():
        p = info["predictions"]
        counts = ", ".join(f"{k} {v}" for k, v in info["label_counts"].items())
        rows.append([name, p["n_lines"], p.get("n_other_configs", 0), p["n_failed"],
                     sum(info["n_missing"].values()), counts])
    return ["", "## Inputs", "", markdown_table(
        ["model", "predictions", "for configs not scored (left out)", "failed generations",
         "rows without prediction", "labels"], rows)]


def _dual_sections(results: Mapping[str, Any]) -> list[str]:
    models = results["models"]
    lines = ["", "## Per model", ""]
    rows = []
    for name, info in models.items():
        for itype in ("harmful", "benign"):
            g = info["scores"].get(itype)
            if g is None:
                continue
            o = g["overall"]
            rows.append([name, itype, o["n"]] + [_r(o[k], n=False) for k in _DUAL_RATES[:3]]
                        + [_r(o["partial_refusal_rate"], n=False), o["n_unscored"]])
    lines.append(markdown_table(["model", "instructions", "n", "RR", "DAR", "SCR", "partial",
                                 "unscored"], rows))
    for itype, metric in (("harmful", "safe_completion_rate"), ("benign", "refusal_rate")):
        cats = sorted({c for info in models.values()
                       for c in info["scores"].get(itype, {}).get("by_category", {})})
        if not cats:
            continue
        lines += ["", f"### {_RATE_ABBR[metric]} per category, {itype} instructions", ""]
        table = [[c] + [_r(info["scores"][itype]["by_category"].get(c, {}).get(metric))
                        if itype in info["scores"] else "-" for info in models.values()]
                 for c in cats]
        lines.append(markdown_table(["category", *models], table))
    if any(info["scores"]["all"].get("by_perturbation") for info in models.values()):
        lines += ["", "## Robustness under perturbation", "",
                  "dIR = rate on perturbed items - rate on the clean items they come from, with "
                  "a paired bootstrap interval over source items.", ""]
        drows = []
        for name, info in models.items():
            for itype in ("harmful", "benign"):
                g = info["scores"].get(itype)
                for pert, deltas in sorted((g or {}).get("delta_ir", {}).items()):
                    cells = []
                    for k in ("refusal_rate", "direct_answer_rate", "safe_completion_rate"):
                        d = deltas.get(k)
                        cells.append("-" if d is None or d["value"] is None else
                                     f"{d['value']:+.3f} {_interval(d['boot_low'], d['boot_high'])}")
                    n_src = next(iter(deltas.values()))["n_sources"] if deltas else 0
                    drows.append([name, itype, pert, n_src, *cells])
        lines.append(markdown_table(["model", "instructions", "perturbation", "sources", "dRR",
                                     "dDAR", "dSCR"], drows))
        lines += ["", "### Rates by severity (severity 0 = clean)", ""]
        srows = []
        for name, info in models.items():
            for itype, metric in (("harmful", "safe_completion_rate"), ("benign", "refusal_rate")):
                g = info["scores"].get(itype)
                if not g or not g.get("by_perturbation"):
                    continue
                for pert, sev in sorted(g["by_perturbation"].items()):
                    cells = [f"{_RATE_ABBR[metric]}, {itype}", name, pert,
                             _r(g["clean"][metric], n=False) if g.get("clean") else "-"]
                    cells += [" / ".join(f"s{s}: {_r(v[metric], n=False)}"
                                         for s, v in sorted(sev.items()) if s != "all")]
                    srows.append(cells)
        lines.append(markdown_table(["rate", "model", "perturbation", "clean", "by severity"],
                                    srows))
    return lines


def _vsc_sections(results: Mapping[str, Any]) -> list[str]:
    models = results["models"]
    lines = ["", "## Per model", ""]
    rows = []
    for name, info in models.items():
        for config, res in info["scores"].items():
            o = res["overall"]
            m = o["sra_mean"]
            rows.append([name, config, res["n"], _r(o["sra_u"], n=True), _r(o["sra_s"], n=True),
                         format_rate(m["value"], m["boot_low"], m["boot_high"]),
                         _r(res["pair_consistency"]) if res.get("pair_consistency") else "-",
                         res["n_unscored"]])
    lines += [markdown_table(["model", "config", "n", "SRA_u", "SRA_s", "mean [bootstrap]",
                              "pair consistency", "unscored"], rows),
              "", "Pair consistency (image-centric): share of prompts whose 3 safe and 3 unsafe "
              "images are all answered right."]
    for config, field, title in (("image_centric", "by_category", "category"),
                                 ("text_centric", "by_setting", "image setting")):
        keys = sorted({k for info in models.values()
                       for k in info["scores"].get(config, {}).get(field, {})})
        if not keys:
            continue
        for metric in ("sra_u", "sra_s"):
            lines += ["", f"### {config}: {_RATE_ABBR[metric]} per {title}", ""]
            table = [[k] + [_r(info["scores"].get(config, {}).get(field, {}).get(k, {})
                               .get(metric)) for info in models.values()] for k in keys]
            lines.append(markdown_table([title, *models], table))
    return lines


def render_report(results: Mapping[str, Any], plots: Sequence[str] = ()) -> str:
    """The markdown report of ``results`` (linking the given plot paths, relative to it)."""
    lines = _header(results) + _leaderboards(results) + _model_inputs(results)
    lines += _dual_sections(results) if results["benchmark"] == "dual" else _vsc_sections(results)
    if plots:
        lines += ["", "## Plots", ""]
        for p in plots:
            title = _plot_title(Path(p).stem, results)
            lines += [f"### {title}", "", f"![{title}]({p})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _plot_title(stem: str, results: Mapping[str, Any]) -> str:
    """The heading of a plot, from the file names :func:`write_report` gives its plots."""
    if stem == "tradeoff":
        return "Trade-off: benign refusal rate vs harmful direct-answer rate (SCR as colour)"
    if stem.startswith("tradeoff_"):
        return f"Trade-off, {stem[len('tradeoff_'):]}: SRA_u vs SRA_s"
    m = re.fullmatch(r"category_(\w+?)_(harmful|benign)", stem)
    if m:
        return f"{m.group(1).upper()} per hazard category, {m.group(2)} instructions"
    m = re.fullmatch(r"(image_centric|text_centric)_(sra_[us])_by_(\w+)", stem)
    if m:
        return f"{m.group(1)}: {_RATE_ABBR[m.group(2)]} per {m.group(3).replace('_', ' ')}"
    m = re.fullmatch(r"robustness_(.+)_(harmful|benign)", stem)
    if m:
        by_stem = {v: k for k, v in model_file_names(results.get("models", {})).items()}
        return f"Robustness of {by_stem.get(m.group(1), m.group(1))}, {m.group(2)} instructions"
    return stem.replace("_", " ")


def _bar_series(models: Mapping[str, Any], getter: Any, keys: Sequence[str], metric: str
                ) -> dict[str, tuple[list[float | None], list[float | None], list[float | None]]]:
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


def _display(keys: Sequence[str]) -> list[str]:
    """Axis labels: slugs with spaces, so that long names wrap between words."""
    return [k.replace("_", " ") for k in keys]


def _plots_dual(results: Mapping[str, Any], folder: Path) -> list[Path]:
    from vlmsafety.report.plots import category_bars, robustness_curves, tradeoff_scatter

    models = results["models"]
    stems = model_file_names(models)
    written = []
    for itype, metric, label in (("harmful", "safe_completion_rate", "SCR"),
                                 ("benign", "refusal_rate", "RR")):
        cats = sorted({c for info in models.values()
                       for c in info["scores"].get(itype, {}).get("by_category", {})})
        if cats:
            written.append(category_bars(
                folder / f"category_{label.lower()}_{itype}.png", _display(cats),
                _bar_series(models, lambda i, t=itype: i["scores"].get(t, {}).get("by_category"),
                            cats, metric),
                title=f"{label} per hazard category, {itype} instructions (Wilson 95% CI)",
                ylabel=label))
    points = {}
    for name, info in models.items():
        h, b = info["scores"].get("harmful"), info["scores"].get("benign")
        if not h or not b:
            continue
        x, y = b["overall"]["refusal_rate"], h["overall"]["direct_answer_rate"]
        if x["rate"] is None or y["rate"] is None:
            continue
        points[name] = (x["rate"], y["rate"], (x["ci_low"], x["ci_high"]),
                        (y["ci_low"], y["ci_high"]), h["overall"]["safe_completion_rate"]["rate"])
    if points:
        written.append(tradeoff_scatter(
            folder / "tradeoff.png", points, xlabel="refusal rate on benign instructions",
            ylabel="direct answer rate on harmful instructions",
            title="Over-refusal vs under-safety", value_label="SCR on harmful instructions",
            better="lower left"))
    for name, info in models.items():
        for itype, metrics in (("harmful", ("safe_completion_rate", "refusal_rate",
                                            "direct_answer_rate")),
                               ("benign", ("refusal_rate", "direct_answer_rate",
                                           "safe_completion_rate"))):
            g = info["scores"].get(itype)
            if not g or not g.get("by_perturbation") or not g.get("clean"):
                continue
            panels = {}
            for pert, sev in sorted(g["by_perturbation"].items()):
                levels = sorted((int(s) for s in sev if s != "all"))
                panel = {}
                for metric in metrics:
                    seq = [g["clean"][metric]] + [sev[str(s)][metric] for s in levels]
                    panel[_RATE_ABBR[metric]] = ([0, *levels], [r["rate"] for r in seq],
                                                 [r["ci_low"] for r in seq],
                                                 [r["ci_high"] for r in seq])
                panels[pert] = panel
            written.append(robustness_curves(
                folder / f"robustness_{stems[name]}_{itype}.png", panels,
                title=f"{name}: {itype} instructions under perturbation (0 = clean)"))
    return written


def _plots_vsc(results: Mapping[str, Any], folder: Path) -> list[Path]:
    from vlmsafety.report.plots import category_bars, tradeoff_scatter

    models = results["models"]
    written = []
    for config, field, what in (("image_centric", "by_category", "category"),
                                ("text_centric", "by_setting", "image setting")):
        keys = sorted({k for info in models.values()
                       for k in info["scores"].get(config, {}).get(field, {})})
        for metric in ("sra_u", "sra_s") if keys else ():
            written.append(category_bars(
                folder / f"{config}_{metric}_by_{field[3:]}.png", _display(keys),
                _bar_series(models, lambda i, c=config, f=field: i["scores"].get(c, {}).get(f),
                            keys, metric),
                title=f"{config}: {_RATE_ABBR[metric]} per {what} (Wilson 95% CI)",
                ylabel=_RATE_ABBR[metric]))
    for config in results["dataset"]["configs"]:
        points = {}
        for name, info in models.items():
            res = info["scores"].get(config)
            if not res:
                continue
            u, s = res["overall"]["sra_u"], res["overall"]["sra_s"]
            if u["rate"] is None or s["rate"] is None:
                continue
            points[name] = (u["rate"], s["rate"], (u["ci_low"], u["ci_high"]),
                            (s["ci_low"], s["ci_high"]), None)
        if points:
            written.append(tradeoff_scatter(
                folder / f"tradeoff_{config}.png", points,
                xlabel="SRA_u: unsafe items answered safely",
                ylabel="SRA_s: safe items answered helpfully",
                title=f"Safety calibration, {config}", better="upper right"))
    return written


def write_report(results: Mapping[str, Any], folder: str | Path, *, plots: bool = True
                 ) -> list[str]:
    """Write ``report.md`` (and ``plots/*.png`` when ``plots`` is true) into ``folder``.

    Returns:
        The plot paths, relative to ``folder``, in the order the report shows them.

    Raises:
        MissingDependencyError: ``plots`` is true and matplotlib is not installed
            (``pip install 'vlmsafety[plots]'``).
    """
    folder = Path(folder)
    rel: list[str] = []
    if plots:
        draw = _plots_dual if results["benchmark"] == "dual" else _plots_vsc
        rel = [p.relative_to(folder).as_posix() for p in draw(results, folder / "plots")]
    (folder / "report.md").write_text(render_report(results, rel), encoding="utf-8")
    return rel
