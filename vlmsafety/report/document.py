"""``report.md`` and its plots from the results of :func:`vlmsafety.evaluation.evaluate_models`.

The report is built from the JSON-ready results alone, so ``results.json`` is enough to redraw it
(:func:`write_report`). Every rate is written as ``rate [Wilson 95% interval] (n=...)``; gaps
between adjacent models on a leaderboard carry McNemar's exact p-value (items scored for both
models; ``*`` when p < 0.05) and a paired clustered bootstrap interval of the gap.

The header, leaderboards and inputs are the same for every benchmark; the benchmark's own tables
and plots come from the :class:`~vlmsafety.specs.Report` its spec holds (``sections``, ``plots``,
``plot_title`` and ``leaderboard_notes``). A benchmark without one gets the generic report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vlmsafety.chat_client.redact import redact
from vlmsafety.errors import UnknownNameError
from vlmsafety.report.common import RATE_ABBR, interval_cell, model_file_names
from vlmsafety.report.human import agreement_section, corrected_table, human_notes
from vlmsafety.report.markdown import format_p, format_signed, leaderboard_table, markdown_table
from vlmsafety.report.marks import mark_plot, placeholder_note
from vlmsafety.specs import Report, get_spec

__all__ = ["model_file_names", "render_report", "write_report"]


def _module(results: Mapping[str, Any]) -> Report | None:
    """The benchmark's report section, from its spec (``None``: generic report only)."""
    try:
        return get_spec(results["benchmark"]).report
    except UnknownNameError:
        return None


def _title(results: Mapping[str, Any]) -> str:
    try:
        return get_spec(results["benchmark"]).title
    except UnknownNameError:
        return str(results["benchmark"])


def _bootstrap_note(results: Mapping[str, Any]) -> str:
    try:
        return get_spec(results["benchmark"]).bootstrap_note or "the benchmark's clusters."
    except UnknownNameError:
        return "the benchmark's clusters."


def _header(results: Mapping[str, Any]) -> list[str]:
    ds, judge, metric = results["dataset"], results["judge"], results["metric"]
    configs = ", ".join(f"`{c}` ({v['n_rows']} rows)" for c, v in ds["configs"].items())
    settings = ", ".join(f"{k}={v}" for k, v in metric.items() if k not in ("name", "version"))
    lines = [
        f"# {_title(results)} evaluation",
        "",
        f"- Dataset: `{ds['source']}` (version {ds.get('version') or 'unknown'}): {configs}",
        f"- Judge: `{judge['name']}` ({judge['kind']})",
        f"- Metric: `{metric['name']}` from vlmsafety {metric['version']} ({settings})",
        f"- Models: {', '.join(f'`{m}`' for m in results['models'])}",
        f"- Command: `{redact(str(results.get('command', '')))}`",
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
    lines += ["", ("Rates are `rate [Wilson 95% interval] (n=items counted)`; unscored responses "
              "are left out of every rate and counted in their own column.")]
    return lines


def _leaderboards(results: Mapping[str, Any]) -> list[str]:
    lines = ["", "## Leaderboards", "",
             "Gap to next: the difference to the model ranked below on the items both models "
             "have scored (the gap table's and the console's number), with McNemar's exact "
             "p-value on those items (`*`: p < 0.05); it can differ from the difference of the "
             "displayed rates when the models scored different items. The paired "
             "bootstrap interval of each gap resamples "
             + _bootstrap_note(results),
             "",
             ("Each rate's interval here is the clustered one when it was computed (Wilson's on "
             "the effective number of items, the design effect measured by the clustered "
             "bootstrap), else Wilson's, which treats every item as independent.")]
    module = _module(results)
    if module is not None:
        lines += module.leaderboard_notes(results)
    for board in results["leaderboards"]:
        boot = all(r.get("boot_low") is not None and r.get("boot_high") is not None
                   for r in board["rows"])
        lo, hi = ("boot_low", "boot_high") if boot else ("ci_low", "ci_high")
        rows = [(r["model"], r["rate"], r[lo], r[hi], r["n"]) for r in board["rows"]]
        ps = [a["mcnemar"]["p_value"] for a in board["adjacent"]]
        gaps = [a["difference"] for a in board["adjacent"]]  # on shared items, as ps
        lines += ["", f"### {board['title']}", "",
                  leaderboard_table(rows, ps, metric=RATE_ABBR.get(board["metric"],
                                                                      board["metric"]),
                                    higher_is_better=board["higher_is_better"],
                                    ci_label="bootstrap 95% CI" if boot else "Wilson 95% CI",
                                    gaps=gaps)]
        if any(r.get("coverage", 1.0) < 1.0 for r in board["rows"]):
            lines += ["", "Coverage (share of the scored rows with a prediction): " + ", ".join(
                f"`{r['model']}` {r['coverage']:.3f}" for r in board["rows"]) + "."]
        if not boot and results["metric"].get("n_boot"):
            lines += ["", (f"No bootstrap interval: some model has fewer than "
                      f"{results['metric'].get('min_clusters', 20)} clusters (`--min-clusters`).")]
        if board["adjacent"]:
            gaps = [[f"{a['a']} - {a['b']}", format_signed(a["difference"]),
                     interval_cell(a.get("difference_ci_low"), a.get("difference_ci_high")),
                     a["n_both_scored"], format_p(a["mcnemar"]["p_value"])]
                    for a in board["adjacent"]]
            lines += ["", markdown_table(["gap", "difference", "paired bootstrap 95% CI",
                                          "items scored for both", "McNemar"], gaps)]
        if all("corrected" in r for r in board["rows"]):
            lines += ["", "Corrected by human labels:", "", corrected_table(board)]
    if "human_labels" in results:
        lines += human_notes(results)
    return lines


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


def render_report(results: Mapping[str, Any], plots: Sequence[str] = ()) -> str:
    """The markdown report of ``results`` (linking the given plot paths, relative to it)."""
    lines = _header(results) + _leaderboards(results) + _model_inputs(results)
    if "human_labels" in results:
        lines += agreement_section(results)
    module = _module(results)
    if module is not None:
        lines += module.sections(results)
    if plots:
        lines += ["", "## Plots", ""]
        for p in plots:
            title = _plot_title(Path(p).stem, results)
            lines += [f"### {title}", "", f"![{title}]({p})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _plot_title(stem: str, results: Mapping[str, Any]) -> str:
    """The heading of a plot, from the file names :func:`write_report` gives its plots."""
    module = _module(results)
    title = module.plot_title(stem, results) if module is not None else None
    return title if title is not None else stem.replace("_", " ")


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
    module = _module(results)
    if plots and module is not None:
        written = module.plots(results, folder / "plots")
        note = placeholder_note(results)
        if note:
            for path in written:
                mark_plot(path, note)
        rel = [p.relative_to(folder).as_posix() for p in written]
    (folder / "report.md").write_text(render_report(results, rel), encoding="utf-8")
    return rel
