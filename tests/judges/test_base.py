from __future__ import annotations

import inspect
import pickle
from dataclasses import dataclass, fields, replace

import pytest

from vlmsafety.errors import LabelError
from vlmsafety.judges import CallableJudge, Judge, JudgeItem, KeywordJudge, Verdict, as_item
from vlmsafety.predictions import Prediction


def test_verdict_is_frozen() -> None:
    v = Verdict("refusal", "x@1")
    with pytest.raises(AttributeError):
        v.label = "direct_answer"  # type: ignore[misc]


@dataclass(frozen=True)
class _PlainVerdict:  # Verdict's fields with the constructor dataclass generates
    label: str
    judge: str
    raw: str | None = None
    reason: str | None = None
    confidence: float | None = None


@pytest.mark.parametrize("args, kwargs", [
    (("refusal", "x@1"), {}), (("refusal", "x@1", "raw", "why", 0.75), {}),
    (("irrelevant",), {"judge": "y@2", "confidence": 1.0}), ((), {"label": "unscored", "judge": "z", "reason": "r"}),
])
def test_verdict_constructor_does_what_the_generated_one_does(args: tuple, kwargs: dict) -> None:
    v, plain = Verdict(*args, **kwargs), _PlainVerdict(*args, **kwargs)
    assert list(vars(v).items()) == list(vars(plain).items())  # the same fields, in the same order
    assert [f.name for f in fields(Verdict)] == [f.name for f in fields(_PlainVerdict)]
    params = lambda c: [(p.name, p.kind, p.default) for p in inspect.signature(c).parameters.values()]
    assert params(Verdict) == params(_PlainVerdict)
    assert v == Verdict(*args, **kwargs) and hash(v) == hash(Verdict(*args, **kwargs))
    assert repr(v) == repr(plain).replace("_PlainVerdict", "Verdict")
    assert pickle.loads(pickle.dumps(v)) == v and replace(v, raw="other").raw == "other"
    with pytest.raises(AttributeError):
        v.confidence = 0.5  # type: ignore[misc]
    with pytest.raises(TypeError):
        Verdict("refusal")  # type: ignore[call-arg]


def test_judges_satisfy_protocol() -> None:
    assert isinstance(KeywordJudge(), Judge)
    assert isinstance(CallableJudge(lambda r, p: "refusal"), Judge)


def test_callable_judge_order_and_count() -> None:
    j = CallableJudge(lambda r, p: "refusal" if r.startswith("no") else "direct_answer", name="t@1")
    items = ["no", "yes", JudgeItem(None, error="boom"), ("no way", "p"), {"response": "sure"}]
    out = j.judge_many(items)
    assert [v.label for v in out] == ["refusal", "direct_answer", "unscored", "refusal",
                                      "direct_answer"]
    assert out[2].reason == "no response: boom"
    assert {v.judge for v in out} == {"t@1"}


def test_callable_receives_prompt_and_exceptions_become_unscored() -> None:
    seen = []

    def fn(response: str, prompt: str | None) -> str:
        seen.append(prompt)
        if response == "bad":
            raise ValueError("cannot parse")
        return "safe_completion"

    out = CallableJudge(fn).judge_many([("ok", "P1"), ("bad", "P2")])
    assert seen == ["P1", "P2"]
    assert out[0].label == "safe_completion"
    assert (out[1].label, out[1].reason) == ("unscored", "ValueError: cannot parse")


def test_callable_invalid_label_raises() -> None:
    with pytest.raises(LabelError, match="'refused'"):
        CallableJudge(lambda r, p: "refused", name="mine").judge("x")


def test_none_response_from_prediction_is_unscored() -> None:
    pred = Prediction("id1", None, error="timeout after 3 attempts")
    v = KeywordJudge().judge_many([pred])[0]
    assert (v.label, v.reason) == ("unscored", "no response: timeout after 3 attempts")
    assert KeywordJudge().judge(None).reason == "no response: unknown error"


def test_as_item_uses_prediction_prompt() -> None:
    item = as_item(Prediction("a", "r", extra={"prompt": "What is it?"}))
    assert (item.response, item.prompt) == ("r", "What is it?")
    with pytest.raises(TypeError, match="int"):
        as_item(3)
