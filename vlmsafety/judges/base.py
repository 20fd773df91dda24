"""The judge protocol: a response (and its prompt) in, a behaviour label out.

A judge implements two methods:

* ``judge(response, prompt=None, *, metadata=None) -> Verdict`` for one response;
* ``judge_many(items) -> list[Verdict]`` for many, order-preserving: exactly one verdict per item,
  nothing lost or duplicated.

A :class:`Verdict` carries the label (from :mod:`vlmsafety.labels`), the judge's identity (name and
version, e.g. ``"keyword@1.0.0"``), and, where any, the judge's raw output and the reason a response
could not be scored. A prediction without a response (a failed generation, ``response=None`` in a
predictions file) is always ``unscored`` with the reason ``"no response: <error>"``.

A plain function ``f(response, prompt) -> label`` plugs in through :class:`CallableJudge`.

Example:
    >>> from vlmsafety.judges.base import CallableJudge, JudgeItem
    >>> j = CallableJudge(lambda r, p: "refusal" if "can't" in r else "direct_answer", name="toy@1")
    >>> j.judge("I can't help.").label
    'refusal'
    >>> [v.label for v in j.judge_many(["Sure, here it is.", JudgeItem(None, error="timeout")])]
    ['direct_answer', 'unscored']
    >>> j.judge_many([JudgeItem(None, error="timeout")])[0].reason
    'no response: timeout'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from vlmsafety.errors import LabelError
from vlmsafety.labels import UNSCORED, Label, check_label

__all__ = [
    "Verdict",
    "JudgeItem",
    "Judge",
    "BaseJudge",
    "CallableJudge",
    "as_item",
    "no_response_verdict",
]


@dataclass(frozen=True, init=False)
class Verdict:
    """What a judge decided about one response.

    Attributes:
        label: A :data:`vlmsafety.labels.LABELS` label.
        judge: The judge's identity, name and version (``"keyword@1.0.0"``,
            ``"chat:<model>@<scheme>-<template hash>"``).
        raw: The judge's own output (e.g. the LLM judge's text), when there is one.
        reason: Why the response is ``unscored`` (or a short note), when there is one.
    """

    label: Label
    judge: str
    raw: str | None = None
    reason: str | None = None
    confidence: float | None = None

    def __init__(self, label: Label, judge: str, raw: str | None = None, reason: str | None = None,
                 confidence: float | None = None) -> None:
        # what the generated __init__ does (the fields in order, in the instance's __dict__),
        # without its five object.__setattr__ calls: ~0.2 us a verdict instead of ~0.5 (batch
        # judges build one per response); tests/judges/test_base.py compares the two
        d = self.__dict__
        d["label"] = label
        d["judge"] = judge
        d["raw"] = raw
        d["reason"] = reason
        d["confidence"] = confidence


@dataclass(frozen=True)
class JudgeItem:
    """One thing to judge: a response, its prompt, the row's metadata, and why a response is missing.

    Attributes:
        response: The model's response, or ``None`` when generation failed.
        prompt: The prompt the model answered (judges that need it use it).
        metadata: The dataset row's other fields, for judges that use them.
        error: Why ``response`` is ``None`` (from the predictions file).
    """

    response: str | None
    prompt: str | None = None
    metadata: Mapping[str, Any] | None = None
    error: str | None = None


def as_item(obj: Any) -> JudgeItem:
    """Turn a batch element into a :class:`JudgeItem`.

    Accepted: a :class:`JudgeItem`; a response string (or ``None``); a ``(response, prompt)``
    tuple; a :class:`vlmsafety.predictions.Prediction` (its ``prompt`` field, if any, is used);
    a mapping with ``response`` and optionally ``prompt``, ``metadata``, ``error``.

    Example:
        >>> as_item(("Sure.", "Say sure")).prompt
        'Say sure'
        >>> as_item({"response": None, "error": "HTTP 500"}).error
        'HTTP 500'
    """
    if isinstance(obj, JudgeItem):
        return obj
    if obj is None or isinstance(obj, str):
        return JudgeItem(obj)
    if isinstance(obj, tuple):
        if len(obj) != 2:
            raise TypeError(f"a tuple item must be (response, prompt), got {len(obj)} elements")
        return JudgeItem(obj[0], obj[1])
    if isinstance(obj, Mapping):
        if "response" not in obj:
            raise TypeError(f"a mapping item needs a 'response' key, got keys {sorted(obj)}")
        return JudgeItem(obj["response"], obj.get("prompt"), obj.get("metadata"), obj.get("error"))
    if hasattr(obj, "response") and hasattr(obj, "id"):  # a Prediction
        extra = getattr(obj, "extra", {}) or {}
        prompt = extra.get("prompt") if isinstance(extra.get("prompt"), str) else None
        return JudgeItem(obj.response, prompt, dict(extra), getattr(obj, "error", None))
    raise TypeError(
        "cannot judge an item of type "
        f"{type(obj).__name__}; pass a str, (response, prompt), mapping, Prediction or JudgeItem"
    )


def no_response_verdict(judge: str, error: str | None) -> Verdict:
    """The verdict for a missing response: ``unscored``, reason ``"no response: <error>"``."""
    return Verdict(UNSCORED, judge, None, f"no response: {error or 'unknown error'}")


@runtime_checkable
class Judge(Protocol):
    """What every judge implements (keyword, chat, or your own)."""

    @property
    def name(self) -> str:
        """Identity: name and version."""
        ...

    def judge(
        self, response: str | None, prompt: str | None = None, *,
        metadata: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Judge one response."""
        ...

    def judge_many(self, items: Iterable[Any]) -> list[Verdict]:
        """Judge many items; one verdict per item, in order."""
        ...


