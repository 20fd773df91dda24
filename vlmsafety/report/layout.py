"""Text layout for report figures: measured with the renderer, moved until nothing overlaps.

Category labels are wrapped on words, narrowed, or tilted at the flattest angle that keeps them
apart; legends go under the axes in balanced rows; scatter labels take the first free spot around
their point. Used by :mod:`vlmsafety.report.plots`; needs a matplotlib figure to measure.

Example:
    >>> overlap((0, 0, 10, 10), (5, 5, 20, 20))
    25
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Sequence
from typing import Any

__all__ = ["LABEL_SIZE", "MARKER_AREA", "fit_category_labels", "fit_height", "label_points",
           "legend_below", "overlap", "wrap"]

_WRAP = 16  # characters per line of a category / panel label
_WRAP_NARROW = 10  # ... when category labels side by side would overlap
_WRAP_TILTED = 24  # ... when they are tilted because even narrow ones overlap
_TILTS = (35, 45, 60, 90)  # degrees, the flattest that keeps tilted labels apart wins
LABEL_SIZE = 8.5  # points, model labels in the trade-off scatter
MARKER_AREA = 70.0  # points^2, trade-off scatter markers
_LABEL_RINGS = (7.0, 14.0, 24.0, 36.0, 50.0)  # offsets from a point to its label, in points
_LABEL_SPOTS = (  # (x sign, y sign, ha, va) around a point, in order of preference
    (1, 1, "left", "bottom"), (1, -1, "left", "top"), (-1, 1, "right", "bottom"),
    (-1, -1, "right", "top"), (1, 0, "left", "center"), (-1, 0, "right", "center"),
    (0, 1, "center", "bottom"), (0, -1, "center", "top"),
)
_Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in display pixels


def wrap(label: str, width: int = _WRAP) -> str:
    """``label`` on lines of at most ``width`` characters, broken between words only."""
    return "\n".join(textwrap.wrap(str(label), width=width, break_long_words=False)) or str(label)


def _box(artist: Any, renderer: Any, pad: float = 0.0) -> _Box:
    """The artist's window extent, grown by ``pad`` pixels on each side."""
    b = artist.get_window_extent(renderer)
    return b.x0 - pad, b.y0 - pad, b.x1 + pad, b.y1 + pad


def overlap(a: _Box, b: _Box) -> float:
    """Area (pixels^2) shared by two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


def _outside(a: _Box, frame: _Box) -> float:
    """Area (pixels^2) of ``a`` that lies outside ``frame``."""
    return (a[2] - a[0]) * (a[3] - a[1]) - overlap(a, frame)


def _side_by_side_overlap(fig: Any, texts: Sequence[Any], gap: float) -> bool:
    """Whether texts laid out left to right come closer than ``gap`` pixels (after a layout)."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = sorted(_box(t, renderer) for t in texts if t.get_visible() and t.get_text())
    return any(a[2] + gap > b[0] for a, b in itertools.pairwise(boxes))


def fit_category_labels(fig: Any, ax: Any, categories: Sequence[str]) -> None:
    """Category tick labels that do not overlap: wrapped on words, narrower, or else tilted.

    Tilted labels are parallel strips one tick spacing apart, ``spacing * sin(angle)`` from
    each other: the angle is the flattest of :data:`_TILTS` at which the thickest label (its
    lines) fits in that distance.
    """
    gap = 4 * fig.dpi / 72
    for width in (_WRAP, _WRAP_NARROW):
        ax.set_xticklabels([wrap(c, width) for c in categories])
        if not _side_by_side_overlap(fig, ax.get_xticklabels(), gap):
            return
    labels = ax.set_xticklabels([wrap(c, _WRAP_TILTED) for c in categories])
    renderer = fig.canvas.get_renderer()
    thickness = max(t.get_window_extent(renderer).height for t in labels)
    spacing = ax.get_window_extent(renderer).width / len(categories)
    # 10 % spare: tilted labels reaching left of the axes push them right and narrow them
    angle = next((a for a in _TILTS if 0.9 * spacing * math.sin(math.radians(a))
                  >= thickness + gap), _TILTS[-1])
    for t in labels:
        t.update({"rotation": angle, "ha": "right", "rotation_mode": "anchor",
                  "multialignment": "right"})


def legend_below(fig: Any, ax: Any, title: str) -> None:
    """A figure legend under the axes, in as few balanced rows as fit the figure's width."""
    handles, labels = ax.get_legend_handles_labels()
    renderer = fig.canvas.get_renderer()
    room = 0.96 * fig.get_figwidth() * fig.dpi
    kw = {"loc": "outside lower center", "frameon": False, "title": title,
          "columnspacing": 1.5, "handlelength": 1.5}
    fits = 1
    for ncol in range(len(labels), 1, -1):
        trial = fig.legend(handles, labels, ncol=ncol, **kw)
        width = trial.get_window_extent(renderer).width
        trial.remove()
        if width <= room:
            fits = ncol
            break
    rows = math.ceil(len(labels) / fits)
    fig.legend(handles, labels, ncol=math.ceil(len(labels) / rows), **kw)


def fit_height(fig: Any, ax: Any, axes_height: float) -> None:
    """Resize the figure so that ``ax`` is ``axes_height`` inches tall after layout, whatever
    room its title, tick labels and legend take."""
    fig.draw_without_rendering()
    decorations = fig.get_figheight() - ax.get_window_extent().height / fig.dpi
    fig.set_size_inches(fig.get_figwidth(), axes_height + decorations)


def label_points(ax: Any, names: Sequence[str], xy: Sequence[tuple[float, float]]) -> None:
    """Name each point with a label that overlaps no other label or marker and stays inside
    the axes.

    Greedy: each label, in turn, takes the first free spot around its point, trying rings of
    growing offset (right of the point first, left of it near the right edge); where no spot
    is free, the one with the least overlap. Labels away from their point get a leader line.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    ax.apply_aspect()
    frame = _box(ax, renderer)
    px = fig.dpi / 72
    half = math.sqrt(MARKER_AREA) / 2 * px + 1
    taken = [(cx - half, cy - half, cx + half, cy + half)
             for cx, cy in ax.transData.transform(xy)]
    for name, point in zip(names, xy):
        label = ax.annotate(name, point, xytext=(0, 0), textcoords="offset points",
                            fontsize=LABEL_SIZE)
        best: tuple[float, float, int, int, str, str, _Box] | None = None
        for ring, (sx, sy, ha, va) in itertools.product(_LABEL_RINGS, _LABEL_SPOTS):
            label.xyann = (sx * ring, sy * ring)
            label.set_horizontalalignment(ha)
            label.set_verticalalignment(va)
            box = _box(label, renderer, pad=px)
            cost = 20 * _outside(box, frame) + sum(overlap(box, t) for t in taken)
            if best is None or cost < best[0]:
                best = (cost, ring, sx, sy, ha, va, box)
            if cost == 0:
                break
        assert best is not None
        _, ring, sx, sy, ha, va, box = best
        label.remove()
        leader = None if ring == _LABEL_RINGS[0] else {  # from the corner nearest the point
            "arrowstyle": "-", "color": "0.45", "linewidth": 0.6, "shrinkA": 1, "shrinkB": 4,
            "relpos": ((1 - sx) / 2, (1 - sy) / 2)}
        ax.annotate(name, point, xytext=(sx * ring, sy * ring), textcoords="offset points",
                    ha=ha, va=va, fontsize=LABEL_SIZE, zorder=4, annotation_clip=False,
                    arrowprops=leader)
        taken.append(box)
