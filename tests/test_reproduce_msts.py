"""docs/reproductions/reproduce_msts.py on the shared MSTS files (test-sized), checked against
counts made here from the CSVs directly."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "docs" / "reproductions" / "reproduce_msts.py"
PAGE = REPO / "docs" / "reproductions" / "msts.md"


@pytest.fixture(scope="module")
def repro() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reproduce_msts", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["reproduce_msts"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _independent(data: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Responses, human unsafe (final label 2) and GPT-4o flags per model, read with csv."""
    with open(data / "data/response_annotations/english_multimodal.csv", newline="",
              encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(data / "data/auto_eval/english_multimodal_autoeval.csv", newline="",
              encoding="utf-8") as fh:
        judged = list(csv.DictReader(fh))
    n = Counter(r["model"] for r in rows)
    human = Counter(r["model"] for r in rows if r["final_label"].startswith("2"))
    gpt = Counter(r["model"] for r, j in zip(rows, judged, strict=True)
                  if j["gpt-4o-2024-05-13"].strip().rstrip(".") == "unsafe")
    return n, human, gpt


def _human_cells(text: str) -> dict[str, float]:
    table = text.split("## Unsafe response rate per model")[1].split("## Agreement")[0]
    lines = [line for line in table.splitlines() if line.startswith("|")]
    models = [c.strip() for c in lines[0].strip("|").split("|")][1:]
    human = next(line for line in lines if "humans" in line)
    values = [float(c.split("[")[0]) for c in human.strip("|").split("|")[1:]]
    return dict(zip(models, values, strict=True))


def test_quick_run_matches_independent_counts(repro: ModuleType, shared_data: Path,
                                              tmp_path: Path) -> None:
    data = shared_data / "msts"
    page, png, js = tmp_path / "msts.md", tmp_path / "msts.png", tmp_path / "msts.json"
    assert repro.main(["--data", str(data), "--quick", "--page", str(page), "--plot", str(png),
                       "--json", str(js)]) == 0
    figures = json.loads(js.read_text(encoding="utf-8"))
    n, human, gpt = _independent(data)
    assert {m: f["n"] for m, f in figures["models"].items()} == dict(n)
    assert {m: f["human_unsafe"] for m, f in figures["models"].items()} == {m: human[m] for m in n}
    assert {m: f["judges"]["gpt-4o-2024-05-13"] for m, f in figures["models"].items()} == {
        m: gpt[m] for m in n}
    assert sum(human.values()) == 133 and sum(gpt.values()) == 535
    cells = figures["corrected"]
    assert len(cells) == (9 + 1) * 7 * 4 and all(0 <= c["coverage"] <= 1 for c in cells)
    text = page.read_text(encoding="utf-8")
    shown = _human_cells(text)
    for model, count in n.items():
        short = repro.short(model)
        assert shown[short] == pytest.approx(100 * human[model] / count, abs=0.05), model
    assert "## Where the correction fails" in text and png.stat().st_size > 10_000
    assert re.search(r"\| gpt-4o-2024-05-13 \| 535 \| 19\.1 \|", text)


def test_the_committed_page_is_the_full_run(shared_data: Path, repro: ModuleType) -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert "--quick" not in text.splitlines()[2]  # the full run, not the test-sized one
    n, human, _ = _independent(shared_data / "msts")
    shown = _human_cells(text)
    assert shown == {repro.short(m): pytest.approx(100 * human[m] / n[m], abs=0.05) for m in n}
    assert (PAGE.parent / "../images/msts-reproduction.png").resolve().is_file()
