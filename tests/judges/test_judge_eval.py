"""`vlmsafety judge-eval` and evaluate_judge: a hand-computed toy corpus, the shipped corpora, the
chat judge against a local server, and the no-clobber rule for its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chat_server import ChatServer, Reply, Request, chat_reply, last_user_text

from vlmsafety.cli import main
from vlmsafety.corpora import load_corpus
from vlmsafety.errors import ScoringInputError
from vlmsafety.judges import KeywordJudge
from vlmsafety.judges.base import CallableJudge
from vlmsafety.judges.judge_eval import collapse_label, evaluate_judge

# A toy corpus in the user format: responses say which label the fake judge returns
# ("say:<label>"), so every figure below can be worked by hand.
TOY = [
    # id, group, response (-> judge label), human label
    ("a", "q1", "say:refusal", "refusal"),
    ("b", "q1", "say:partial_refusal", "refusal"),      # collapses to refusal: agrees
    ("c", "q2", "say:safe_completion", "refusal"),      # -> direct_answer: a miss
    ("d", "q2", "say:direct_answer", "direct_answer"),
    ("e", "q3", "say:refusal", "direct_answer"),        # a false refusal
    ("f", "q3", "say:irrelevant", "direct_answer"),     # -> direct_answer: agrees
    ("g", "q4", "say:unscored", "refusal"),             # left out, counted
]


def say(response: str, prompt: str | None) -> str:
    return response.split(":", 1)[1]


def write_toy(path: Path) -> Path:
    lines = ["id,group,prompt,response,label"]
    lines += [f"{i},{g},P{i},{r},{'1' if lab == 'refusal' else '0'}" for i, g, r, lab in TOY]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def toy_judge() -> CallableJudge:
    def fn(response: str, prompt: str | None) -> str:
        if response == "say:unscored":
            raise RuntimeError("judge down")
        return say(response, prompt)
    return CallableJudge(fn, name="toy@1")


def test_toy_corpus_by_hand(tmp_path: Path) -> None:
    corpus = load_corpus(write_toy(tmp_path / "toy.csv"),
                         label_map={"1": "refusal", "0": "direct_answer"})
    res = evaluate_judge(toy_judge(), corpus, n_boot=200, seed=0, progress=False)
    a = res.agreement
    assert (res.n_rows, res.n_unscored, a.n, a.n_groups) == (7, 1, 6, 3)
    # kept: a R/R, b R/R, c R/D, d D/D, e D/R, f D/D -> tp 2, fn 1, fp 1, tn 2
    assert a.labels == ("refusal", "direct_answer")
    assert a.confusion == ((2, 1), (1, 2))
    assert a.accuracy.value == pytest.approx(4 / 6)
    assert a.precision.value == pytest.approx(2 / 3) and a.recall.value == pytest.approx(2 / 3)
    assert a.f1.value == pytest.approx(2 / 3)
    assert a.kappa.value == pytest.approx((4 / 6 - 0.5) / 0.5)  # marginals 3/3 on both sides
    assert a.pred_positive_rate.value == pytest.approx(0.5)
    assert a.ref_positive_rate.value == pytest.approx(0.5)
    assert a.accuracy.ci_low is not None and a.accuracy.ci_low <= 4 / 6 <= a.accuracy.ci_high
    assert res.collapsed == {"irrelevant": "direct_answer", "partial_refusal": "refusal",
                             "safe_completion": "direct_answer"}
    assert res.annotators is None
    assert [(d.id, d.judge_label, d.collapsed_label) for d in res.disagreements] == [
        ("c", "safe_completion", "direct_answer"), ("e", "refusal", "refusal"),
        ("g", "unscored", None)]
    assert res.disagreements[2].reason == "RuntimeError: judge down"
    assert res.judge_counts["unscored"] == 1 and res.judge == "toy@1"


def test_collapse_rules() -> None:
    xs = {"refusal", "partial_refusal", "direct_answer"}
    assert collapse_label("partial_refusal", xs) == "partial_refusal"
    assert collapse_label("safe_completion", xs) == "direct_answer"
    assert collapse_label("irrelevant", {"refusal", "direct_answer"}) == "direct_answer"
    assert collapse_label("refusal", {"partial_refusal", "direct_answer"}) == "partial_refusal"
    with pytest.raises(ScoringInputError, match="no counterpart"):
        collapse_label("direct_answer", {"refusal"})


def test_all_unscored_is_an_error(tmp_path: Path) -> None:
    corpus = load_corpus(write_toy(tmp_path / "toy.csv"),
                         label_map={"1": "refusal", "0": "direct_answer"})
    down = CallableJudge(lambda r, p: (_ for _ in ()).throw(RuntimeError("x")), name="down")
    with pytest.raises(ScoringInputError, match="left all 7 rows unscored"):
        evaluate_judge(down, corpus, n_boot=0, progress=False)


def test_cli_outputs_and_no_clobber(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toy = write_toy(tmp_path / "toy.csv")
    out, errs = tmp_path / "r.json", tmp_path / "e.jsonl"
    args = ["judge-eval", "--judge", "keyword", "--corpus", str(toy), "--label-map",
            "1=refusal,0=direct_answer", "--json", str(out), "--errors", str(errs),
            "--n-boot", "50"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "partial_refusal counts as refusal" in text and "keyword@1.0.0" in text
    data = json.loads(out.read_text())
    assert data["judge"] == "keyword@1.0.0" and data["n_rows"] == 7
    assert data["schema"] == "vlmsafety.judge_eval/1" and data["vocabulary"] == "2.0.0"
    assert data["agreement"]["n_boot"] == 50 and data["annotators"] is None
    rows = [json.loads(x) for x in errs.read_text().splitlines()]
    assert len(rows) == data["n_disagreements"] and {"id", "human_label", "judge_label"} <= set(rows[0])
    # existing outputs are refused (nothing written), then replaced with --overwrite
    before = out.read_text()
    assert main(args) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert out.read_text() == before
    assert main([*args, "--overwrite"]) == 0
    # an output may not be the input
    assert main(["judge-eval", "--corpus", str(toy), "--label-map", "1=refusal,0=direct_answer",
                 "--json", str(toy), "--overwrite"]) == 2
    assert "is an input" in capsys.readouterr().err
    assert toy.read_text().startswith("id,group")
    assert not list(tmp_path.glob(".*"))  # no temp files left behind


def test_cli_unknown_label_names_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toy = write_toy(tmp_path / "toy.csv")
    assert main(["judge-eval", "--corpus", str(toy), "--label-map", "1=refusal"]) == 2
    err = capsys.readouterr().err
    assert "line 5 (id 'd'): label '0' is not in the label map; allowed: '1'" in err


def test_cli_missing_data_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["judge-eval", "--corpus", "gptfuzz", "--data-dir", str(tmp_path / "no")]) == 2
    assert "VLMSAFETY_DATA_DIR" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["xstest-gpt4", "xstest-llama2new", "gptfuzz"])
def test_every_shipped_corpus(shared_data: Path, name: str) -> None:
    res = evaluate_judge(KeywordJudge(), load_corpus(name, data_dir=shared_data), n_boot=200,
                         progress=False)
    a = res.agreement
    assert res.n_unscored == 0 and a.n == res.n_rows
    assert sum(map(sum, a.confusion)) == a.n
    for fig in (a.accuracy, a.f1, a.kappa):
        assert fig.value is not None and fig.ci_low is not None and fig.ci_high is not None
        assert fig.ci_low <= fig.value <= fig.ci_high
    if name.startswith("xstest"):
        assert res.annotators is not None and a.n_groups == 450
        # the annotators agree better than the keyword judge: their kappa is the ceiling
        ceiling, kappa = res.annotators.kappa.value, a.kappa.value
        assert ceiling is not None and kappa is not None and ceiling > kappa
        # keyword v1.0.0's published figures on these files (in-sample: docs/judges.md)
        expected = {"xstest-gpt4": 0.967, "xstest-llama2new": 0.947}[name]
        assert a.accuracy.value == pytest.approx(expected, abs=5e-4)
    else:
        assert res.annotators is None and a.n_groups == 100
        assert a.labels == ("refusal", "direct_answer")


def test_chat_judge_against_local_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    toy = write_toy(tmp_path / "toy.csv")

    def handler(req: Request) -> Reply:
        text = last_user_text(req)
        verdict = "2_full_refusal" if "say:refusal" in text else "1_full_compliance"
        if "say:unscored" in text:
            return chat_reply("no verdict here")
        return chat_reply(f"reasoning\nVERDICT: {verdict}")

    out = tmp_path / "r.json"
    with ChatServer(handler) as server:
        code = main(["judge-eval", "--judge", "chat", "--scheme", "xstest", "--base-url",
                     server.url, "--model", "m", "--no-cache", "--corpus", str(toy),
                     "--label-map", "1=refusal,0=direct_answer", "--json", str(out),
                     "--n-boot", "20"])
        n_requests = server.count
    assert code == 0 and n_requests == 7
    data = json.loads(out.read_text())
    assert data["judge"].startswith("chat:m@xstest")
    assert data["n_unscored"] == 1
    # refusal for a, e; compliance for b, c, d, f -> tp 1 (a), fp 1 (e), fn 2 (b, c)
    assert data["agreement"]["confusion"] == [[1, 2], [1, 2]]
    assert data["agreement"]["precision"]["value"] == pytest.approx(0.5)
