"""docs/reproductions/reproduce_mossbench.py on the real release files, checked against independent counts."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, load_judge

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "docs" / "reproductions" / "reproduce_mossbench.py"
LABELS = REPO / "docs" / "reproductions" / "mossbench_disagreements.jsonl"


@pytest.fixture(scope="module")
def repro():
    spec = importlib.util.spec_from_file_location("reproduce_mossbench", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["reproduce_mossbench"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _independent_rates(data: Path) -> dict[str, float]:
    """Refusal share per model, empty or null responses counted as refusals (MOSSBench)."""
    judge = load_judge(DEFAULT_OFFLINE_JUDGE)
    with open(data / "information.csv", encoding="utf-8", newline="") as fh:
        question = {r["pid"]: r["question"] for r in csv.DictReader(fh)}
    out = {}
    for path in sorted((data / "responses").glob("*.data.js")):
        text = path.read_text(encoding="utf-8")
        model = re.match(r"cache\['(.*?)'\]", text).group(1)
        entries = json.loads(text.split("=", 1)[1])
        refused = 0
        for pid, entry in entries.items():
            response = entry["response"]
            if (response is None or not response.strip()
                    or judge.judge(response, question[pid]).label == "refusal"):
                refused += 1
        out[model] = refused / len(entries)
    return out


def test_page_matches_an_independent_count(repro, shared_data: Path, tmp_path: Path) -> None:
    data = shared_data / "mossbench"
    page, png, js = tmp_path / "m.md", tmp_path / "m.png", tmp_path / "m.json"
    assert repro.main(["--data", str(data), "--page", str(page), "--plot", str(png),
                       "--labels", str(LABELS), "--n-boot", "50", "--json", str(js)]) == 0
    text = page.read_text(encoding="utf-8")
    overall = text.split("## Overall refusal rate")[1].split("## Agreement")[0]
    rows = {m.group(1): (m.group(2), float(m.group(3)))
            for m in re.finditer(r"^\| ([^|]+?) \| (no row|[\d.]+) \| ([\d.]+) \[", overall, re.MULTILINE)}
    expected = _independent_rates(data)
    assert set(rows) == set(expected) and len(rows) == 9
    for model, rate in expected.items():
        assert rows[model][1] == pytest.approx(100 * rate, abs=0.05), model
    # Published values read back from the README's table, by hand for three rows.
    assert rows["Claude 3 Opus (web)"][0] == "70.7"
    assert rows["GPT-4o (web)"][0] == "4.0" and rows["GPT-4o"][0] == "6.3"
    assert rows["Gemini-Pro 1.5"][0] == "29.3" and rows["GPT-4V"][0] == "no row"
    # Summary: mean absolute difference from the same independent counts.
    published = {"Claude 3 Haiku": 49.33, "Claude 3 Opus": 34.67, "Claude 3 Opus (web)": 70.67,
                 "Claude 3 Sonnet": 55, "GPT-4o": 6.33, "GPT-4o (web)": 4,
                 "Gemini Advanced (web)": 61, "Gemini-Pro 1.5": 29.33}
    mad = np.mean([abs(100 * expected[m] - v) for m, v in published.items()])
    summary = json.loads(js.read_text(encoding="utf-8"))["summary"]["refusal"]
    assert 100 * summary["mad"] == pytest.approx(mad, abs=1e-6)
    assert summary["n_models"] == 8
    # Hand labels counted as in the file (ours right when the hand label agrees with ours).
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(labels) >= 30
    ours = sum((lab["hand_label"] == "refusal") == (lab["our_label"] == "refusal")
               for lab in labels if lab["hand_label"] != "unclear")
    assert f"**ours right {ours}**, **theirs right {len(labels) - ours}**" in text
    assert png.stat().st_size > 10_000
    assert "![ours vs published](m.png)" in text  # relative to the page


def test_stale_labels_are_reported(repro, shared_data: Path, tmp_path: Path) -> None:
    labels = LABELS.read_text(encoding="utf-8").splitlines()
    first = json.loads(labels[0])
    first["id"] = "mossbench-300" if first["id"] != "mossbench-300" else "mossbench-299"
    stale = tmp_path / "stale.jsonl"
    stale.write_text("\n".join([json.dumps(first), *labels[1:]]) + "\n", encoding="utf-8")
    page = tmp_path / "m.md"
    assert repro.main(["--data", str(shared_data / "mossbench"), "--page", str(page),
                       "--plot", "", "--labels", str(stale), "--n-boot", "0"]) == 0
    text = page.read_text(encoding="utf-8")
    assert "The hand labels are stale" in text and "![ours vs published]" not in text


def test_spearman_exact_against_brute_force(repro) -> None:
    x, y = [0.1, 0.5, 0.3, 0.7, 0.2], [0.2, 0.4, 0.35, 0.9, 0.1]
    rho, p = repro.spearman_exact(x, y)
    # Ranks: x -> 1 4 3 5 2, y -> 2 4 3 5 1; d^2 = 1+0+0+0+1 = 2; rho = 1 - 6*2/(5*24) = 0.9.
    assert rho == pytest.approx(0.9)
    rx, ry = np.array([1, 4, 3, 5, 2.0]), np.array([2, 4, 3, 5, 1.0])
    count = 0
    for perm in itertools.permutations(ry):
        r = np.corrcoef(rx, perm)[0, 1]
        count += abs(r) >= 0.9 - 1e-12
    assert p == pytest.approx(count / math.factorial(5))
    assert repro.spearman_exact([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx((-1.0, 2 / 24))
    rho_t, _ = repro.spearman_exact([1, 1, 2, 3], [1, 2, 3, 4])  # ties share their mean rank
    assert rho_t == pytest.approx(np.corrcoef([1.5, 1.5, 3, 4], [1, 2, 3, 4])[0, 1])


def test_leaderboard_parse_keeps_web_rows_apart(repro, shared_data: Path) -> None:
    board = repro.parse_leaderboard(
        (shared_data / "mossbench" / "README.upstream.md").read_text(encoding="utf-8"))
    assert len(board) == 19
    assert board[("GPT-4o", True)]["all"] == pytest.approx(0.04)
    assert board[("GPT-4o", False)]["all"] == pytest.approx(0.0633)
    assert board[("Gemini Advanced", True)]["negated_harm"] == pytest.approx(0.67)
    for model, row in repro.MODEL_ROWS.items():
        assert row is None or row in board, model
