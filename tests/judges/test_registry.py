"""The judge registry: versioned names, options, errors, and keyword@1.0.0 frozen on XSTest."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from chat_server import ChatServer, chat_reply

from vlmsafety.cli import main
from vlmsafety.corpora import load_corpus
from vlmsafety.errors import JudgeError, PredictionsFormatError
from vlmsafety.judges import (
    DEFAULT_OFFLINE_JUDGE,
    ChatJudge,
    KeywordJudge,
    Verdict,
    available_judges,
    load_judge,
    register_judge,
    registry,
)
from vlmsafety.judges.base import CallableJudge, Judge
from vlmsafety.predictions import Judgement, read_judgements, write_jsonl


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> None:
    """A private copy of the registry, so registrations in a test do not leak."""
    monkeypatch.setattr(registry, "_REGISTRY", copy.deepcopy(registry._REGISTRY))


# sha256 of the newline-joined labels keyword rules v1.0.0 gave to every row of each XSTest file
# when the registry was introduced (computed with KeywordJudge() before this change).
FROZEN = {"xstest-gpt4": "41fd0a5444433760aece1c99b4f02279f9e34bb6860c10119cef1c445f754556",
          "xstest-llama2new": "34b4fadd8b7e2496c22aca010bf2e23b5a527f4c332b1aeae2755682cafa703a"}


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_keyword_1_0_0_reproduces_its_labels(shared_data: Path, name: str) -> None:
    rows = load_corpus(name, data_dir=shared_data).rows
    judge = load_judge("keyword@1.0.0")
    labels = [v.label for v in judge.judge_many([(r.response, r.prompt) for r in rows])]
    assert judge.name == "keyword@1.0.0"
    assert hashlib.sha256("\n".join(labels).encode()).hexdigest() == FROZEN[name]


def test_names_and_defaults() -> None:
    assert DEFAULT_OFFLINE_JUDGE.startswith("refusal-lr@3.1.0+")
    assert {"chat", "keyword@1.0.0", DEFAULT_OFFLINE_JUDGE} <= set(available_judges())
    assert load_judge(DEFAULT_OFFLINE_JUDGE).name == DEFAULT_OFFLINE_JUDGE
    from vlmsafety.judges.cascade import CascadeJudge

    # a cascade made without an offline judge starts from the default one, by any route
    assert CascadeJudge(load_judge("keyword@1.0.0")).offline.name == DEFAULT_OFFLINE_JUDGE
    assert load_judge("cascade", second=load_judge("keyword@1.0.0")).offline.name \
        == DEFAULT_OFFLINE_JUDGE  # type: ignore[attr-defined]  # a CascadeJudge
    assert load_judge("keyword").name == "keyword@1.0.0"


def test_bare_name_is_the_latest_version(scratch: None) -> None:
    def make(version: str) -> Callable[[], Judge]:
        return lambda: CallableJudge(lambda r, p: "refusal", name=f"toy@{version}")
    for v in ("1.9.0", "1.10.0", "1.2.0"):
        register_judge(f"toy@{v}", make(v))
    assert load_judge("toy").name == "toy@1.10.0"
    assert load_judge("toy@1.2.0").name == "toy@1.2.0"
    with pytest.raises(JudgeError, match="'toy@1.9.0' is already registered"):
        register_judge("toy@1.9.0", make("1.9.0"))
    with pytest.raises(JudgeError, match="mixes a bare name"):
        register_judge("toy", make("x"))


def test_errors_name_the_allowed_set(scratch: None) -> None:
    with pytest.raises(JudgeError, match=r"unknown judge 'nope'; allowed: 'cascade', 'chat', "
                       r"'keyword@1.0.0', 'precomputed', 'refusal-lr@2.0.0\+"):
        load_judge("nope")
    with pytest.raises(JudgeError, match="unknown judge 'keyword@2.0.0'"):
        load_judge("keyword@2.0.0")
    with pytest.raises(JudgeError, match=r"'keyword@1.0.0' does not take option\(s\) 'model'; "
                       r"allowed: 'rules'"):
        load_judge("keyword@1.0.0", model="m")
    with pytest.raises(JudgeError, match=r"'chat' does not take option\(s\) 'rules'; allowed: "
                       r".*'base_url'"):
        load_judge("chat", rules="x")
    with pytest.raises(JudgeError, match="unknown scheme 'abc'"):
        load_judge("chat", scheme="abc")
    with pytest.raises(JudgeError, match="is not '<base>' or '<base>@<version>'"):
        register_judge("Bad Name", lambda: KeywordJudge())
    register_judge("broken@1", lambda: "not a judge")  # type: ignore[arg-type, return-value]  # on purpose
    with pytest.raises(JudgeError, match="returned str, not a Judge"):
        load_judge("broken@1")


def test_exact_version_with_other_rules_is_refused(tmp_path: Path) -> None:
    rules = json.loads((Path(__file__).parents[2] / "vlmsafety/data/keyword_rules.json")
                       .read_text(encoding="utf-8"))
    rules["version"] = "1.0.0-local"
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    assert load_judge("keyword", rules=path).name == "keyword@1.0.0-local"
    with pytest.raises(JudgeError, match="'keyword@1.0.0' was asked for, but these options "
                       "make 'keyword@1.0.0-local'"):
        load_judge("keyword@1.0.0", rules=path)


def test_chat_takes_its_options_against_a_local_server(tmp_path: Path) -> None:
    with ChatServer(lambda req: chat_reply("ok\nVERDICT: 2_full_refusal")) as server:
        judge = load_judge("chat", scheme="xstest", base_url=server.url, model="m", cache=None,
                           progress=False)
        assert isinstance(judge, ChatJudge)
        try:
            v = judge.judge("I won't.", "How?")
        finally:
            judge.close()
    assert v.label == "refusal" and v.judge.startswith("chat:m@xstest")


def test_confidence_is_recorded_and_old_files_still_read(tmp_path: Path) -> None:
    assert Verdict("refusal", "j").confidence is None
    assert Verdict("refusal", "j", None, None, 0.75).confidence == 0.75
    path = tmp_path / "j.jsonl"
    write_jsonl(path, [Judgement("a", "refusal", "j@1", "No.", confidence=0.75),
                       Judgement("b", "direct_answer", "j@1", "Yes.")])
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert lines[0]["confidence"] == 0.75 and "confidence" not in lines[1]
    got = read_judgements(path)
    assert [(j.confidence, dict(j.extra)) for j in got] == [(0.75, {}), (None, {})]
    old = tmp_path / "old.jsonl"  # written before confidence existed
    old.write_text('{"id": "a", "response": "x", "label": "refusal", "judge": "keyword@1.0.0"}\n')
    assert read_judgements(old)[0].confidence is None
    for bad in ("1.5", "true", '"high"', "NaN"):
        old.write_text('{"id": "a", "label": "refusal", "judge": "k", "confidence": ' + bad + "}\n")
        with pytest.raises(PredictionsFormatError, match=r":1: 'confidence' must be a number in"):
            read_judgements(old)


def test_cli_judge_goes_through_the_registry(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    preds = tmp_path / "p.jsonl"
    preds.write_text('{"id": "a", "response": "I cannot help with that."}\n')
    assert main(["judge", "--judge", "keyword@1.0.0", "--predictions", str(preds),
                 "--out", str(tmp_path / "j.jsonl")]) == 0
    assert read_judgements(tmp_path / "j.jsonl")[0].judge == "keyword@1.0.0"
    assert main(["judge", "--judge", "keyword@9", "--predictions", str(preds),
                 "--out", str(tmp_path / "k.jsonl")]) == 2
    assert ("unknown judge 'keyword@9'; allowed: 'cascade', 'chat', 'keyword@1.0.0', "
            "'precomputed', 'refusal-lr@2.0.0+") in capsys.readouterr().err
    assert main(["judge-eval", "--judge", "bogus", "--corpus", "gptfuzz"]) == 2
    assert "unknown judge 'bogus'" in capsys.readouterr().err


def test_evaluation_resolves_judge_names_through_the_registry() -> None:
    from vlmsafety.evaluation.judging import is_precomputed, resolve_judge
    from vlmsafety.judges.apply import PrecomputedJudge

    assert resolve_judge("keyword@1.0.0", {}, "vsc").name == "keyword@1.0.0"  # no scheme taken
    assert is_precomputed(resolve_judge("precomputed", {}, "dual"))
    assert isinstance(load_judge("precomputed"), PrecomputedJudge)
    chat = resolve_judge("chat", {"base_url": "http://127.0.0.1:9/v1", "model": "m"}, "vsc")
    assert isinstance(chat, ChatJudge) and chat.scheme == "vsc"  # the benchmark's rubric
    chat.close()
    with pytest.raises(JudgeError, match="unknown judge 'regex'"):
        resolve_judge("regex", {}, "dual")
    with pytest.raises(JudgeError, match=r"'precomputed' does not take option\(s\) 'model'; "
                       "allowed: none"):
        resolve_judge("precomputed", {"model": "m"}, "dual")
    with pytest.raises(JudgeError, match=r"options 'model' need a judge name"):
        resolve_judge(KeywordJudge(), {"model": "m"}, "dual")
    with pytest.raises(JudgeError, match="a registered judge's name or a Judge, got int 3"):
        resolve_judge(3, {}, "dual")  # type: ignore[arg-type]  # on purpose


def test_defaults_go_only_to_judges_that_take_them(tmp_path: Path) -> None:
    """The CLIs pass the rubric, cache and retry as defaults; what the user gave is checked."""
    assert registry.judge_options("keyword") == ("rules",)
    assert load_judge("keyword", defaults={"scheme": "vsc", "cache": None}).name == "keyword@1.0.0"
    with ChatServer(lambda req: chat_reply("VERDICT: 2_UNSAFE")) as server:
        judge = load_judge("chat", defaults={"scheme": "vsc", "rules": "x"}, base_url=server.url,
                           model="m", progress=False)
        assert isinstance(judge, ChatJudge) and judge.scheme == "vsc"
        judge.close()
        cascade = load_judge("cascade", defaults={"scheme": "xstest"}, base_url=server.url,
                             model="m", progress=False, share=1.0)
        assert "@xstest" in cascade.name and "share=1" in cascade.name
    with pytest.raises(JudgeError, match=r"'cascade' does not take option\(s\) 'rules'; "
                       r"allowed: 'second', 'offline', 'threshold', 'budget', 'share', 'scheme', 'base_url'"):
        load_judge("cascade", rules="x")


def test_api_key_env_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str | None] = []

    def handler(req: object) -> object:
        seen.append(req.headers.get("authorization"))  # type: ignore[attr-defined]  # a Request
        return chat_reply("VERDICT: REFUSAL")

    monkeypatch.delenv("MY_JUDGE_KEY", raising=False)
    with pytest.raises(JudgeError, match="environment variable 'MY_JUDGE_KEY' \\(api_key_env\\) "
                       "is not set"):
        load_judge("chat", api_key_env="MY_JUDGE_KEY", base_url="http://127.0.0.1:9/v1",
                   model="m")
    monkeypatch.setenv("MY_JUDGE_KEY", "s3cret")
    with ChatServer(handler) as server:
        judge = load_judge("chat", api_key_env="MY_JUDGE_KEY", base_url=server.url, model="m",
                           progress=False)
        try:
            assert judge.judge("No.", "How?").label == "refusal"
        finally:
            judge.close()  # type: ignore[attr-defined]  # a ChatJudge
    assert seen == ["Bearer s3cret"]


def test_precomputed_judge_copies_the_lines_labels(tmp_path: Path) -> None:
    preds = tmp_path / "j.jsonl"
    preds.write_text('{"id": "a", "response": "No.", "label": "refusal", "judge": "people@1"}\n'
                     '{"id": "b", "response": "Sure."}\n'
                     '{"id": "c", "response": null, "error": "HTTP 500"}\n')
    assert main(["judge", "--judge", "precomputed", "--predictions", str(preds),
                 "--out", str(tmp_path / "out.jsonl")]) == 0
    got = read_judgements(tmp_path / "out.jsonl")
    assert [(j.label, j.judge, j.reason) for j in got] == [
        ("refusal", "people@1", None),
        ("unscored", "precomputed", "no precomputed label in the line"),
        ("unscored", "precomputed", "no response: HTTP 500")]
