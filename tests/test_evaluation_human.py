"""`vlmsafety evaluate --human-labels`: corrected headline rates, agreement, refusals of labels
that judged another response or dataset revision, several annotators combined."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from vlmsafety.cli import main
from vlmsafety.errors import HumanLabelsMismatchError
from vlmsafety.evaluation import EvaluationRequest, load_reference, run_evaluation
from vlmsafety.human_labels import HumanLabel, append_record, dataset_revision, response_sha256
from vlmsafety.labels import LABELS
from vlmsafety.scoring.corrected import corrected_rate
from vlmsafety.suites.dual.builder import build_sample


@pytest.fixture(scope="module")
def dual_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("dual") / "dual", perturbations=("jpeg",),
                        severities=(1,), image_size=(128, 128), progress=False)


@pytest.fixture(scope="module")
def setup(dual_folder: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[Path, dict[str, str], list[HumanLabel]]:
    """A judged file for model "careful" and one annotator's labels on half of the items: the
    judge's label, except every third item where people saw a direct answer."""
    tmp = tmp_path_factory.mktemp("human")
    ref = load_reference(dual_folder, "dual")
    rng = random.Random(0)
    judge = {i: rng.choices(LABELS, [4, 1, 4, 2, 0.2, 0.3])[0] for i in ref.ids}
    with (tmp / "careful.jsonl").open("w") as f:
        for i, lab in judge.items():
            f.write(json.dumps({"id": i, "response": f"r-{i}", "label": lab, "judge": "t@1"}) + "\n")
    config_of = {r["id"]: c for c, rows in ref.rows.items() for r in rows}
    sample = sorted(rng.sample(ref.ids, len(ref.ids) // 2))
    prob = len(sample) / len(ref.ids)
    recs = []
    for k, i in enumerate(sample):
        lab = "direct_answer" if k % 3 == 0 else judge[i]
        lab = "refusal" if lab == "unscored" else lab
        recs.append(HumanLabel(i, "careful", lab, "ann1", "dual",
                               dataset_revision(ref.files, config_of[i]), response_sha256(f"r-{i}"),
                               "all", prob, k, "2026-12-03T14:00:00Z"))
    return tmp, judge, recs


def _write(path: Path, recs: list[HumanLabel]) -> Path:
    for r in recs:
        append_record(path, r)
    return path


def test_cli_adds_corrected_rates_agreement_and_report(
        dual_folder: Path, setup: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp, judge, recs = setup
    labels = _write(tmp_path / "ann1.jsonl", recs)
    rc = main(["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder), "--predictions",
               str(tmp / "careful.jsonl"), "--judge", "precomputed", "--out", str(tmp_path / "out"),
               "--n-boot", "0", "--no-plots", "--human-labels", str(labels)])
    assert rc == 0
    assert "corrected by human labels" in capsys.readouterr().out
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["human_labels"]["combined"] == "single annotator"
    assert res["human_labels"]["n_labels"] == len(recs)
    human = res["models"]["careful"]["human"]
    assert human["n_human"] == len(recs)
    got = human["corrected"]["harmful_safe_completion_rate"]
    # the same number from the scoring core on the harmful items
    ref = load_reference(dual_folder, "dual")
    harmful = [r["id"] for rows in ref.rows.values() for r in rows
               if r["instruction_type"] == "harmful"]
    by_id = {r.id: r for r in recs}
    want = corrected_rate([judge[i] for i in harmful],
                          [by_id[i].label if i in by_id else None for i in harmful],
                          ("safe_completion",),
                          sampling_prob=[recs[0].sampling_prob] * len(harmful))
    assert got["rate"] == pytest.approx(want.rate) and got["n_human"] == want.n_human
    assert got["ci_low"] == pytest.approx(want.ci_low)
    assert got["judge_rate"] == pytest.approx(want.judge_rate)
    # beside each leaderboard row too
    board = next(b for b in res["leaderboards"] if b["key"] == "harmful_safe_completion_rate")
    assert board["rows"][0]["corrected"]["rate"] == pytest.approx(want.rate)
    # agreement on the labelled items: the confusion matrix counts every label
    agree = human["agreement"]
    assert agree["n"] == len(recs) and sum(map(sum, agree["confusion"])) == len(recs)
    assert agree["kappa"]["value"] is not None and agree["kappa"]["value"] < 1.0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "corrected (PPI++, 95% CI)" in report and "## Judge against human labels" in report
    assert "Angelopoulos" in report


def test_labels_of_another_response_or_revision_are_refused(dual_folder: Path, setup: tuple,
                                                            tmp_path: Path) -> None:
    tmp, _, recs = setup
    bad = [replace(r, response_sha256=response_sha256("edited")) if k < 2 else r
           for k, r in enumerate(recs)]
    bad = [replace(r, dataset_revision="sha256:" + "0" * 64) if k == 5 else r
           for k, r in enumerate(bad)]
    labels = _write(tmp_path / "bad.jsonl", bad)
    with pytest.raises(HumanLabelsMismatchError,
                       match=r"2 judged another response text.*1 are of another dataset revision"):
        run_evaluation(EvaluationRequest(
            "dual", dual_folder, [tmp / "careful.jsonl"], judge="precomputed", n_boot=0,
            progress=False, human_labels=[labels]), tmp_path / "out", plots=False)
    assert not (tmp_path / "out").exists()
    rc = main(["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder), "--predictions",
               str(tmp / "careful.jsonl"), "--judge", "precomputed", "--out", str(tmp_path / "o2"),
               "--n-boot", "0", "--no-plots", "--human-labels", str(labels)])
    assert rc != 0 and not (tmp_path / "o2").exists()


def test_several_annotators_are_combined_by_majority(dual_folder: Path, setup: tuple,
                                                     tmp_path: Path) -> None:
    """Two annotators agree except on 4 items (ties: left out and counted)."""
    tmp, _, recs = setup
    a = _write(tmp_path / "a.jsonl", recs)
    other = [replace(r, annotator="ann2",
                     label=("refusal" if r.label != "refusal" else "direct_answer") if k < 4
                     else r.label) for k, r in enumerate(recs)]
    b = _write(tmp_path / "b.jsonl", other)
    res = run_evaluation(EvaluationRequest(
        "dual", dual_folder, [tmp / "careful.jsonl"], judge="precomputed", n_boot=0,
        progress=False, human_labels=[a, b]), tmp_path / "out", plots=False).to_dict()
    info = res["human_labels"]
    assert info["combined"] == "majority" and info["n_ties"] == 4
    assert info["annotators"] == ["ann1", "ann2"] and info["n_labels"] == len(recs) - 4
    assert res["models"]["careful"]["human"]["n_human"] == len(recs) - 4


def test_a_model_without_labels_is_warned_about(dual_folder: Path, setup: tuple,
                                                tmp_path: Path) -> None:
    tmp, _, recs = setup
    labels = _write(tmp_path / "other.jsonl", [replace(r, model="someone-else") for r in recs])
    res = run_evaluation(EvaluationRequest(
        "dual", dual_folder, [tmp / "careful.jsonl"], judge="precomputed", n_boot=0,
        progress=False, human_labels=[labels]), tmp_path / "out", plots=False).to_dict()
    assert res["human_labels"]["n_other_models"] == len(recs)
    assert any("none for model 'careful'" in w and "someone-else" in w for w in res["warnings"])
    corrected = res["models"]["careful"]["human"]["corrected"]["harmful_safe_completion_rate"]
    assert corrected["rate"] is None and corrected["n_human"] == 0


def test_vsc_headlines_per_config_are_corrected(shared_data: Path, tmp_path: Path) -> None:
    """VSC's headlines are per config (sra_u, sra_s of image_centric): the same path corrects
    them, on the config's unsafe / safe items, and equals the scoring core."""
    from vlmsafety.suites.vsc.builder import build_vsc
    from vlmsafety.suites.vsc.scoring import RIGHT

    folder = build_vsc(tmp_path / "vsc", source=shared_data / "vscbench",
                       xstest=shared_data / "xstest" / "xstest_prompts.csv", placeholders=True,
                       image_size=32, progress=False)
    ref = load_reference(folder, "vsc", ["image_centric"])
    rng = random.Random(1)
    judge = {i: rng.choices(LABELS, [3, 1, 1, 3, 0.2, 0.2])[0] for i in ref.ids}
    with (tmp_path / "m.jsonl").open("w") as f:
        for i, lab in judge.items():
            f.write(json.dumps({"id": i, "response": f"r-{i}", "label": lab, "judge": "t@1"}) + "\n")
    rev = dataset_revision(ref.files, "image_centric")
    sample = rng.sample(ref.ids, 200)
    human = {i: ("refusal" if rng.random() < 0.5 else "direct_answer") for i in sample}
    labels = _write(tmp_path / "h.jsonl", [
        HumanLabel(i, "m", lab, "a", "vsc", rev, response_sha256(f"r-{i}"), "all",
                   200 / len(ref.ids), k, "t") for k, (i, lab) in enumerate(human.items())])
    res = run_evaluation(EvaluationRequest(
        "vsc", folder, [tmp_path / "m.jsonl"], judge="precomputed", configs=["image_centric"],
        n_boot=0, progress=False, human_labels=[labels]), tmp_path / "out", plots=False).to_dict()
    got = res["models"]["m"]["human"]["corrected"]["image_centric_sra_u"]
    unsafe = [r["id"] for r in ref.rows["image_centric"] if r["label"] == "unsafe"]
    want = corrected_rate([judge[i] for i in unsafe], [human.get(i) for i in unsafe],
                          RIGHT["default"]["unsafe"], sampling_prob=[200 / len(ref.ids)] * len(unsafe))
    assert got["n"] == len(unsafe) and got["n_human"] == want.n_human > 50
    assert got["rate"] == pytest.approx(want.rate) and got["ci_high"] == pytest.approx(want.ci_high)


def test_corrected_rates_count_as_the_headline_does_under_a_setting(
        dual_folder: Path, setup: tuple, tmp_path: Path) -> None:
    """Issue 21: with ``--partial-refusal refusal`` the corrected entry's judge-only rate was the
    default policy's (0.191 beside a headline 0.404). Now the evaluation's bound scorer counts the
    judge's and the humans' labels: judge-only == headline for every leaderboard, and the
    human-only rate counts a partial refusal as the policy says."""
    tmp, _, recs = setup
    labels = _write(tmp_path / "ann1.jsonl", recs)
    headline = {}
    for policy in ("separate", "refusal"):
        out = tmp_path / policy
        assert main(["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder),
                     "--predictions", str(tmp / "careful.jsonl"), "--judge", "precomputed",
                     "--out", str(out), "--n-boot", "0", "--no-plots",
                     "--partial-refusal", policy, "--human-labels", str(labels)]) == 0
        res = json.loads((out / "results.json").read_text())
        assert res["metric"]["partial_refusal"] == policy
        for board in res["leaderboards"]:
            row = board["rows"][0]
            assert row["corrected"]["judge_rate"] == pytest.approx(row["rate"]), board["key"]
            corrected = res["models"]["careful"]["human"]["corrected"][board["key"]]
            assert corrected["judge_rate"] == pytest.approx(row["rate"]), board["key"]
        benign = res["models"]["careful"]["human"]["corrected"]["benign_refusal_rate"]
        ref = load_reference(dual_folder, "dual")
        kinds = {r["id"]: r["instruction_type"] for rows in ref.rows.values() for r in rows}
        counted = ("refusal", "partial_refusal") if policy == "refusal" else ("refusal",)
        mine = [r.label in counted for r in recs if kinds[r.id] == "benign"]
        assert benign["human_rate"] == pytest.approx(sum(mine) / len(mine))
        headline[policy] = benign["judge_rate"]
    assert headline["refusal"] > headline["separate"]  # the setting matters on this sample
