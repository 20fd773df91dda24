"""Report figures: valid, non-trivial PNGs; deterministic; no pyplot or rcParams leak; input checks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from PIL import Image  # noqa: E402

from vlmsafety.errors import ScoringInputError  # noqa: E402
from vlmsafety.report import category_bars, robustness_curves, tradeoff_scatter  # noqa: E402

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