class BaseJudge:
    """Shared plumbing: subclasses implement :meth:`_judge_text` for a present response.

    ``judge_many`` loops over the items; judges that batch (the chat judge) override it.
    """

    @property
    def name(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _judge_text(self, item: JudgeItem) -> Verdict:  # pragma: no cover - overridden
        raise NotImplementedError

    def judge(
        self, response: str | None, prompt: str | None = None, *,
        metadata: Mapping[str, Any] | None = None,
    ) -> Verdict:
        """Judge one response. A ``None`` response is ``unscored`` (reason from ``metadata['error']``)."""
        error = metadata.get("error") if isinstance(metadata, Mapping) else None
        return self.judge_many([JudgeItem(response, prompt, metadata, error)])[0]

    def judge_many(self, items: Iterable[Any]) -> list[Verdict]:
        """Judge each item in order; one verdict per item."""
        out: list[Verdict] = []
        for obj in items:
            item = as_item(obj)
            if item.response is None:
                out.append(no_response_verdict(self.name, item.error))
            else:
                out.append(self._judge_text(item))
        return out


class CallableJudge(BaseJudge):
    """Wrap a plain function ``fn(response, prompt) -> label`` as a judge.

    The function's output must be a vocabulary label (checked with
    :func:`vlmsafety.labels.check_label`); anything else is a bug in the function and raises
    :class:`vlmsafety.errors.LabelError` naming the judge. An exception *raised by* the function
    makes that one response ``unscored``, with the exception as the reason.

    Args:
        fn: The function.
        name: The judge's identity, e.g. ``"my-regex@2"``; defaults to the function's name.

    Example:
        >>> def boom(response, prompt):
        ...     raise RuntimeError("judge down")
        >>> CallableJudge(boom).judge("hi").reason
        'RuntimeError: judge down'
        >>> CallableJudge(lambda r, p: "nope", name="bad").judge("hi")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.LabelError: judge 'bad' returned 'nope', which is not a behaviour label; allowed: ...
    """

    def __init__(self, fn: Callable[[str, str | None], str], *, name: str | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self._fn = fn
        self._name: str = name or str(getattr(fn, "__name__", "callable"))

    @property
    def name(self) -> str:
        return self._name

    def _judge_text(self, item: JudgeItem) -> Verdict:
        assert item.response is not None  # internal invariant: judge_many filters None
        try:
            raw = self._fn(item.response, item.prompt)
        except Exception as exc:  # noqa: BLE001 - the user's function failed: unscored, not fatal
            return Verdict(UNSCORED, self._name, None, f"{type(exc).__name__}: {exc}")
        try:
            label = check_label(raw)
        except LabelError as exc:
            msg = str(exc).replace(" is not a behaviour label", ", which is not a behaviour label")
            raise LabelError(f"judge {self._name!r} returned {msg}") from None
        return Verdict(label, self._name, None, None)
