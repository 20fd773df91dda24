"""Report figures as PNG: per-category bars, the safety/helpfulness trade-off, robustness curves.

Plain data in (rates in [0, 1] with interval bounds), a PNG file out. Needs matplotlib
(``pip install 'vlmsafety[plots]'``). Figures are drawn on the Agg canvas directly, never through
pyplot, so nothing is left open in pyplot's global state; style settings are applied only inside
the call. Output is 150 dpi, cropped to its content (``bbox_inches="tight"``), without the
matplotlib version in the PNG metadata, so equal inputs give equal files.

Layout rules shared by the figures: rate axes run from -0.04 to 1.04, so that markers at 0 or 1
are drawn whole; figures are at most :data:`MAX_WIDTH` inches wide, so that their text stays
legible when a report scales them to page width; texts are measured with the renderer and moved
(wrapped, tilted, offset) until they neither overlap each other nor leave the figure.

Example:
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "bars.png"
    >>> category_bars(out, ["violence", "self-harm"],
    ...               {"model A": ([0.8, 0.6], [0.7, 0.5], [0.9, 0.7])},
    ...               title="Safe completion by category", ylabel="SCR").suffix
    '.png'
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeGuard

from vlmsafety.errors import ScoringInputError, require
from vlmsafety.report.layout import (
    MARKER_AREA,
    fit_category_labels,
    fit_height,
    label_points,
    legend_below,
    wrap,
)

__all__ = ["DPI", "MAX_WIDTH", "METRIC_STYLES", "RATE_LIMITS", "category_bars",
           "robustness_curves", "tradeoff_scatter"]

DPI = 150
MAX_WIDTH = 9.0
"""Widest figure, in inches: at 6.5 inches of page width its 9 pt text still prints at 6.5 pt."""
RATE_LIMITS = (-0.04, 1.04)
"""Limits of every rate axis: [0, 1] with room for the markers drawn at 0 and 1."""
METRIC_STYLES: Mapping[str, tuple[str, str]] = {
    "SCR": ("#2ca02c", "o"),
    "RR": ("#1f77b4", "s"),
    "DAR": ("#ff7f0e", "^"),
    "partial": ("#9467bd", "D"),
    "irrelevant": ("#7f7f7f", "v"),
}
"""Colour and marker of each known metric label, the same in every robustness figure."""

_BAR_AXES_HEIGHT = 3.2  # inches of plotting area in a category bar figure
_ZERO_TICK = 0.01  # rates below this draw no visible bar, so they get a tick at 0 instead
Interval = tuple[float, float]
Curve = tuple[Sequence[float], Sequence[float | None], Sequence[float | None],
              Sequence[float | None]]
"""One metric of one robustness panel: (severities, values, ci_lows, ci_highs)."""


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
def _figure(width: float, height: float, *, constrained: bool = False) -> Iterator[Any]:
    """A new Agg figure under the report style; rcParams are restored on exit.

    Args:
        width, height: Size in inches (the width is capped at :data:`MAX_WIDTH`).
        constrained: Use matplotlib's constrained layout (decorations and ``"outside"``
            figure legends get room of their own).
    """
    mpl = require("matplotlib", "plots")
    figure_mod = require("matplotlib.figure", "plots")
    agg = require("matplotlib.backends.backend_agg", "plots")
    with mpl.rc_context(_STYLE):
        fig = figure_mod.Figure(
            figsize=(min(width, MAX_WIDTH), height), dpi=DPI,
            layout="constrained" if constrained else None)
        agg.FigureCanvasAgg(fig)
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


def _colours(n: int) -> list[Any]:
    cm = require("matplotlib", "plots").colormaps
    base = cm["tab10"].colors if n <= 10 else cm["tab20"].colors
    return [base[i % len(base)] for i in range(n)]


def _metric_styles(metrics: Sequence[str]) -> dict[str, tuple[Any, str]]:
    """``{metric: (colour, marker)}``: :data:`METRIC_STYLES` for known labels, the other labels
    take the remaining colours of the default cycle in order of appearance."""
    fixed = {c.lower() for c, _ in METRIC_STYLES.values()}
    to_hex = require("matplotlib.colors", "plots").to_hex
    spare = [c for c in _colours(10) if to_hex(c) not in fixed]
    others = (m for m in metrics if m not in METRIC_STYLES)
    styles: dict[str, tuple[Any, str]] = {m: (spare[i % len(spare)], "o")
                                          for i, m in enumerate(others)}
    styles.update({m: METRIC_STYLES[m] for m in metrics if m in METRIC_STYLES})
    return styles


def _finite(x: float | None) -> TypeGuard[float]:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _err(values: Sequence[float | None], lows: Sequence[float | None],
         highs: Sequence[float | None]) -> list[list[float]]:
    """matplotlib's asymmetric yerr from interval bounds (0 where unknown, never negative)."""
    below, above = [], []
    for v, lo, hi in zip(values, lows, highs):
        below.append(max(0.0, v - lo) if _finite(v) and _finite(lo) else 0.0)
        above.append(max(0.0, hi - v) if _finite(v) and _finite(hi) else 0.0)
    return [below, above]


