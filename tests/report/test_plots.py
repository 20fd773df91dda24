"""Report figures: valid, non-trivial PNGs; deterministic; no pyplot or rcParams leak; input checks;
layout (nothing overlaps or leaves the figure, fixed metric colours, rate axes with margins)."""

from __future__ import annotations

import hashlib
import itertools
import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

from PIL import Image

from vlmsafety.errors import ScoringInputError
from vlmsafety.report import category_bars, plots, robustness_curves, tradeoff_scatter

CATS = ["violence", "self-harm", "illegal activity: drugs and controlled substances", "privacy"]
SERIES = {
    "model-a": ([0.8, 0.6, 0.4, None], [0.7, 0.5, 0.3, None], [0.9, 0.7, 0.5, None]),
    "model-b-with-a-long-name": ([0.5, 0.9, 0.2, 0.3], [0.4, 0.8, 0.1, 0.2], [0.6, 0.95, 0.3, 0.4]),
}
POINTS = {
    "a": (0.1, 0.3, (0.05, 0.15), (0.25, 0.35), 0.6),
    "b": (0.3, 0.05, (0.25, 0.35), None, 0.8),
}


def _curves(k: float) -> tuple[list[int], list[float], list[float], list[float]]:
    sev = [0, 1, 2, 3, 4, 5]
    v = [0.8 - k * s for s in sev]
    return sev, v, [x - 0.05 for x in v], [x + 0.05 for x in v]


PERTS = {"blur": {"SCR": _curves(0.05), "RR": _curves(-0.02)},
         "jpeg": {"SCR": _curves(0.02), "DAR": _curves(-0.01)},
         "a long perturbation name that must wrap": {"SCR": _curves(0.1)}}


def _draw_all(d: Path) -> list[Path]:
    return [
        category_bars(d / "bars.png", CATS, SERIES, title="SCR by category", ylabel="SCR"),
        tradeoff_scatter(d / "trade.png", POINTS, "benign refusal rate",
                         "harmful direct-answer rate", "DUAL", value_label="SCR",
                         better="lower left"),
        tradeoff_scatter(d / "trade_plain.png", {k: (*v[:4], None) for k, v in POINTS.items()},
                         "SRA_u", "SRA_s", better="upper right"),
        robustness_curves(d / "sub" / "robust.png", PERTS, title="Robustness"),
    ]


def _png_ok(path: Path, min_w: int, min_h: int) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as im:
        im.load()
        w, h = im.size
        assert w >= min_w and h >= min_h, (path.name, im.size)
        assert w <= 3500 and h <= 3000, (path.name, im.size)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50  # not blank
        assert im.info.get("dpi", (150, 150))[0] == pytest.approx(150, abs=1)


def test_files_valid_and_reasonable(tmp_path: Path) -> None:
    paths = _draw_all(tmp_path)
    for p in paths:
        assert p.is_file()
        _png_ok(p, 600, 400)
    # bars: the legend sits outside the axes; bbox_inches="tight" keeps it (wider than tall)
    with Image.open(paths[0]) as im:
        assert im.size[0] > im.size[1]


def test_deterministic(tmp_path: Path) -> None:
    a = _draw_all(tmp_path / "a")
    b = _draw_all(tmp_path / "b")
    for x, y in zip(a, b):
        assert hashlib.sha256(x.read_bytes()).digest() == hashlib.sha256(y.read_bytes()).digest()


def test_no_pyplot_figures_or_rc_changes_leak(tmp_path: Path) -> None:
    import matplotlib
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    n_before = len(plt.get_fignums())
    _draw_all(tmp_path)
    assert len(plt.get_fignums()) == n_before
    assert dict(matplotlib.rcParams) == before


