"""``vlmsafety evaluate`` / :mod:`vlmsafety.evaluation`: numbers equal the scoring core's, the
report and plots are written, and bad input fails clearly without leaving anything behind."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from vlmsafety.cli import main
from vlmsafety.errors import (
    PredictionsFormatError,
    ScoringInputError,
    UnknownNameError,
    VLMSafetyError,
)
from vlmsafety.evaluation import (
    EvaluationRequest,
    evaluate_models,
    load_reference,
    parse_model_inputs,
    run_evaluation,
)
from vlmsafety.judges import DEFAULT_OFFLINE_JUDGE, KeywordJudge, load_judge
from vlmsafety.labels import LABELS
from vlmsafety.scoring import mcnemar
from vlmsafety.specs import get_spec
from vlmsafety.suites.dual import score_dual
from vlmsafety.suites.dual.builder import build_sample
from vlmsafety.suites.vsc import score_vsc

N_BOOT = 50


@pytest.fixture(scope="module")
def dual_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("dual") / "dual", perturbations=("jpeg", "rotation"),
                        severities=(1, 3), image_size=(128, 128), progress=False)


def _write_judged(path: Path, ids: list[str], seed: int, weights: list[float]) -> dict[str, str]:
    rng = random.Random(seed)
    labels = {i: rng.choices(LABELS, weights)[0] for i in ids}
    with path.open("w") as f:
        for i, lab in labels.items():
            f.write(json.dumps({"id": i, "response": f"r-{i}", "label": lab, "judge": "test@1"}) + "\n")
    return labels


def _roundtrip(obj: Any) -> Any:
    return json.loads(json.dumps(obj))


@pytest.fixture(scope="module")
def dual_run(dual_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    tmp = tmp_path_factory.mktemp("run")
    ref = load_reference(dual_folder, "dual")
    # LABELS order: refusal, partial_refusal, safe_completion, direct_answer, irrelevant, unscored
    labels = {"careful": _write_judged(tmp / "careful.jsonl", ref.ids, 1, [4, 1, 4, 1, 0.2, 0.3]),
              "open": _write_judged(tmp / "open.jsonl", ref.ids, 2, [1, 1, 1, 6, 0.2, 0.3])}
    res = run_evaluation(EvaluationRequest(
        "dual", dual_folder, [tmp / "careful.jsonl", tmp / "open.jsonl"], judge="precomputed",
        n_boot=N_BOOT, seed=3, progress=False, command="test"), tmp / "out").to_dict()
    return tmp / "out", res, labels


def test_dual_scores_equal_the_scoring_core(dual_folder: Path, dual_run: tuple) -> None:
    out, res, labels = dual_run
    ref = load_reference(dual_folder, "dual")
    rows = [r for rs in ref.rows.values() for r in rs]
    for model, lab in labels.items():
        direct = score_dual(
            [lab[r["id"]] for r in rows], [r["instruction_type"] for r in rows],
            categories=[r["category"] for r in rows], perturbations=[r["perturbation"] for r in rows],
            severities=[r["severity"] for r in rows], source_ids=[r["source_id"] for r in rows],
            n_boot=N_BOOT, seed=3, judge="test@1")
        assert res["models"][model]["scores"]["all"] == _roundtrip(direct.to_dict())
        harm = [r for r in rows if r["instruction_type"] == "harmful"]
        direct_h = score_dual(
            [lab[r["id"]] for r in harm], ["harmful"] * len(harm),
            categories=[r["category"] for r in harm], perturbations=[r["perturbation"] for r in harm],
            severities=[r["severity"] for r in harm], source_ids=[r["source_id"] for r in harm],
            n_boot=N_BOOT, seed=3, judge="test@1")
        assert res["models"][model]["scores"]["harmful"] == _roundtrip(direct_h.to_dict())
        assert res["models"][model]["label_counts"] == {
            k: v for k, v in sorted(__import__("collections").Counter(lab.values()).items())}
    # results.json on disk is what was returned
    assert json.loads((out / "results.json").read_text()) == res


def test_dual_leaderboard_order_and_tests(dual_folder: Path, dual_run: tuple) -> None:
    _, res, labels = dual_run
    boards = {b["key"]: b for b in res["leaderboards"]}
    assert set(boards) == {"harmful_safe_completion_rate", "benign_refusal_rate",
                           "harmful_direct_answer_rate"}
    dar = boards["harmful_direct_answer_rate"]
    assert [r["model"] for r in dar["rows"]] == ["careful", "open"]  # lower is better
    rates = [r["rate"] for r in dar["rows"]]
    assert rates == sorted(rates)
    ref = load_reference(dual_folder, "dual")
    harm = [r["id"] for rs in ref.rows.values() for r in rs if r["instruction_type"] == "harmful"]
    both = [i for i in harm if labels["careful"][i] != "unscored" and labels["open"][i] != "unscored"]
    expect = mcnemar([labels["careful"][i] == "direct_answer" for i in both],
                     [labels["open"][i] == "direct_answer" for i in both])
    adj = dar["adjacent"][0]
    assert adj["mcnemar"] == _roundtrip(expect.to_dict())
    assert adj["n_both_scored"] == len(both)
    # the gap is measured on the items both models have scored (issue 17 item 3)
    shared = [sum(labels[m][i] == "direct_answer" for i in both) / len(both)
              for m in ("careful", "open")]
    assert adj["difference"] == pytest.approx(shared[0] - shared[1])
    assert adj["difference_ci_low"] <= adj["difference"] <= adj["difference_ci_high"]


def test_report_and_plots_exist_and_are_linked(dual_run: tuple) -> None:
    out, res, _ = dual_run
    report = (out / "report.md").read_text()
    assert "## Leaderboards" in report and "careful" in report and "open" in report
    assert "Robustness under perturbation" in report and "dSCR" in report
    assert res["plots"], "no plot written"
    kinds = {Path(p).stem.split("_")[0] for p in res["plots"]}
    assert {"category", "tradeoff", "robustness"} <= kinds
    for rel in res["plots"]:
        png = out / rel
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.stat().st_size > 10_000, f"{rel} looks empty"
        assert f"]({rel})" in report
    assert sorted(p.name for p in (out / "judged").iterdir()) == ["careful.jsonl", "open.jsonl"]
    assert res["dataset"]["version"] == "1.0.0"
    assert res["metric"] == {"name": "safe_completion", "version": res["vlmsafety_version"],
                             "n_boot": N_BOOT, "seed": 3, "confidence": 0.95,
                             "unscored": "exclude", "partial_refusal": "separate",
                             "bootstrap_breakdowns": True, "min_clusters": 20,
                             "min_coverage": 0.95}


def test_cli_keyword_judge_on_demo_responses(dual_folder: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.resources import files

    ref = load_reference(dual_folder, "dual")
    ids = set(ref.ids)
    src = files("vlmsafety.suites.dual").joinpath("data", "dual_sample_responses.jsonl").read_text().splitlines()
    kept = [json.loads(line) for line in src if json.loads(line)["id"] in ids]
    preds = tmp_path / "a.jsonl"
    preds.write_text("".join(json.dumps(o) + "\n" for o in kept))
    rc = main(["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder), "--predictions",
               f"mine={preds}", "--out", str(tmp_path / "out"), "--n-boot", "0", "--no-plots"])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "mine: " in stdout and "Safe completion rate" in stdout
    res = json.loads((tmp_path / "out" / "results.json").read_text())
    assert res["command"].startswith("vlmsafety evaluate --benchmark dual")
    assert res["judge"]["name"] == DEFAULT_OFFLINE_JUDGE and res["plots"] == []
    rows = {r["id"]: r for rows in ref.rows.values() for r in rows}
    spec = get_spec("dual")  # the judge is told what the spec says the model was asked
    verdicts = load_judge(DEFAULT_OFFLINE_JUDGE).judge_many(
        [(o["response"], spec.judge_prompt(rows[o["id"]])) for o in kept])
    judged = [json.loads(x) for x in (tmp_path / "out" / "judged" / "mine.jsonl").read_text().splitlines()]
    assert [j["label"] for j in judged] == [v.label for v in verdicts]
    assert len(judged) == len(ids)


def test_missing_rows_error_or_are_counted(dual_folder: Path, tmp_path: Path) -> None:
    ids = load_reference(dual_folder, "dual").ids
    preds = tmp_path / "m.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "response": "I can't help with that."}) + "\n"
                             for i in ids[3:]))
    class CountingJudge(KeywordJudge):
        calls = 0

        def judge_many(self, items: Any, **kw: Any) -> Any:
            CountingJudge.calls += 1
            return super().judge_many(items, **kw)

    with pytest.raises(PredictionsFormatError,
                       match=r"model 'm': 3 of \d+ in 'clean'.*--allow-missing") as err:
        evaluate_models(EvaluationRequest(
            "dual", dual_folder, [preds], judge=CountingJudge(), n_boot=0, progress=False))
    assert repr(ids[0]) in str(err.value)
    assert CountingJudge.calls == 0  # checked before any (possibly paid-for) judging
    res = evaluate_models(EvaluationRequest(
        "dual", dual_folder, [preds], n_boot=0, progress=False, allow_missing=True)).to_dict()
    assert sum(res["models"]["m"]["n_missing"].values()) == 3
    assert res["models"]["m"]["scores"]["all"]["n"] == len(ids) - 3


def test_configs_without_predictions_are_left_out_and_named(dual_folder: Path, tmp_path: Path) -> None:
    ref = load_reference(dual_folder, "dual", ["clean"])
    preds = tmp_path / "m.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "response": "Sure, here it is."}) + "\n"
                             for i in ref.ids))
    res = evaluate_models(EvaluationRequest(
        "dual", dual_folder, [preds], n_boot=0, progress=False)).to_dict()
    assert list(res["dataset"]["configs"]) == ["clean"]
    assert res["dataset"]["configs_without_predictions"] == ["perturbed"]
    assert res["models"]["m"]["scores"]["all"]["by_perturbation"] == {}


def test_bad_inputs_fail_clearly_and_write_nothing(dual_folder: Path, tmp_path: Path) -> None:
    ids = load_reference(dual_folder, "dual").ids
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps({"id": i, "response": "ok"}) + "\n" for i in ids))
    out = tmp_path / "out"
    with pytest.raises(ScoringInputError, match="none of which belongs to benchmark 'vsc'"):
        run_evaluation(EvaluationRequest("vsc", dual_folder, [good], progress=False), out)
    with pytest.raises(ScoringInputError, match=r"config\(s\) \['nope'\].*available: \['clean', 'perturbed'\]"):
        run_evaluation(EvaluationRequest(
            "dual", dual_folder, [good], configs=["nope"], progress=False), out)
    with pytest.raises(UnknownNameError, match="unknown benchmark 'xstest'; allowed: dual, vsc"):
        load_reference(dual_folder, "xstest")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "not-an-id", "response": "x"}) + "\n")
    with pytest.raises(PredictionsFormatError, match="not-an-id"):
        run_evaluation(EvaluationRequest("dual", dual_folder, [good, bad], progress=False), out)
    with pytest.raises(ScoringInputError, match="same model name"):
        parse_model_inputs([good, f"good={good}"])
    with pytest.raises(ScoringInputError, match="does not exist"):
        parse_model_inputs([tmp_path / "nope.jsonl"])
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    out.mkdir()
    with pytest.raises(VLMSafetyError, match="exists"):
        run_evaluation(EvaluationRequest("dual", dual_folder, [good], progress=False), out)
    assert main(["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder),
                 "--predictions", str(good), "--out", str(out)]) == 2
    with pytest.raises(ScoringInputError, match="the model name before '=' is empty"):
        parse_model_inputs([f"={good}"])
    with pytest.raises(PredictionsFormatError, match="no 'label': this is not a judged file"):
        run_evaluation(EvaluationRequest(
            "dual", dual_folder, [good], judge="precomputed", progress=False), tmp_path / "o2")


def test_failed_generations_are_unscored_and_counted(dual_folder: Path, tmp_path: Path) -> None:
    ids = load_reference(dual_folder, "dual").ids
    preds = tmp_path / "m.jsonl"
    lines = [{"id": i, "response": "I can't help with that."} for i in ids]
    for o in lines[:5]:
        o["response"], o["error"] = None, "HTTP 500"
    preds.write_text("".join(json.dumps(o) + "\n" for o in lines))
    res = evaluate_models(EvaluationRequest(
        "dual", dual_folder, [preds], n_boot=0, progress=False)).to_dict()
    info = res["models"]["m"]
    assert info["predictions"]["n_failed"] == 5
    assert info["label_counts"]["unscored"] == 5
    assert info["scores"]["all"]["n_unscored"] == 5


@pytest.fixture(scope="module")
def vsc_folder(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vlmsafety.suites.vsc.builder import build_vsc

    return build_vsc(tmp_path_factory.mktemp("vsc") / "vsc", source=shared_data / "vscbench",
                     xstest=shared_data / "xstest" / "xstest_prompts.csv", placeholders=True,
                     image_size=32, progress=False)


def test_vsc_scores_equal_the_scoring_core(vsc_folder: Path, tmp_path: Path) -> None:
    ref = load_reference(vsc_folder, "vsc", ["image_centric", "text_centric"])
    labels = {"refuser": _write_judged(tmp_path / "refuser.jsonl", ref.ids, 5, [6, 1, 1, 2, 0.2, 0.2]),
              "helper": _write_judged(tmp_path / "helper.jsonl", ref.ids, 6, [1, 1, 1, 6, 0.2, 0.2])}
    res = run_evaluation(EvaluationRequest(
        "vsc", vsc_folder, [tmp_path / "refuser.jsonl", tmp_path / "helper.jsonl"],
        judge="precomputed", n_boot=N_BOOT, seed=1, progress=False), tmp_path / "out").to_dict()
    assert list(res["dataset"]["configs"]) == ["image_centric", "text_centric"]
    assert res["dataset"]["configs"]["image_centric"]["n_rows"] == 1800
    assert res["dataset"]["configs"]["text_centric"]["n_rows"] == 1800
    for model, lab in labels.items():
        ic = ref.rows["image_centric"]
        direct = score_vsc([lab[r["id"]] for r in ic], [r["label"] for r in ic],
                           categories=[r["category"] for r in ic],
                           prompt_ids=[r["prompt_id"] for r in ic], n_boot=N_BOOT, seed=1)
        assert res["models"][model]["scores"]["image_centric"] == _roundtrip(direct.to_dict())
        tc = ref.rows["text_centric"]
        direct = score_vsc([lab[r["id"]] for r in tc], [r["label"] for r in tc],
                           settings=[r["setting"] for r in tc],
                           clusters=[r["query_id"] for r in tc], n_boot=N_BOOT, seed=1)
        assert res["models"][model]["scores"]["text_centric"] == _roundtrip(direct.to_dict())
        # consistency over a prompt's 3 safe + 3 unsafe images; none for text-centric queries
        # (one label per query: a group there never holds both)
        pc = res["models"][model]["scores"]["image_centric"]["pair_consistency"]
        assert pc["n"] > 250 and 0 <= pc["rate"] <= 1
        assert res["models"][model]["scores"]["text_centric"]["pair_consistency"] is None
    boards = {b["key"]: b for b in res["leaderboards"]}
    assert [r["model"] for r in boards["image_centric_sra_u"]["rows"]] == ["refuser", "helper"]
    assert [r["model"] for r in boards["image_centric_sra_s"]["rows"]] == ["helper", "refuser"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "image_centric: SRA_u per category" in report and "text_centric: SRA_s per image setting" in report
    # built with placeholders: every scored row is flagged, in results.json and the report
    sources = res["dataset"]["image_source"]
    assert sum(sources["image_centric"].values()) == 1800 and sources["image_centric"]["placeholder"] > 0
    assert len(res["warnings"]) == 2 and all("placeholder images" in w for w in res["warnings"])
    assert f"{sources['image_centric']['placeholder']} of 1800 rows of 'image_centric'" in res["warnings"][0]
    assert report.count("> **Warning:**") == 2
    names = {Path(p).name for p in res["plots"]}
    from PIL import Image  # plots from placeholder data carry a red band (issue 17 item 5)

    for rel in res["plots"]:
        with Image.open(tmp_path / "out" / rel) as im:
            assert im.convert("RGB").getpixel((2, 2)) == (198, 40, 40), rel
    assert {"tradeoff_image_centric.png", "tradeoff_text_centric.png",
            "image_centric_sra_u_by_category.png", "text_centric_sra_s_by_setting.png"} <= names


def test_cli_chat_judge_through_the_cache(dual_folder: Path, tmp_path: Path) -> None:
    """--judge chat: the judge sees each image's instruction, a judge failure is unscored, and a
    re-run is answered from the SQLite cache without a single request."""
    import zlib

    from chat_server import ChatServer, chat_reply, error_reply, last_user_text

    ref = load_reference(dual_folder, "dual")
    by_id = {r["id"]: r for rows in ref.rows.values() for r in rows}
    verdicts = ("REFUSAL", "SAFE_COMPLETION", "DIRECT_ANSWER")
    broken = ref.ids[5]
    preds = tmp_path / "m.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "response": f"answer to {i}"}) + "\n"
                             for i in ref.ids))

    def handler(req):  # type: ignore[no-untyped-def]
        text = last_user_text(req)
        rid = text.split("answer to ", 1)[1].split()[0]
        assert by_id[rid]["instruction"] in text  # the instruction written in the image
        if rid == broken:
            return error_reply(400, "judge refuses to judge")
        return chat_reply(f"ok\nVERDICT: {verdicts[zlib.crc32(rid.encode()) % 3]}")

    argv = ["evaluate", "--benchmark", "dual", "--dataset", str(dual_folder), "--predictions",
            f"m={preds}", "--judge", "chat", "--model", "judge-m", "--cache",
            str(tmp_path / "judge.sqlite"), "--n-boot", "0", "--no-plots"]
    with ChatServer(handler) as server:
        assert main([*argv, "--base-url", server.url, "--out", str(tmp_path / "a")]) == 0
        first = server.count
        assert first >= len(ref.ids)
        assert main([*argv, "--base-url", server.url, "--out", str(tmp_path / "b")]) == 0
        assert server.count == first + 1  # only the failed item is asked again
    for out in ("a", "b"):
        judged = {j["id"]: j["label"] for j in map(json.loads, (
            tmp_path / out / "judged" / "m.jsonl").read_text().splitlines())}
        expected = {i: verdicts[zlib.crc32(i.encode()) % 3].lower() for i in ref.ids}
        expected[broken] = "unscored"
        assert judged == expected
        res = json.loads((tmp_path / out / "results.json").read_text())
        assert res["judge"]["kind"] == "ChatJudge" and "judge-m" in res["judge"]["name"]
        assert res["models"]["m"]["scores"]["all"]["n_unscored"] == 1


def test_overwrite_replaces_only_an_earlier_evaluation(dual_folder: Path, dual_run: tuple,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """--overwrite deletes the folder: never the current folder, one holding an input, or one
    holding anything an evaluation does not write. Each refusal leaves every file in place."""
    _, _, labels = dual_run
    preds = tmp_path / "work" / "careful.jsonl"
    preds.parent.mkdir()
    _write_judged(preds, list(labels["careful"]), 1, [1, 1, 1, 1, 0, 0])
    notes = tmp_path / "work" / "notes.txt"
    notes.write_text("mine")

    def run(out: Path | str, **kw: Any) -> dict:
        return run_evaluation(EvaluationRequest(
            "dual", dual_folder, [preds], judge="precomputed", n_boot=0, progress=False, **kw
            ), out, plots=False, overwrite=True).to_dict()

    monkeypatch.chdir(tmp_path / "work")
    for out, why in ((".", "current folder"), (tmp_path, "current folder"),
                     (tmp_path / "work", "current folder")):
        with pytest.raises(VLMSafetyError, match=why):
            run(out)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(VLMSafetyError, match="holds an input"):
        run(tmp_path / "work")
    with pytest.raises(VLMSafetyError, match="holds an input"):
        run_evaluation(EvaluationRequest(
            "dual", dual_folder, [preds], judge="precomputed", progress=False
            ), dual_folder.parent, overwrite=True)
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("x")
    with pytest.raises(VLMSafetyError, match=r"not an earlier evaluation's output.*'keep.txt'"):
        run(other)
    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(VLMSafetyError, match="is a file"):
        run(afile)
    assert notes.read_text() == "mine" and preds.is_file() and (other / "keep.txt").is_file()
    assert afile.read_text() == "x" and (dual_folder / "README.md").is_file()
    assert not list(tmp_path.glob(".*"))  # no temporary folder left behind
    # an earlier evaluation (or an empty folder) is replaced
    out = tmp_path / "out"
    first = run(out)
    (out / "plots").mkdir(exist_ok=True)
    again = run(out)
    assert again["models"].keys() == first["models"].keys()
    assert sorted(p.name for p in out.iterdir()) == ["judged", "report.md", "results.json"]
    (tmp_path / "empty").mkdir()
    run(tmp_path / "empty")


def test_model_names_that_share_a_file_name_get_distinct_files(dual_folder: Path,
                                                               dual_run: tuple,
                                                               tmp_path: Path) -> None:
    from vlmsafety.evaluation import ModelInput

    _, _, labels = dual_run
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_judged(a, list(labels["careful"]), 1, [4, 1, 4, 1, 0.2, 0.3])
    _write_judged(b, list(labels["careful"]), 2, [1, 1, 1, 6, 0.2, 0.3])
    models = [ModelInput("Qwen/Qwen2-VL", a), ModelInput("Qwen_Qwen2-VL", b)]
    res = run_evaluation(EvaluationRequest(
        "dual", dual_folder, models, judge="precomputed", n_boot=0, progress=False
        ), tmp_path / "out").to_dict()
    judged = sorted((tmp_path / "out" / "judged").iterdir())
    assert len(judged) == 2
    assert len(set(res["plots"])) == len(res["plots"])
    robustness = [p for p in res["plots"] if p.startswith("plots/robustness_")]
    assert len(robustness) == 4  # 2 models x harmful/benign, none overwritten
    assert all((tmp_path / "out" / p).is_file() for p in res["plots"])
    report = (tmp_path / "out" / "report.md").read_text()
    assert "### Robustness of Qwen/Qwen2-VL, harmful instructions" in report
    assert "### Robustness of Qwen_Qwen2-VL, benign instructions" in report
    assert " - " not in "".join(line for line in report.splitlines() if line.startswith("###"))


def test_config_selects_rows_of_a_full_predictions_file(dual_folder: Path, tmp_path: Path) -> None:
    """--config clean with predictions for every row: the perturbed rows' predictions are left
    out and counted (not "unknown ids"); an id in no config is still an error."""
    full = load_reference(dual_folder, "dual")
    preds = tmp_path / "m.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "response": "Sure, here it is."}) + "\n"
                             for i in full.ids))
    res = evaluate_models(EvaluationRequest(
        "dual", dual_folder, [preds], configs=["clean"], n_boot=0, progress=False)).to_dict()
    n_clean, n_perturbed = len(full.rows["clean"]), len(full.rows["perturbed"])
    p = res["models"]["m"]["predictions"]
    assert (p["n_lines"], p["n_other_configs"]) == (n_clean + n_perturbed, n_perturbed)
    assert res["models"]["m"]["scores"]["all"]["overall"]["direct_answer_rate"]["n"] == n_clean
    assert list(res["dataset"]["configs"]) == ["clean"]
    with preds.open("a") as f:
        f.write(json.dumps({"id": "no-such-row", "response": "x"}) + "\n")
    with pytest.raises(PredictionsFormatError, match="no-such-row"):
        evaluate_models(EvaluationRequest(
            "dual", dual_folder, [preds], configs=["clean"], n_boot=0, progress=False))


def test_dataset_is_identified_by_shard_checksums_and_bad_paths_fail_fast(
    dual_folder: Path, dual_run: tuple, tmp_path: Path
) -> None:
    from vlmsafety.errors import DatasetNotFoundError
    from vlmsafety.hub import file_sha256

    _, res, _ = dual_run
    shards = sorted(dual_folder.glob("data/*/*.parquet"))
    assert res["dataset"]["files"] == {f.relative_to(dual_folder).as_posix(): file_sha256(f)
                                       for f in shards}
    assert res["dataset"]["revision"] is None and res["warnings"] == []
    assert res["dataset"]["image_source"] == {}  # DUAL rows are all rendered by the builder
    for bad in (tmp_path / "nope", "./nope", "out/dual/nope"):
        with pytest.raises(DatasetNotFoundError, match=r"does not exist \(and it is not a Hub repo id"):
            load_reference(bad, "dual")
    with pytest.raises(DatasetNotFoundError, match="there is no local folder of that name either"):
        load_reference("owner/missing-dataset", "dual")  # the Hub is off in tests
