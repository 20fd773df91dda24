"""The top-level metrics/ folder (the project's design card) links each metric to its one home."""

from __future__ import annotations

from pathlib import Path

from vlmsafety.metric_modules import metric_names, metric_path

REPO = Path(__file__).resolve().parents[2]


def test_every_registered_metric_has_a_resolving_link() -> None:
    links = {p.name: p for p in (REPO / "metrics").iterdir() if p.is_symlink()}
    assert sorted(links) == sorted(metric_names())
    for name, link in links.items():
        assert link.resolve() == metric_path(name).resolve(), name
        assert (link / f"{name}.py").is_file() and (link / "README.md").is_file()