def test_input_errors(tmp_path: Path) -> None:
    with pytest.raises(ScoringInputError, match="rates has 1 values for 4 categories"):
        category_bars(tmp_path / "x.png", CATS, {"m": ([0.1], [0.0], [0.2])})
    with pytest.raises(ScoringInputError, match="at least one category"):
        category_bars(tmp_path / "x.png", [], {})
    with pytest.raises(ScoringInputError, match="missing coordinate"):
        tradeoff_scatter(tmp_path / "x.png", {"m": (float("nan"), 0.1, None, None, None)}, "x", "y")
    with pytest.raises(ScoringInputError, match="better must be one of"):
        tradeoff_scatter(tmp_path / "x.png", POINTS, "x", "y", better="middle")
    with pytest.raises(ScoringInputError, match="differ in length"):
        robustness_curves(tmp_path / "x.png", {"p": {"SCR": ([0, 1], [0.1], [0.0], [0.2])}})
    with pytest.raises(ScoringInputError, match="has no metric"):
        robustness_curves(tmp_path / "x.png", {"p": {}})
    assert not (tmp_path / "x.png").exists()


def test_missing_matplotlib_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    import builtins

    from vlmsafety.errors import MissingDependencyError

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    import importlib

    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *a: fake_import(name) if name.startswith("matplotlib")
                        else real_import(name))
    with pytest.raises(MissingDependencyError, match=r"vlmsafety\[plots\]"):
        category_bars(tmp_path / "x.png", ["a"], {"m": ([0.5], [0.4], [0.6])})


# --- layout checks on the drawn figures -------------------------------------------------------

VSC_CATS = ["illegal activity", "pornography", "self harm", "violence", "drugs", "privacy"]
LONG_MODELS = ["Qwen/Qwen2.5-VL-7B-Instruct", "meta-llama/Llama-3.2-11B-Vision-Instruct",
               "llava-hf/llava-onevision-qwen2-7b-ov-hf", "google/gemma-3-12b-it",
               "OpenGVLab/InternVL3-8B", "mistralai/Pixtral-12B-2409"]
DUAL_CATS = ["animal abuse", "child abuse", "controversial topics politics",
             "discrimination stereotype injustice", "drug abuse weapons banned substance",
             "financial crime property crime theft", "hate speech offensive language",
             "misinformation regarding ethics laws and safety", "non violent unethical behavior",
             "privacy violation", "self harm", "sexually explicit adult content",
             "terrorism organized crime", "violence aiding and abetting incitement"]
