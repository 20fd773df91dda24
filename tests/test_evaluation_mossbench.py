"""MOSSBench through the whole pipeline: spec, ``vlmsafety evaluate`` (results.json, report.md,
plots), ``vlmsafety generate``, on a folder built from the real information.csv + 6 real images +
294 made ones, and the release's real response files imported (test use only: nothing is tuned
on them). Expected counts are made independently from the raw files and information.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from chat_server import ChatServer, Reply, Request, chat_reply, last_user_text
from mossbench_release import make_release

from vlmsafety.cli import main
from vlmsafety.errors import InvalidArgumentError
from vlmsafety.evaluation import EvaluationRequest, evaluate_models
from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, load_judge
from vlmsafety.specs import get_spec
from vlmsafety.suites.mossbench import import_mossbench
from vlmsafety.suites.mossbench.builder import build_mossbench
from vlmsafety.suites.mossbench.classes import BENIGN
from vlmsafety.suites.mossbench.scoring import STIMULUS_RAW

MODELS = ("GPT-4o", "Gemini-Pro 1.5", "Claude 3 Haiku")
"""No empty or null responses; 8 empty ones; 14 null ones."""


@pytest.fixture(scope="module")
def folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("moss")
    release = make_release(shared_data, root / "release")
    return build_mossbench(root / "ds", source=release, progress=False)


@pytest.fixture(scope="module")
def preds(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("preds")
    out = {}
    for model in MODELS:
        out[model] = root / f"{model}.jsonl"
        import_mossbench(shared_data / "mossbench" / "responses" / f"{model}.data.js", out[model])
    return out


def _info(shared_data: Path) -> dict[str, dict[str, str]]:
    with open(shared_data / "mossbench" / "information.csv", encoding="utf-8", newline="") as fh:
        return {f"mossbench-{int(r['pid']):03d}": r for r in csv.DictReader(fh)}


def _expected(shared_data: Path, model: str, *, empty_policy: str) -> dict[str, tuple[int, int]]:
    """(refusals, items counted) overall and per stimulus, from the raw data.js and the CSV:
    a null response is a failed generation (left out); an empty one counts as the policy says."""
    text = (shared_data / "mossbench" / "responses" / f"{model}.data.js").read_text("utf-8")
    entries = json.loads(text.split("=", 1)[1].strip().rstrip(";"))
    info = _info(shared_data)
    judge = load_judge(DEFAULT_OFFLINE_JUDGE)
    out: dict[str, list[int]] = {}
    for pid, entry in entries.items():
        response = entry["response"]
        if response is None:
            continue
        empty = not response.strip()
        if empty and empty_policy == "exclude":
            continue
        refused = (empty and empty_policy == "refusal") or (
            not empty and judge.judge(
                response, info[f"mossbench-{int(pid):03d}"]["question"]).label == "refusal")
        stim = STIMULUS_RAW[info[f"mossbench-{int(pid):03d}"]["meta_data_over"].strip()]
        for key in ("all", stim):
            cell = out.setdefault(key, [0, 0])
            cell[0] += refused
            cell[1] += 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def test_spec_shape() -> None:
    spec = get_spec("mossbench")
    assert spec.config_names == ("default",) and spec.config("default").cluster_column == "id"
    assert spec.reference_column is None and list(spec.reference_classes) == [BENIGN]
    assert spec.judge_scheme.name == "xstest" and spec.prompt_column == "question"
    assert spec.settings["empty_policy"] == "refusal"
    assert "only offers alternatives" in spec.labels["refusal"]
    assert "unscored" not in spec.labels
    assert spec.judge_prompt({"question": "Is this safe?", "id": "x"}) == "Is this safe?"
    keys = [h.key for h in spec.headlines(("default",))]
    assert keys == ["benign_refusal_rate", "exaggerated_risk_refusal_rate",
                    "negated_harm_refusal_rate", "counterintuitive_interpretation_refusal_rate"]
    assert all(not h.higher_is_better for h in spec.headlines(("default",)))


def _rates(res: dict[str, Any], model: str) -> dict[str, tuple[int, int]]:
    s = res["models"][model]["scores"][BENIGN]
    out = {"all": s["overall"]["refusal_rate"]}
    out.update({k: v["refusal_rate"] for k, v in s["by_stimulus"].items()})
    return {k: (r["count"], r["n"]) for k, r in out.items()}


def test_evaluate_cli_end_to_end(folder: Path, preds: dict[str, Path], shared_data: Path,
                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ev"
    assert main(["evaluate", "--benchmark", "mossbench", "--dataset", str(folder),
                 "--predictions", *map(str, preds.values()), "--out", str(out),
                 "--n-boot", "100"]) == 0
    assert "Refusal rate on benign queries" in capsys.readouterr().out
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert res["benchmark"] == "mossbench"
    assert res["metric"]["name"] == "over_sensitivity"
    assert res["metric"]["empty_policy"] == "refusal"
    assert res["metric"]["refusal_labels"] == ["refusal"]
    for model in MODELS:
        assert _rates(res, model) == _expected(shared_data, model, empty_policy="refusal"), model
    gemini = res["models"]["Gemini-Pro 1.5"]["scores"][BENIGN]
    assert gemini["n_empty"] == 8 and gemini["overall"]["n_empty"] == 8
    haiku = res["models"]["Claude 3 Haiku"]
    assert haiku["predictions"]["n_failed"] == 14 and haiku["label_counts"]["unscored"] == 14
    # flags and harm codes: counted from the CSV
    info = _info(shared_data)
    flags = res["models"]["GPT-4o"]["scores"][BENIGN]["by_flag"]
    assert flags["ocr"]["yes"]["n"] == sum(r["meta_data_ocr"] == "1" for r in info.values())
    harm = res["models"]["GPT-4o"]["scores"][BENIGN]["by_harm"]
    assert {k: v["n"] for k, v in harm.items()} == {
        str(h): sum(int(r["meta_data_harm"]) == h for r in info.values())
        for h in sorted({int(r["meta_data_harm"]) for r in info.values()})}
    # leaderboards: overall + 3 stimulus types, ranked low to high, paired tests on common items
    boards = {b["key"]: b for b in res["leaderboards"]}
    assert list(boards) == [h.key for h in get_spec("mossbench").headlines(("default",))]
    overall = boards["benign_refusal_rate"]
    assert [r["model"] for r in overall["rows"]] == list(MODELS)  # 4.3% < 16.7% < 42.3%
    assert overall["rows"][0]["boot_low"] is not None
    gap = overall["adjacent"][1]
    assert (gap["a"], gap["b"], gap["n_both_scored"]) == ("Gemini-Pro 1.5", "Claude 3 Haiku", 286)
    assert gap["mcnemar"]["p_value"] < 0.05 and gap["difference"] < 0
    assert boards["negated_harm_refusal_rate"]["path"] == [BENIGN, "by_stimulus", "negated_harm"]
    assert boards["negated_harm_refusal_rate"]["rows"][0]["n"] == 100
    report = (out / "report.md").read_text(encoding="utf-8")
    for text in ("# MOSSBench evaluation", "### Refusal rate per stimulus type",
                 "### Refusal rate per metadata flag", "| ocr yes", "only offers alternatives",
                 "empty_policy=refusal", "### Refusal rate, negated harm stimuli"):
        assert text in report, text
    pytest.importorskip("matplotlib")
    assert sorted(p.name for p in (out / "plots").iterdir()) == [
        "refusal_by_flag.png", "refusal_by_stimulus.png"]
    assert "![Refusal rate per stimulus type" in report


def test_empty_policy_setting(folder: Path, preds: dict[str, Path], shared_data: Path) -> None:
    model = "Gemini-Pro 1.5"
    for policy in ("exclude", "irrelevant"):
        res = evaluate_models(EvaluationRequest(
            "mossbench", folder, [preds[model]], n_boot=0, progress=False,
            settings={"empty_policy": policy})).to_dict()
        assert res["metric"]["empty_policy"] == policy
        assert _rates(res, model) == _expected(shared_data, model, empty_policy=policy)
    with pytest.raises(InvalidArgumentError, match="no metric setting 'mode'; its settings: "
                       "empty_policy, refusal_labels"):
        evaluate_models(EvaluationRequest(
            "mossbench", folder, [preds[model]], settings={"mode": "x"}))


def test_corrected_rates_see_the_empty_responses(folder: Path, preds: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """Issue 21: the human-label correction scored without the responses, so an empty response
    was no refusal there (empty_policy=refusal). Now judge-only == headline for every
    leaderboard, and an empty response is a refusal for the humans' labels too."""
    from vlmsafety.evaluation import load_reference
    from vlmsafety.human_labels import (
        HumanLabel,
        append_record,
        dataset_revision,
        response_sha256,
    )
    from vlmsafety.predictions import read_predictions

    model = "Gemini-Pro 1.5"  # 8 empty responses
    ref = load_reference(folder, "mossbench")
    responses = {p.id: p.response for p in read_predictions(preds[model])}
    empty = sorted(i for i, t in responses.items() if t is not None and not t.strip())
    assert len(empty) == 8
    sample = sorted(set(sorted(responses)[::2]) | set(empty))
    prob = len(sample) / len(responses)
    path = tmp_path / "human.jsonl"
    for k, i in enumerate(sample):  # people call every sampled response a direct answer
        append_record(path, HumanLabel(i, model, "direct_answer", "ann1", "mossbench",
                                       dataset_revision(ref.files, "default"),
                                       response_sha256(responses[i] or ""), "all", prob, k,
                                       "2026-12-07T14:00:00Z"))
    out = tmp_path / "out"
    assert main(["evaluate", "--benchmark", "mossbench", "--dataset", str(folder),
                 "--predictions", str(preds[model]), "--out", str(out), "--n-boot", "0",
                 "--no-plots", "--human-labels", str(path)]) == 0
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    corrected = res["models"][model]["human"]["corrected"]
    for board in res["leaderboards"]:
        row = board["rows"][0]
        assert corrected[board["key"]]["judge_rate"] == pytest.approx(row["rate"]), board["key"]
    overall = corrected["benign_refusal_rate"]
    assert overall["human_rate"] == pytest.approx(len(empty) / len(sample))


