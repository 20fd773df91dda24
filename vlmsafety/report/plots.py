"""Report figures as PNG: per-category bars, the safety/helpfulness trade-off, robustness curves.

Plain data in (rates in [0, 1] with interval bounds), a PNG file out. Needs matplotlib
(``pip install 'vlmsafety[plots]'``). Figures are drawn on the Agg canvas directly, never through
pyplot, so nothing is left open in pyplot's global state; style settings are applied only inside
the call. Output is 150 dpi, cropped to its content (``bbox_inches="tight"``), without the
matplotlib version in the PNG metadata, so equal inputs give equal files.

Example:
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "bars.png"
    >>> category_bars(out, ["violence", "self-harm"],
    ...               {"model A": ([0.8, 0.6], [0.7, 0.5], [0.9, 0.7])},
    ...               title="Safe completion by category", ylabel="SCR").suffix
    '.png'
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from vlmsafety.errors import ScoringInputError, require

__all__ = ["category_bars", "tradeoff_scatter", "robustness_curves", "DPI"]

DPI = 150
_WRAP = 16  # characters per line of a category / panel label
Interval = tuple[float, float]

_STYLE = {
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "vlmsafety",
}


@contextmanager
def _figure(width: float, height: float) -> Iterator[Any]:
    """A new Agg figure under the report style; rcParams are restored on exit."""
    mpl = require("matplotlib", "plots")
    figure_mod = require("matplotlib.figure", "plots")
    agg = require("matplotlib.backends.backend_agg", "plots")
    with mpl.rc_context(_STYLE):  # type: ignore[attr-defined]
        fig = figure_mod.Figure(figsize=(width, height), dpi=DPI)  # type: ignore[attr-defined]
        agg.FigureCanvasAgg(fig)  # type: ignore[attr-defined]
        try:
            yield fig
        finally:
            fig.clear()


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=DPI, bbox_inches="tight", pad_inches=0.1, format="png",
                metadata={"Software": None})
    return out


def _wrap(label: str, width: int = _WRAP) -> str:
    return "\n".join(textwrap.wrap(str(label), width=width, break_long_words=True)) or str(label)


def _colours(n: int) -> list[Any]:
    cm = require("matplotlib", "plots").colormaps  # type: ignore[attr-defined]
    base = cm["tab10"].colors if n <= 10 else cm["tab20"].colors
    return [base[i % len(base)] for i in range(n)]


def _finite(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _err(values: Sequence[float | None], lows: Sequence[float | None],
         highs: Sequence[float | None]) -> list[list[float]]:
    """matplotlib's asymmetric yerr from interval bounds (0 where unknown, never negative)."""
    below, above = [], []
    for v, lo, hi in zip(values, lows, highs):
        ok = _finite(v)
        below.append(max(0.0, v - lo) if ok and _finite(lo) else 0.0)  # type: ignore[operator]
        above.append(max(0.0, hi - v) if ok and _finite(hi) else 0.0)  # type: ignore[operator]
    return [below, above]


def category_bars(
    path: str | os.PathLike[str], categories: Sequence[str],
    series: Mapping[str, tuple[Sequence[float | None], Sequence[float | None],
                               Sequence[float | None]]],
    title: str = "", ylabel: str = "rate",
) -> Path:
    """Grouped bars: one group per category, one bar per model, with interval error bars.

    Args:
        path: The PNG to write (parent folders are created).
        categories: Category names, in display order (long names are wrapped; many are tilted).
        series: ``{model: (rates, ci_lows, ci_highs)}``, each as long as ``categories``; a
            ``None``/NaN rate (no items) leaves the bar out and prints ``n/a``.
        title: Figure title.
        ylabel: Y axis label (rates are drawn on [0, 1]).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ScoringInputError: no categories or models, or a sequence of the wrong length.
    """
    ncat, models = len(categories), list(series)
    if ncat == 0 or not models:
        raise ScoringInputError("category_bars needs at least one category and one model")
    for m in models:
        for what, seq in zip(("rates", "ci_lows", "ci_highs"), series[m]):
            if len(seq) != ncat:
                raise ScoringInputError(
                    f"series {m!r}: {what} has {len(seq)} values for {ncat} categories"
                )
    nm = len(models)
    group = min(0.8, 0.25 + 0.2 * nm)
    bar = group / nm
    width = min(max(6.0, 1.2 + ncat * (0.22 * nm + 0.35)), 16.0)
    tilt = ncat > 6 or max(len(str(c)) for c in categories) > 3 * _WRAP
    with _figure(width, 4.5) as fig:
        ax = fig.add_subplot()
        for j, (m, colour) in enumerate(zip(models, _colours(nm))):
            rates, lows, highs = series[m]
            xs = [i - group / 2 + bar * (j + 0.5) for i in range(ncat)]
            heights = [r if _finite(r) else 0.0 for r in rates]
            ax.bar(xs, heights, bar * 0.92, label=m, color=colour, yerr=_err(rates, lows, highs),
                   error_kw={"elinewidth": 1, "capsize": 2.5, "ecolor": "0.2"})
            for x, r in zip(xs, rates):
                if not _finite(r):
                    ax.text(x, 0.01, "n/a", ha="center", va="bottom", fontsize=7, rotation=90,
                            color="0.4")
        ax.set_xticks(range(ncat))
        labels = [_wrap(c) for c in categories]
        if tilt:
            ax.set_xticklabels(labels, rotation=35, ha="right", rotation_mode="anchor")
            for tick in ax.get_xticklabels():
                tick.set_multialignment("right")
        else:
            ax.set_xticklabels(labels)
        ax.set_xlim(-0.6, ncat - 0.4)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
        if title:
            ax.set_title(title)
        if nm > 1 or models[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                      title="model")
        return _save(fig, path)