NINE = ["gaussian_noise", "gaussian_blur", "jpeg", "brightness", "contrast", "rotation",
        "rescale", "shift", "salt_pepper"]


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the plot functions save, kept whole (not cleared) and laid out as saved."""
    kept: list[Any] = []
    save = plots._save

    def keep(fig: Any, path: Path) -> Path:
        out = save(fig, path)
        fig.clear = lambda *args, **kwargs: None  # the figure outlives its `with` block
        fig.draw_without_rendering()
        kept.append(fig)
        return out

    monkeypatch.setattr(plots, "_save", keep)
    return kept


def _bars_series(models: list[str], ncat: int) -> dict[str, tuple[list[float | None], ...]]:
    series: dict[str, tuple[list[float | None], ...]] = {}
    for j, m in enumerate(models):
        rates: list[float | None] = [((3 * j + 5 * i) % 10) / 10 for i in range(ncat)]
        series[m] = (rates, [max(0.0, r - 0.1) for r in rates],  # type: ignore[operator]
                     [min(1.0, r + 0.1) for r in rates])  # type: ignore[operator]
    return series


def _points(k: int, n: int, *, value: float | None = 0.6) -> dict[str, tuple[Any, ...]]:
    return {m: (0.12 + 0.01 * j, 0.3 + 0.012 * j, (0.07 + 0.01 * j, 0.17 + 0.01 * j), None, value)
            for j, m in enumerate(LONG_MODELS[k:k + n])}


def _sevs(values: list[float | None]) -> tuple[list[int], list[float | None], list[float | None],
                                               list[float | None]]:
    return (list(range(len(values))), values,
            [None if v is None else max(0.0, v - 0.1) for v in values],
            [None if v is None else min(1.0, v + 0.1) for v in values])


def _renderer(fig: Any) -> Any:
    return fig.canvas.get_renderer()


def _overlap(a: Any, b: Any, tol: float = 0.5) -> bool:
    return (a.x0 < b.x1 - tol and b.x0 < a.x1 - tol and a.y0 < b.y1 - tol
            and b.y0 < a.y1 - tol)


def _inside(inner: Any, outer: Any, tol: float = 1.0) -> bool:
    return (inner.x0 >= outer.x0 - tol and inner.y0 >= outer.y0 - tol
            and inner.x1 <= outer.x1 + tol and inner.y1 <= outer.y1 + tol)


def _legend_colours(fig: Any) -> dict[str, str]:
    from matplotlib.colors import to_hex

    (legend,) = fig.legends
    return {h.get_label(): to_hex(h.get_color()) for h in legend.legend_handles}


@pytest.mark.parametrize("models, categories", [
    (LONG_MODELS[:2], VSC_CATS), (LONG_MODELS, VSC_CATS), (LONG_MODELS, DUAL_CATS),
], ids=["vsc-2-models", "vsc-6-models", "dual-14-categories"])
def test_bar_category_labels_never_overlap(tmp_path: Path, drawn: list[Any], models: list[str],
                                           categories: list[str]) -> None:
    category_bars(tmp_path / "b.png", categories, _bars_series(models, len(categories)))
    (fig,) = drawn
    renderer = _renderer(fig)
    (ax,) = fig.axes
    labels = ax.get_xticklabels()
    assert [t.get_text().replace("\n", " ") for t in labels] == categories
    angle = labels[0].get_rotation()
    if angle == 0:
        boxes = [t.get_window_extent(renderer) for t in labels]
        for a, b in itertools.pairwise(boxes):
            assert a.x1 < b.x0, (a, b)
    else:  # parallel tilted strips, one tick spacing apart: their distance must exceed their width
        spacing = ax.get_window_extent(renderer).width / len(categories)
        thickness = 0.0
        for t in labels:
            t.set_rotation(0)
            thickness = max(thickness, t.get_window_extent(renderer).height)
            t.set_rotation(angle)
        assert spacing * math.sin(math.radians(angle)) > thickness


def test_bar_zero_is_a_tick_and_missing_is_na(tmp_path: Path, drawn: list[Any]) -> None:
    category_bars(tmp_path / "b.png", ["a", "b", "c"],
                  {"m1": ([0.0, None, 0.5], [0.0, None, 0.4], [0.1, None, 0.6]),
                   "m2": ([0.3, 0.0, None], [0.2, 0.0, None], [0.4, 0.05, None])})
    (fig,) = drawn
    (ax,) = fig.axes
    from matplotlib.colors import to_hex

    bar_colour = {to_hex(p.get_facecolor()) for p in ax.patches}
    ticks = [line for line in ax.lines if list(line.get_ydata()) == [0.0, 0.0]]
    centres = sorted(round(sum(line.get_xdata()) / 2, 3) for line in ticks)
    bars = sorted(ax.patches, key=lambda p: p.get_x())
    zero_bars = [round(p.get_x() + p.get_width() / 2, 3) for p in bars if p.get_height() == 0]
    # m1/a and m2/b are 0; m1/b and m2/c are missing (zero-height bars too, but no tick)
    assert len(ticks) == 2 and set(centres) < set(zero_bars)
    assert {to_hex(line.get_color()) for line in ticks} <= bar_colour
    assert sum(t.get_text() == "n/a" for t in ax.texts) == 2
    na_x = sorted(round(t.get_position()[0], 3) for t in ax.texts if t.get_text() == "n/a")
    assert not set(na_x) & set(centres)


def test_bar_legend_below_in_columns_and_width_capped(tmp_path: Path, drawn: list[Any]) -> None:
    category_bars(tmp_path / "b.png", VSC_CATS, _bars_series(LONG_MODELS, 6), title="t")
    (fig,) = drawn
    renderer = _renderer(fig)
    (ax,) = fig.axes
    (legend,) = fig.legends
    box = legend.get_window_extent(renderer)
    assert fig.get_figwidth() <= plots.MAX_WIDTH
    assert box.y1 <= ax.get_tightbbox(renderer).y0  # under the tick labels
    assert box.width <= fig.bbox.width
    rows = {round(t.get_window_extent(renderer).y0) for t in legend.get_texts()}
    assert len(rows) <= 3  # several columns, not a tall single column


@pytest.mark.parametrize("kind", ["bars", "bars-dual", "scatter", "scatter-plain", "curves"])
def test_every_text_inside_the_figure(tmp_path: Path, drawn: list[Any], kind: str) -> None:
    if kind == "bars":
        category_bars(tmp_path / "x.png", VSC_CATS, _bars_series(LONG_MODELS, 6), title="t")
    elif kind == "bars-dual":
        category_bars(tmp_path / "x.png", DUAL_CATS, _bars_series(LONG_MODELS[:3], 14))
    elif kind.startswith("scatter"):
        tradeoff_scatter(tmp_path / "x.png",
                         _points(0, 6, value=None if kind == "scatter-plain" else 0.6),
                         "x", "y", "title", value_label="SCR", better="lower left")
    else:
        robustness_curves(tmp_path / "x.png", {p: {"SCR": _sevs([0.5] * 6)} for p in NINE[:4]},
                          title="a long title " * 4)
    (fig,) = drawn
    renderer = _renderer(fig)
    boxes = [ax.get_tightbbox(renderer) for ax in fig.axes if ax.get_visible()]
    boxes += [leg.get_window_extent(renderer) for leg in fig.legends]
    boxes += [fig._suptitle.get_window_extent(renderer)] if fig._suptitle else []
    for box in boxes:
        assert _inside(box, fig.bbox), (box, fig.bbox)


def test_rate_axes_leave_room_at_0_and_1(tmp_path: Path, drawn: list[Any]) -> None:
    category_bars(tmp_path / "b.png", ["a"], {"m": ([1.0], [0.9], [1.0])})
    tradeoff_scatter(tmp_path / "s.png", {"m": (0.0, 1.0, None, None, None)}, "x", "y")
    robustness_curves(tmp_path / "r.png", {"p": {"RR": _sevs([0.0, 1.0])}})
    bars, scatter, curves = drawn
    assert bars.axes[0].get_ylim() == pytest.approx(plots.RATE_LIMITS)
    assert scatter.axes[0].get_xlim() == pytest.approx(plots.RATE_LIMITS)
    assert scatter.axes[0].get_ylim() == pytest.approx(plots.RATE_LIMITS)
    assert curves.axes[0].get_ylim() == pytest.approx(plots.RATE_LIMITS)
    lo, hi = plots.RATE_LIMITS
    assert lo < -0.02 and hi > 1.02


def test_metric_colours_do_not_depend_on_series_order(tmp_path: Path, drawn: list[Any]) -> None:
    curve = _sevs([0.2, 0.3])
    robustness_curves(tmp_path / "h.png", {"p": {"SCR": curve, "RR": curve, "DAR": curve}})
    robustness_curves(tmp_path / "b.png", {"p": {"other": curve, "RR": curve, "DAR": curve,
                                                 "SCR": curve, "partial": curve}})
    harmful, benign = (_legend_colours(fig) for fig in drawn)
    from matplotlib.colors import to_hex

    for label in ("SCR", "RR", "DAR"):
        assert harmful[label] == benign[label] == plots.METRIC_STYLES[label][0]
    assert benign["partial"] == plots.METRIC_STYLES["partial"][0]
    assert benign["other"] not in {c for c, _ in plots.METRIC_STYLES.values()}
    for fig, legend in zip(drawn, (harmful, benign)):  # the lines wear the legend's colours
        assert {to_hex(line.get_color()) for line in fig.axes[0].lines} == set(legend.values())


def test_robustness_intervals_do_not_blend(tmp_path: Path, drawn: list[Any]) -> None:
    from matplotlib.collections import PolyCollection
    from matplotlib.container import ErrorbarContainer

    robustness_curves(tmp_path / "r.png", {"p": {"SCR": _sevs([0.5, 0.45, 0.4]),
                                                 "RR": _sevs([0.45, 0.5, 0.55])}})
    (fig,) = drawn
    (ax,) = fig.axes
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert all((c.get_alpha() or 1.0) <= 0.12 for c in bands)
    assert sum(isinstance(c, ErrorbarContainer) for c in ax.containers) == 2


@pytest.mark.parametrize("n, ncols", [(5, 3), (9, 5)])
def test_robustness_unused_panels_removed(tmp_path: Path, drawn: list[Any], n: int,
                                          ncols: int) -> None:
    robustness_curves(tmp_path / "r.png", {p: {"SCR": _sevs([0.5] * 6), "RR": _sevs([0.2] * 6)}
                                           for p in NINE[:n]}, title="t", ncols=ncols)
    (fig,) = drawn
    renderer = _renderer(fig)
    assert len(fig.axes) == n and all(ax.get_visible() for ax in fig.axes)
    assert [ax.get_title() for ax in fig.axes] == [p.replace("_", " ") for p in NINE[:n]]
    # every column's lowest panel shows the severity tick labels
    lowest: dict[float, Any] = {}
    for ax in fig.axes:
        x = round(ax.get_position().x0, 3)
        if x not in lowest or ax.get_position().y0 < lowest[x].get_position().y0:
            lowest[x] = ax
    for ax in lowest.values():
        assert any(t.get_visible() and t.get_text() for t in ax.get_xticklabels())
    (legend,) = fig.legends
    leg = legend.get_window_extent(renderer)
    top = max(ax.get_tightbbox(renderer).y1 for ax in fig.axes)
    bottom = min(ax.get_tightbbox(renderer).y0 for ax in fig.axes)
    gap = bottom - leg.y1 if leg.y1 <= bottom else leg.y0 - top
    assert 0 <= gap <= 0.2 * fig.dpi


def test_robustness_sparse_panels_share_x_and_keep_gaps(tmp_path: Path, drawn: list[Any]) -> None:
    panels = {"noise": {"SCR": _sevs([0.6, 0.5, None, 0.4, 0.3, 0.2])},
              "jpeg": {"SCR": ([3, 0], [0.5, 0.6], [0.4, 0.5], [0.6, 0.7])},
              "shift": {"SCR": ([0, 1], [0.6, 0.58], [0.5, None], [0.7, 0.68])}}
    robustness_curves(tmp_path / "r.png", panels)
    (fig,) = drawn
    limits = {ax.get_xlim() for ax in fig.axes}
    assert len(limits) == 1
    ((lo, hi),) = limits
    assert lo < 0 and hi > 5
    noise, jpeg, shift = (ax.lines[0] for ax in fig.axes)
    assert math.isnan(noise.get_ydata()[2])  # a gap, not a line from 0.5 to 0.4
    assert list(jpeg.get_ydata()) == [0.6, 0.5]  # in severity order
    assert list(shift.get_xdata()) == sorted(shift.get_xdata())


def test_scatter_colour_bar_spans_unit_interval(tmp_path: Path, drawn: list[Any]) -> None:
    points = {m: (0.2, 0.1 * j, None, None, 0.62 + 0.02 * j) for j, m in enumerate("abc")}
    tradeoff_scatter(tmp_path / "s.png", points, "x", "y", value_label="SCR")
    (fig,) = drawn
    ax, cax = fig.axes
    assert cax.get_ylim() == pytest.approx((0.0, 1.0))
    import matplotlib

    faces = [tuple(c.get_facecolor()[0]) for c in ax.collections if len(c.get_offsets())]
    assert faces[0] == pytest.approx(matplotlib.colormaps["viridis"](0.62))


@pytest.mark.parametrize("coloured", [True, False])
def test_scatter_labels_apart_and_inside_axes(tmp_path: Path, drawn: list[Any],
                                              coloured: bool) -> None:
    points = _points(0, 6, value=0.6 if coloured else None)
    points["edge/right-at-one-near-the-colour-bar"] = (1.0, 0.5, None, None, None)
    points["edge/top-right"] = (0.99, 1.0, None, None, None)
    tradeoff_scatter(tmp_path / "s.png", points, "x", "y", "t", value_label="SCR")
    from matplotlib.text import Text

    (fig,) = drawn
    renderer = _renderer(fig)
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    labels = [t for t in ax.texts if t.get_text() in points]
    assert len(labels) == len(points)
    boxes = [Text.get_window_extent(t, renderer) for t in labels]  # without leader lines
    for t, box in zip(labels, boxes):
        assert _inside(box, frame), t.get_text()
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not _overlap(a, b), (a, b)
    right = next(t for t in labels if t.get_text().startswith("edge/right"))
    assert right.get_horizontalalignment() == "right"
