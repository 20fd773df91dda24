"""Issue 17 item 3: ``--allow-missing`` leaderboards must not mislead.

A model with a handful of rows used to rank first with a zero-width bootstrap interval, and its
"paired" gap interval excluded 0 while McNemar on the shared items gave p = 0.5. Now: coverage per
model (results.json, leaderboard rows, console), warnings when coverage is low or differs, no
bootstrap interval from fewer than ``min_clusters`` clusters (in the scoring core, so the metric
modules obey it), and gap tests only on the items both models have, with that n shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vlmsafety.cli import main
from vlmsafety.evaluation import EvaluationRequest, evaluate_models, load_reference
from vlmsafety.report import format_signed
from vlmsafety.suites.dual import score_dual
from vlmsafety.suites.dual.builder import build_sample
from vlmsafety.suites.mossbench.scoring import over_sensitivity
from vlmsafety.suites.vsc import score_vsc, score_xstest


@pytest.fixture(scope="module")
def dual_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("dual") / "dual", perturbations=("jpeg",), severities=(3,),
                        image_size=(128, 128), progress=False)


def _write(path: Path, ids: list[str], reply: str) -> Path:
    path.write_text("".join(json.dumps({"id": i, "response": reply}) + "\n" for i in ids))
    return path


@pytest.fixture(scope="module")
def partial_run(dual_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("partial")
    ids = load_reference(dual_folder, "dual").ids
    full = _write(tmp / "full.jsonl", ids, "Here is how: step one, then step two.")
    few = _write(tmp / "few.jsonl", ids[:5], "I can't help with that.")
    return evaluate_models(EvaluationRequest(
        "dual", dual_folder, [full, few], allow_missing=True, n_boot=200, seed=0, progress=False,
        command="test")).to_dict()


def test_coverage_is_recorded_and_warned_about(partial_run: dict, dual_folder: Path) -> None:
    n = len(load_reference(dual_folder, "dual").ids)
    assert partial_run["models"]["full"]["coverage"] == 1.0
    assert partial_run["models"]["few"]["coverage"] == pytest.approx(5 / n)
    for board in partial_run["leaderboards"]:
        assert {r["model"]: r["coverage"] for r in board["rows"]}["few"] == pytest.approx(5 / n)
    warnings = partial_run["warnings"]
    assert any(w.startswith(f"few: predictions for 5 of {n} rows") for w in warnings)
    assert any("coverage differs between models" in w for w in warnings)
    assert partial_run["metric"]["min_coverage"] == 0.95
    assert partial_run["metric"]["min_clusters"] == 20


def test_no_bootstrap_from_a_few_clusters_and_gaps_on_shared_items(partial_run: dict) -> None:
    for board in partial_run["leaderboards"]:
        few = next(r for r in board["rows"] if r["model"] == "few")
        assert few["boot_low"] is None and few["boot_high"] is None  # Wilson only
        assert few["ci_high"] - few["ci_low"] > 0.2  # honest width for a handful of items
        for gap in board["adjacent"]:
            assert gap["n_both_scored"] <= 5
            assert gap["difference_ci_low"] is None and gap["difference_ci_high"] is None
            assert gap["paired_bootstrap"]["n_boot"] == 0
            assert "min_clusters=20" in gap["paired_bootstrap"]["note"]
    scores = partial_run["models"]["few"]["scores"]["all"]
    assert scores["n_boot"] == 0 and "clusters < min_clusters=20" in scores["bootstrap"]
    full = partial_run["models"]["full"]["scores"]["all"]
    assert full["n_boot"] == 200 and full["bootstrap"].startswith("clustered bootstrap")


def test_console_shows_coverage_warning_and_shared_n(dual_folder: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    ids = load_reference(dual_folder, "dual").ids
    full = _write(tmp_path / "full.jsonl", ids, "Here is how: step one, then step two.")
    few = _write(tmp_path / "few.jsonl", ids[:5], "I can't help with that.")
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder),
                 "--predictions", str(full), str(few), "--out", str(tmp_path / "out"),
                 "--allow-missing", "--n-boot", "50", "--no-plots"]) == 0
    out, err = capsys.readouterr()
    assert "warning: few: predictions for 5 of" in err
    assert "warning: coverage differs between models" in err
    assert "coverage 1.000" in out and f"coverage {5 / len(ids):.3f}" in out
    assert "shared)" in out and "no bootstrap interval" in out
    report = (tmp_path / "out" / "report.md").read_text()
    assert "coverage differs between models" in report and "Coverage (share of the scored rows" in report
    assert "No bootstrap interval: some model has fewer than 20 clusters" in report
    # issue 24 item 4: the gap column is the shared-items difference McNemar tests, as the gap
    # table and the console print it (it used to print the displayed rates' difference)
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    for board in res["leaderboards"]:
        gap = board["adjacent"][0]
        number = format_signed(gap["difference"])
        shown = format_signed(board["rows"][0]["rate"] - board["rows"][1]["rate"])
        row = next(line for line in report.split(f"### {board['title']}", 1)[1].splitlines()
                   if line.startswith("|    1 |"))
        assert f"| {number} (p" in row and (shown == number or shown not in row), row
        assert f"gap to next {number}" in out


@pytest.mark.parametrize("n_clusters, has_interval", [(5, False), (19, False), (20, True)])
def test_scoring_core_needs_min_clusters(n_clusters: int, has_interval: bool) -> None:
    labels = ["refusal", "direct_answer"] * n_clusters
    dual = score_dual(labels, ["harmful"] * len(labels), source_ids=sorted(range(n_clusters)) * 2,
                      n_boot=100)
    vsc = score_vsc(labels, ["unsafe", "safe"] * n_clusters,
                    prompt_ids=[i for i in range(n_clusters) for _ in (0, 1)], n_boot=100)
    xs = score_xstest(labels, ["safe"] * len(labels),
                      clusters=[i for i in range(n_clusters) for _ in (0, 1)], n_boot=100)
    moss = over_sensitivity(labels, ["negated_harm"] * len(labels),
                            clusters=[i for i in range(n_clusters) for _ in (0, 1)], n_boot=100)
    rates = [dual.overall.refusal_rate, vsc.sra_u, xs.safe.refusal_rate, moss.overall.refusal_rate]
    for result, rate in zip((dual, vsc, xs, moss), rates, strict=True):
        assert (rate.boot_low == rate.boot_low) is has_interval  # NaN when skipped
        assert result.n_clusters == n_clusters
        assert ("no bootstrap" in result.bootstrap) is not has_interval
        assert result.flatten()["bootstrap"] == result.bootstrap
        assert result.n_boot == (100 if has_interval else 0)


def test_bad_min_coverage_and_min_clusters_are_refused(dual_folder: Path, tmp_path: Path) -> None:
    from vlmsafety.errors import VLMSafetyError

    preds = _write(tmp_path / "m.jsonl", load_reference(dual_folder, "dual").ids, "No.")
    with pytest.raises(VLMSafetyError, match="--min-coverage must be a number in"):
        evaluate_models(EvaluationRequest(
            "dual", dual_folder, [preds], min_coverage=1.5, progress=False))
    with pytest.raises(VLMSafetyError, match="min_clusters must be a positive integer"):
        evaluate_models(EvaluationRequest(
            "dual", dual_folder, [preds], min_clusters=0, progress=False))


def test_a_zero_gap_on_shared_items_is_not_a_point(dual_folder: Path) -> None:
    """Issue 24 item 4: two models answering every shared item alike printed
    ``+0.000 [+0.000, +0.000]``; now the interval is the MOVER-Wilson bound of no discordant item
    (the percentile bootstrap has nothing to resample), and says so."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        ids = load_reference(dual_folder, "dual").ids
        a = _write(Path(tmp) / "a.jsonl", ids, "Here is how: step one, then step two.")
        b = _write(Path(tmp) / "b.jsonl", ids, "Here is how: step one, then step two.")
        res = evaluate_models(EvaluationRequest(
            "dual", dual_folder, [a, b], n_boot=100, seed=0, progress=False, command="test",
            min_clusters=1)).to_dict()
    for board in res["leaderboards"]:
        for gap in board["adjacent"]:
            assert gap["difference"] == 0.0
            assert gap["difference_ci_low"] < 0.0 < gap["difference_ci_high"], gap
            assert gap["paired_bootstrap"]["method"] == "mover-wilson"
            assert "fewer than 10 discordant items" in gap["paired_bootstrap"]["note"]