def test_refusal_labels_setting_counts_partial_refusals(folder: Path,
                                                        preds: dict[str, Path]) -> None:
    path = preds["GPT-4o"]
    base = evaluate_models(EvaluationRequest(
        "mossbench", folder, [path], n_boot=0, progress=False)).to_dict()
    both = evaluate_models(EvaluationRequest(
        "mossbench", folder, [path], n_boot=0, progress=False,
        settings={"refusal_labels": "refusal,partial_refusal"})).to_dict()
    o, o2 = (r["models"]["GPT-4o"]["scores"][BENIGN]["overall"] for r in (base, both))
    assert both["metric"]["refusal_labels"] == ["refusal", "partial_refusal"]
    assert o2["refusal_rate"]["count"] == (o["refusal_rate"]["count"]
                                           + o["partial_refusal_rate"]["count"])
    assert o["partial_refusal_rate"]["count"] > 0


def _echo(req: Request) -> Reply:
    content = req.messages[-1]["content"]
    has_image = not isinstance(content, str) and content[0]["type"] == "image_url"
    return chat_reply(f"{last_user_text(req)}|{has_image}")


def test_generate_sends_the_question_with_the_image(folder: Path, shared_data: Path,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VLMSAFETY_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "gen.jsonl"
    with ChatServer(_echo) as server:
        assert main(["generate", "--dataset", str(folder), "--endpoint", server.url,
                     "--model", "vlm", "--out", str(out), "--limit", "12"]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    info = _info(shared_data)
    assert [x["id"] for x in lines] == [f"mossbench-{i:03d}" for i in range(1, 13)]
    assert all(x["response"] == f"{info[x['id']]['question'].strip()}|True" for x in lines)
    assert all(x["prompt"] == info[x["id"]]["question"].strip() for x in lines)


REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "reproductions" / "mossbench.md"


@pytest.fixture(scope="module")
def repro() -> Any:
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("reproduce_mossbench",
                                                  REPO / "docs" / "reproductions" / "reproduce_mossbench.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["reproduce_mossbench"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _page_rates() -> dict[str, tuple[str, str]]:
    """Model -> (ours under policy refusal, ours under policy exclude), in % as the page shows."""
    import re

    text = PAGE.read_text(encoding="utf-8").split("## Overall refusal rate")[1].split("##")[0]
    return {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(
        r"^\| ([^|]+?) \| [^|]+ \| ([\d.]+) \[[^|]+\| [^|]+ \| ([\d.]+) \[", text, re.MULTILINE)}


def test_evaluate_gives_the_reproduction_table(repro: Any, folder: Path, shared_data: Path,
                                               tmp_path: Path) -> None:
    """``vlmsafety evaluate`` on the imported responses and the reproduction agree under one
    null rule (the spec's ``null_policy``): with ``null_policy=empty`` (the page's: a null
    response is no text, as MOSSBench counted it) the same counts for all 9 models under both
    policies, and the committed page's figures; with the default ``unscored`` a null response
    (the three Claude API files, 14 each) is a failed generation and is left out, so under
    policy refusal those three have 14 fewer refusals out of 286."""
    data = shared_data / "mossbench"
    runs, _ = repro.run_models(data, load_judge(DEFAULT_OFFLINE_JUDGE), n_boot=0, seed=0)
    files = []
    for run in runs:
        path = tmp_path / f"{run.model}.jsonl"
        import_mossbench(data / "responses" / f"{run.model}.data.js", path)
        files.append(f"{run.model}={path}")
    page = _page_rates()
    assert sorted(page) == sorted(run.model for run in runs) and len(page) == 9
    for policy in ("refusal", "exclude"):
        res = evaluate_models(EvaluationRequest(
            "mossbench", folder, files, n_boot=0, progress=False,
            settings={"empty_policy": policy, "null_policy": "empty"})).to_dict()
        default = evaluate_models(EvaluationRequest(
            "mossbench", folder, files, n_boot=0, progress=False,
            settings={"empty_policy": policy})).to_dict()
        for run in runs:
            ours = res["models"][run.model]["scores"][BENIGN]["overall"]["refusal_rate"]
            theirs = run.scores[policy].overall.refusal_rate
            assert (ours["count"], ours["n"]) == (theirs.count, theirs.n), (run.model, policy)
            shown = page[run.model][0 if policy == "refusal" else 1]
            assert f"{100 * ours['rate']:.1f}" == shown, (run.model, policy)
            nulls = sum(r is None for r in run.responses)
            unscored = default["models"][run.model]["scores"][BENIGN]["overall"]["refusal_rate"]
            if nulls and policy == "refusal":
                assert nulls == 14, run.model
                assert (unscored["count"], unscored["n"]) == (theirs.count - 14, theirs.n - 14)
            else:
                assert (unscored["count"], unscored["n"]) == (theirs.count, theirs.n)


def test_cli_and_page_agree_on_claude_3_haiku(folder: Path, shared_data: Path,
                                              tmp_path: Path) -> None:
    """Issue 21: the CLI printed 0.441 for Claude 3 Haiku where the page shows 46.7 under the
    same "no text is a refusal" rule. One null rule now: with the page's ``null_policy=empty``
    the CLI gives the page's figure; the default leaves the 14 null responses out, and the page
    says so (its policy-exclude figure)."""
    model = "Claude 3 Haiku"
    preds = tmp_path / "haiku.jsonl"
    assert main(["import-predictions", "mossbench", str(shared_data / "mossbench" / "responses"
                                                         / f"{model}.data.js"),
                 "--out", str(preds)]) == 0
    rates = {}
    for name, extra in (("empty", ["--setting", "null_policy=empty"]), ("unscored", [])):
        out = tmp_path / name
        assert main(["evaluate", "--benchmark", "mossbench", "--dataset", str(folder),
                     "--predictions", str(preds), "--out", str(out), "--n-boot", "0",
                     "--no-plots", *extra]) == 0
        res = json.loads((out / "results.json").read_text(encoding="utf-8"))
        assert res["metric"]["null_policy"] == name and res["metric"]["empty_policy"] == "refusal"
        rates[name] = res["models"][model]["scores"][BENIGN]["overall"]["refusal_rate"]
    page = _page_rates()[model]
    assert f"{100 * rates['empty']['rate']:.1f}" == page[0] and rates["empty"]["n"] == 300
    assert f"{100 * rates['unscored']['rate']:.1f}" == page[1] and rates["unscored"]["n"] == 286
    assert "null_policy=empty" in PAGE.read_text(encoding="utf-8")


def test_gap_column_table_and_console_are_one_number(folder: Path, preds: dict[str, Path],
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 24 item 4: Gemini-Pro 1.5 vs Claude 3 Haiku, whose shared items (286) are fewer than
    either's own: the leaderboard's gap column printed the difference of the displayed rates
    (-0.211) beside McNemar's p-value on the shared items, whose difference is -0.217."""
    out = tmp_path / "ev"
    assert main(["evaluate", "--benchmark", "mossbench", "--dataset", str(folder),
                 "--predictions", *map(str, preds.values()), "--out", str(out),
                 "--n-boot", "50", "--no-plots"]) == 0
    console = capsys.readouterr().out
    res = json.loads((out / "results.json").read_text(encoding="utf-8"))
    board = next(b for b in res["leaderboards"] if b["key"] == "benign_refusal_rate")
    gap = board["adjacent"][1]
    assert (gap["a"], gap["b"]) == ("Gemini-Pro 1.5", "Claude 3 Haiku")
    shown = board["rows"][1]["rate"] - board["rows"][2]["rate"]
    assert f"{shown:+.3f}" != f"{gap['difference']:+.3f}"  # the case: the two differ
    number = f"{gap['difference']:+.3f}"
    report = (out / "report.md").read_text(encoding="utf-8")
    row = next(line for line in report.splitlines()
               if line.startswith("|") and "| Gemini-Pro 1.5 " in line and "(n=" in line)
    p = gap["mcnemar"]["p_value"]
    assert f"{number} (p" in row and f"{shown:+.3f}" not in row, row
    table = next(line for line in report.splitlines() if "Gemini-Pro 1.5 - Claude 3 Haiku" in line)
    assert [c.strip() for c in table.split("|")][2] == number, table
    assert f"gap to next {number}" in console and f"McNemar p={p:.3g}" in console
