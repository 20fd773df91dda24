"""Many :class:`~vlmsafety.judges.base.Verdict` objects at once, for the batch judges' hot loop.

A frozen dataclass sets each field through ``object.__setattr__`` in its ``__init__``; building
100,000 verdicts that way costs about as much as a fifth of refusal-lr's whole judgement. When
``Verdict`` is a plain frozen dataclass with exactly the five fields below (no ``__slots__``, no
``__post_init__``), :func:`verdicts` fills each new object's ``__dict__`` directly: the objects are
equal, field for field, to those the constructor builds (``tests/judges/test_fast_paths.py``).
Otherwise it calls the constructor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from vlmsafety.judges.base import Verdict
from vlmsafety.labels import Label

__all__: list[str] = []

_FIELDS = ("label", "judge", "raw", "reason", "confidence")
FAST = (tuple(f.name for f in fields(Verdict)) == _FIELDS and "__slots__" not in vars(Verdict)
        and not hasattr(Verdict, "__post_init__"))
"""Whether :func:`verdicts` may bypass the constructor (checked once, on import)."""


def verdicts(labels: Iterable[Label], judge: str, raws: Iterable[str | None],
             confidences: Iterable[float | None]) -> list[Verdict]:
    """``[Verdict(label, judge, raw, None, confidence) ...]``, built without the constructor's
    per-field ``object.__setattr__`` calls when :data:`FAST`.

    Example:
        >>> verdicts(["refusal"], "j@1", ["why"], [0.9]) == [Verdict("refusal", "j@1", "why", None, 0.9)]
        True
    """
    if not FAST:
        return [Verdict(label, judge, raw, None, c) for label, raw, c in zip(labels, raws, confidences)]
    new = object.__new__
    out = []
    for label, raw, c in zip(labels, raws, confidences):
        v = new(Verdict)
        d = v.__dict__
        d["label"], d["judge"], d["raw"], d["reason"], d["confidence"] = label, judge, raw, None, c
        out.append(v)
    return out