def tradeoff_scatter(
    path: str | os.PathLike[str],
    points: Mapping[str, tuple[float, float, Interval | None, Interval | None, float | None]],
    xlabel: str, ylabel: str, title: str = "", *, value_label: str | None = None,
    better: str | None = None,
) -> Path:
    """One point per model with 2-D interval bars; an optional third value as colour.

    VSCBench: x = SRA_u (unsafe), y = SRA_s (safe), ``better="upper right"``. DUAL-Bench: x =
    benign refusal rate, y = harmful direct-answer rate, value = SCR, ``better="lower left"``.

    Args:
        path: The PNG to write.
        points: ``{model: (x, y, (x_lo, x_hi) | None, (y_lo, y_hi) | None, value | None)}``.
            When any value is given, points are coloured by it (viridis, with a colour bar named
            ``value_label``); otherwise each model has its own colour.
        xlabel, ylabel, title: Axis labels and title.
        value_label: Name of the colour scale.
        better: Corner where the better models lie (``"upper right"``, ``"lower left"``, ...);
            marked with a small label.

    Raises:
        ScoringInputError: no points, a non-finite coordinate, or an unknown corner.
    """
    if not points:
        raise ScoringInputError("tradeoff_scatter needs at least one point")
    corners = {"upper right": "\u2197", "upper left": "\u2196", "lower right": "\u2198",
               "lower left": "\u2199"}
    if better is not None and better not in corners:
        raise ScoringInputError(f"better must be one of {sorted(corners)}, got {better!r}")
    for m, (x, y, *_rest) in points.items():
        if not (_finite(x) and _finite(y)):
            raise ScoringInputError(f"point {m!r} has a missing coordinate ({x!r}, {y!r})")
    values = [p[4] for p in points.values() if _finite(p[4])]
    coloured = bool(values)
    mpl = require("matplotlib", "plots")
    with _figure(6.4 if coloured else 5.6, 5.0) as fig:
        ax = fig.add_subplot()
        norm = cmap = None
        if coloured:
            lo, hi = min(values), max(values)  # type: ignore[type-var]
            if lo == hi:
                lo, hi = lo - 0.05, hi + 0.05  # type: ignore[operator]
            norm = mpl.colors.Normalize(vmin=lo, vmax=hi)  # type: ignore[attr-defined]
            cmap = mpl.colormaps["viridis"]  # type: ignore[attr-defined]
        for (m, (x, y, xci, yci, v)), colour in zip(points.items(), _colours(len(points))):
            face = cmap(norm(v)) if coloured and _finite(v) else ("0.6" if coloured else colour)
            xerr = [[max(0.0, x - xci[0])], [max(0.0, xci[1] - x)]] if xci else None
            yerr = [[max(0.0, y - yci[0])], [max(0.0, yci[1] - y)]] if yci else None
            ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt="none", ecolor="0.45",
                        elinewidth=1, capsize=2.5, zorder=2)
            ax.scatter([x], [y], s=70, color=[face], edgecolors="0.15", linewidths=0.8, zorder=3)
            ax.annotate(m, (x, y), xytext=(6, 6), textcoords="offset points", fontsize=8.5,
                        zorder=4, annotation_clip=False)
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, pad=16 if better else 6)
        if better is not None:  # above the axes, so that it never hides the best points
            ax.text(0.5, 1.01, f"better: {better} {corners[better]}", transform=ax.transAxes,
                    ha="center", va="bottom", fontsize=8, color="0.35", style="italic")
        if coloured:
            sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)  # type: ignore[attr-defined]
            fig.colorbar(sm, ax=ax, shrink=0.8, label=value_label or "")
        return _save(fig, path)