def category_bars(
    path: str | os.PathLike[str], categories: Sequence[str],
    series: Mapping[str, tuple[Sequence[float | None], Sequence[float | None],
                               Sequence[float | None]]],
    title: str = "", ylabel: str = "rate",
) -> Path:
    """Grouped bars: one group per category, one bar per model, with interval error bars.

    Category labels are wrapped on words; when neighbours would still overlap they are wrapped
    narrower, then tilted. The model legend sits under the axes in balanced rows. A rate of 0
    (no visible bar) is drawn as a thick tick at 0 in the model's colour.

    Args:
        path: The PNG to write (parent folders are created).
        categories: Category names, in display order.
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
    with _figure(max(6.0, 1.2 + ncat * (0.22 * nm + 0.35)), 4.5, constrained=True) as fig:
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
                elif r < _ZERO_TICK:
                    ax.plot([x - bar * 0.46, x + bar * 0.46], [0.0, 0.0], color=colour,
                            linewidth=3, solid_capstyle="butt", zorder=3)
        ax.set_xticks(range(ncat))
        ax.set_xlim(-0.6, ncat - 0.4)
        ax.set_ylim(*RATE_LIMITS)
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
        if title:
            ax.set_title(title)
        if nm > 1 or models[0]:
            legend_below(fig, ax, "model")
        fit_category_labels(fig, ax, categories)
        fit_height(fig, ax, _BAR_AXES_HEIGHT)
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
    Model labels are placed so that they neither overlap each other nor leave the axes.

    Args:
        path: The PNG to write.
        points: ``{model: (x, y, (x_lo, x_hi) | None, (y_lo, y_hi) | None, value | None)}``.
            When any value is given, points are coloured by it (viridis on the fixed scale
            [0, 1], since values are rates, with a colour bar named ``value_label``); otherwise
            each model has its own colour.
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
    coloured = any(_finite(p[4]) for p in points.values())
    mpl = require("matplotlib", "plots")
    norm = mpl.colors.Normalize(vmin=0.0, vmax=1.0)
    cmap = mpl.colormaps["viridis"]
    with _figure(6.4 if coloured else 5.6, 5.0) as fig:
        ax = fig.add_subplot()
        for (m, (x, y, xci, yci, v)), colour in zip(points.items(), _colours(len(points))):
            face = cmap(norm(v)) if coloured and _finite(v) else ("0.6" if coloured else colour)
            xerr = [[max(0.0, x - xci[0])], [max(0.0, xci[1] - x)]] if xci else None
            yerr = [[max(0.0, y - yci[0])], [max(0.0, yci[1] - y)]] if yci else None
            ax.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt="none", ecolor="0.45",
                        elinewidth=1, capsize=2.5, zorder=2)
            ax.scatter([x], [y], s=MARKER_AREA, color=[face], edgecolors="0.15",
                       linewidths=0.8, zorder=3)
        ax.set_xlim(*RATE_LIMITS)
        ax.set_ylim(*RATE_LIMITS)
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, pad=16 if better else 6)
        if better is not None:  # above the axes, so that it never hides the best points
            ax.text(0.5, 1.01, f"better: {better} {corners[better]}", transform=ax.transAxes,
                    ha="center", va="bottom", fontsize=8, color="0.35", style="italic")
        if coloured:
            sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
            fig.colorbar(sm, ax=ax, shrink=0.8, label=value_label or "")
        label_points(ax, list(points), [(p[0], p[1]) for p in points.values()])
        return _save(fig, path)


def _severity_axis(perturbations: Mapping[str, Mapping[str, Curve]]
                   ) -> tuple[float, float, float, list[float] | None]:
    """Shared x axis of the panels: (lowest, highest, smallest step, integer ticks or None)."""
    sevs = sorted({float(s) for curves in perturbations.values() for c in curves.values()
                   for s in c[0]} | {0.0})
    steps = [b - a for a, b in itertools.pairwise(sevs)]
    lo, hi = sevs[0], sevs[-1]
    ticks = None
    if all(s.is_integer() for s in sevs) and hi - lo <= 12:
        ticks = [float(t) for t in range(int(lo), int(hi) + 1)]
    return lo, hi, min(steps, default=1.0), ticks


def _curve(ax: Any, curve: Curve, style: tuple[Any, str], dodge: float) -> None:
    """One metric in one panel: a line with gaps at missing values, interval error bars."""
    sev, vals, lows, highs = curve
    order = sorted(range(len(sev)), key=lambda i: sev[i])
    xs = [float(sev[i]) + dodge for i in order]
    ys = [vals[i] if _finite(vals[i]) else math.nan for i in order]
    colour, marker = style
    ax.plot(xs, ys, marker=marker, markersize=4, linewidth=1.6, color=colour, zorder=3)
    known = [i for i in order if _finite(vals[i]) and _finite(lows[i]) and _finite(highs[i])]
    if known:
        ax.errorbar([float(sev[i]) + dodge for i in known], [vals[i] for i in known],
                    yerr=_err(*([seq[i] for i in known] for seq in (vals, lows, highs))),
                    fmt="none", ecolor=colour, elinewidth=0.9, capsize=2, alpha=0.75, zorder=2)


def robustness_curves(
    path: str | os.PathLike[str],
    perturbations: Mapping[str, Mapping[str, Curve]],
    title: str = "", ylabel: str = "rate", xlabel: str = "severity", *, ncols: int = 3,
) -> Path:
    """Small multiples: one panel per perturbation, one line per metric with interval bars.

    Panels share both axes (x from 0 = clean to the highest severity); unused grid cells are
    removed. Each metric's markers and bars are nudged sideways a little, so that the intervals
    of different metrics at one severity stay apart.

    Args:
        path: The PNG to write.
        perturbations: ``{perturbation: {metric: (severities, values, ci_lows, ci_highs)}}``,
            e.g. ``{"blur": {"SCR": ([0, 1, 2], [.8, .7, .6], [...], [...]), "RR": ...}}``.
            The labels of :data:`METRIC_STYLES` have a fixed colour and marker in every figure,
            other labels the remaining default colours; ``None``/NaN values are gaps.
            Panel titles show ``_`` as a space.
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
    styles = _metric_styles(metrics)
    lo, hi, step, ticks = _severity_axis(perturbations)
    dodge = {m: 0.07 * step * (i - (len(metrics) - 1) / 2) for i, m in enumerate(metrics)}
    n = len(perturbations)
    cols = max(1, min(ncols, n))
    rows = math.ceil(n / cols)
    with _figure(2.9 * cols + 0.3, 2.3 * rows + 0.7, constrained=True) as fig:
        grid = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True)
        panels = [ax for row in grid for ax in row]
        for ax in panels[n:]:
            ax.remove()
        for k, (ax, (name, curves)) in enumerate(zip(panels, perturbations.items())):
            for metric, curve in curves.items():
                _curve(ax, curve, styles[metric], dodge[metric])
            ax.set_title(wrap(name.replace("_", " "), 28), fontsize=10)
            if k % cols == 0:
                ax.set_ylabel(ylabel)
            if k + cols >= n:  # no panel below this one: it shows the x axis
                ax.set_xlabel(xlabel)
                ax.tick_params(axis="x", labelbottom=True)
        margin = 0.3 * step
        panels[0].set_xlim(lo - margin, hi + margin)
        panels[0].set_ylim(*RATE_LIMITS)
        if ticks is not None:
            panels[0].set_xticks(ticks)
        handles = [require("matplotlib.lines", "plots").Line2D(
            [], [], color=styles[m][0], marker=styles[m][1], markersize=4, linewidth=1.6,
            label=m) for m in metrics]
        # under the panels: constrained layout would stack an upper legend onto the suptitle
        fig.legend(handles=handles, loc="outside lower center", ncol=len(metrics),
                   frameon=False)
        if title:
            fig.suptitle(title, fontsize=12)
        return _save(fig, path)