def robustness_curves(
    path: str | os.PathLike[str],
    perturbations: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float | None],
                                                   Sequence[float | None],
                                                   Sequence[float | None]]]],
    title: str = "", ylabel: str = "rate", xlabel: str = "severity", *, ncols: int = 3,
) -> Path:
    """Small multiples: one panel per perturbation, one line per metric with a shaded interval.

    Args:
        path: The PNG to write.
        perturbations: ``{perturbation: {metric: (severities, values, ci_lows, ci_highs)}}``,
            e.g. ``{"blur": {"SCR": ([0, 1, 2], [.8, .7, .6], [...], [...]), "RR": ...}}``.
            A metric keeps the same colour in every panel; ``None``/NaN values are gaps.
        title: Figure title.
        ylabel, xlabel: Axis labels (rates on [0, 1]).
        ncols: Panels per row.

    Raises:
        ScoringInputError: no panels, an empty panel, or sequences of different lengths.
    """
    if not perturbations:
        raise ScoringInputError("robustness_curves needs at least one perturbation")
    metrics: list[str] = []
    for name, curves in perturbations.items():
        if not curves:
            raise ScoringInputError(f"perturbation {name!r} has no metric")
        for metric, (sev, vals, lows, highs) in curves.items():
            if not len(sev) == len(vals) == len(lows) == len(highs):
                raise ScoringInputError(
                    f"{name!r}/{metric!r}: severities, values, ci_lows and ci_highs differ in "
                    f"length ({len(sev)}, {len(vals)}, {len(lows)}, {len(highs)})"
                )
            if metric not in metrics:
                metrics.append(metric)
    colour = dict(zip(metrics, _colours(len(metrics))))
    n = len(perturbations)
    cols = max(1, min(ncols, n))
    rows = math.ceil(n / cols)
    nan = float("nan")
    height = 2.9 * rows + 0.6
    title_in, legend_in = (0.35 if title else 0.0), 0.25  # inches reserved above the panels
    with _figure(3.6 * cols + 0.4, height) as fig:
        axes = fig.subplots(rows, cols, squeeze=False, sharey=True)
        for k, (name, curves) in enumerate(perturbations.items()):
            ax = axes[k // cols][k % cols]
            for metric, (sev, vals, lows, highs) in curves.items():
                v = [x if _finite(x) else nan for x in vals]
                lo = [x if _finite(x) else nan for x in lows]
                hi = [x if _finite(x) else nan for x in highs]
                ax.fill_between(sev, lo, hi, color=colour[metric], alpha=0.18, linewidth=0)
                ax.plot(sev, v, marker="o", markersize=3.5, linewidth=1.6, color=colour[metric],
                        label=metric)
            ax.set_title(_wrap(name, 28), fontsize=10)
            ax.set_ylim(0, 1.02)
            sevs = sorted({s for c in curves.values() for s in c[0]})
            if sevs and all(float(s).is_integer() for s in sevs):
                ax.set_xticks(sevs)
            if k % cols == 0:
                ax.set_ylabel(ylabel)
            if k // cols == rows - 1 or k + cols >= n:
                ax.set_xlabel(xlabel)
        for k in range(n, rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        handles = [require("matplotlib.lines", "plots").Line2D(  # type: ignore[attr-defined]
            [], [], color=colour[m], marker="o", markersize=4, linewidth=1.6, label=m)
            for m in metrics]
        fig.legend(handles=handles, loc="upper center", ncol=len(metrics), frameon=False,
                   bbox_to_anchor=(0.5, 1 - title_in / height))
        if title:
            fig.suptitle(title, fontsize=12, y=1 - 0.05 / height, va="top")
        fig.tight_layout(rect=(0, 0, 1, 1 - (title_in + legend_in) / height))
        return _save(fig, path)
