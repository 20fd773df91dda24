"""Predictions and judgements as JSONL, keyed by the dataset row ``id``.

Predictions file, one JSON object per line::

    {"id": "dual-sample-0001", "response": "The image says ...", "model": "my-vlm"}

``id`` (string) and ``response`` (string) are required; ``model`` is optional; other keys are
kept. A response that could not be collected is recorded as ``"response": null`` with a non-empty
``"error"`` string (never as an empty response); judges turn it into ``unscored``.

Judged files add ``label`` (a :mod:`vlmsafety.labels` label) and ``judge`` (judge name and version),
and optionally ``reason`` / ``raw`` (what the judge said).

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "preds.jsonl"
    >>> write_jsonl(p, [{"id": "a", "response": "Sure."}, {"id": "b", "response": "I can't."}])
    >>> [r.id for r in read_predictions(p)]
    ['a', 'b']
    >>> _ = p.write_text('{"id": "a", "response": "x"}\\n{"id": "a", "response": "y"}\\n')
    >>> read_predictions(p)
    Traceback (most recent call last):
    ...
    vlmsafety.errors.PredictionsFormatError: ...preds.jsonl:2: duplicate id 'a' (first seen on line 1)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import InvalidArgumentError, PredictionsFormatError
from vlmsafety.labels import LABELS, Label

__all__ = [
    "Prediction",
    "Judgement",
    "MissingPolicy",
    "read_predictions",
    "read_judgements",
    "write_jsonl",
    "iter_jsonl",
    "check_coverage",
]

MissingPolicy = Literal["error", "skip"]
_MISSING_POLICIES: tuple[MissingPolicy, ...] = ("error", "skip")
_SHOW = 10  # ids listed in an error message before "and N more"


@dataclass(frozen=True)
class Prediction:
    """One model response to one dataset row."""

    id: str
    response: str | None
    model: str | None = None
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "response": self.response}
        if self.model is not None:
            out["model"] = self.model
        if self.error is not None:
            out["error"] = self.error
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class Judgement:
    """A judged prediction: the behaviour label and the judge that gave it.

    ``confidence`` is the judge's confidence in the label, in [0, 1], when the judge gives one
    (written as ``"confidence"``; files without it still read, as ``None``).
    """

    id: str
    label: Label
    judge: str
    response: str | None = None
    model: str | None = None
    reason: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "response": self.response}
        if self.model is not None:
            out["model"] = self.model
        out["label"] = self.label
        out["judge"] = self.judge
        if self.reason is not None:
            out["reason"] = self.reason
        if self.confidence is not None:
            out["confidence"] = self.confidence
        out.update(self.extra)
        return out


def _preview(ids: Collection[str]) -> str:
    shown = sorted(ids)[:_SHOW]
    more = len(ids) - len(shown)
    return ", ".join(map(repr, shown)) + (f" and {more} more" if more > 0 else "")


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; bad JSON raises with the line."""
    p = Path(path)
    if not p.is_file():
        raise PredictionsFormatError("file not found", path=str(p))
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PredictionsFormatError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                                             path=str(p), line=lineno) from None
            if not isinstance(obj, dict):
                raise PredictionsFormatError(
                    f"expected a JSON object, got {type(obj).__name__}", path=str(p), line=lineno
                )
            yield lineno, obj


def _read_common(
    path: str | os.PathLike[str], known_ids: Collection[str] | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    seen: dict[str, int] = {}
    unknown: list[str] = []
    for lineno, obj in iter_jsonl(path):
        if "id" not in obj:
            raise PredictionsFormatError("missing required key 'id'", path=str(path), line=lineno)
        rid = obj["id"]
        if not isinstance(rid, str) or not rid:
            raise PredictionsFormatError(
                f"'id' must be a non-empty string, got {type(rid).__name__} {rid!r}",
                path=str(path), line=lineno,
            )
        if rid in seen:
            raise PredictionsFormatError(
                f"duplicate id {rid!r} (first seen on line {seen[rid]})", path=str(path), line=lineno
            )
        seen[rid] = lineno
        if known_ids is not None and rid not in known_ids:
            unknown.append(rid)
            continue
        yield lineno, obj
    if unknown:
        raise PredictionsFormatError(
            f"{len(unknown)} id(s) are not in the dataset: {_preview(unknown)}", path=str(path)
        )


def _check_response(obj: Mapping[str, Any], path: str, lineno: int) -> tuple[str | None, str | None]:
    if "response" not in obj:
        raise PredictionsFormatError("missing required key 'response'", path=path, line=lineno)
    response, error = obj["response"], obj.get("error")
    if error is not None and (not isinstance(error, str) or not error.strip()):
        raise PredictionsFormatError(
            f"'error' must be a non-empty string when present, got {error!r}", path=path, line=lineno
        )
    if response is None:
        if error is None:
            raise PredictionsFormatError(
                "'response' is null without an 'error' saying why; record failures with an error "
                "message, never as empty responses", path=path, line=lineno,
            )
    elif not isinstance(response, str):
        raise PredictionsFormatError(
            f"'response' must be a string, got {type(response).__name__}", path=path, line=lineno
        )
    model = obj.get("model")
    if model is not None and not isinstance(model, str):
        raise PredictionsFormatError(
            f"'model' must be a string when present, got {type(model).__name__}", path=path, line=lineno
        )
    return response, error


def read_predictions(
    path: str | os.PathLike[str], *, known_ids: Collection[str] | None = None
) -> list[Prediction]:
    """Read and validate a predictions JSONL file.

    Args:
        path: The file.
        known_ids: The dataset's ids; when given, any other id is an error (all of them listed).

    Raises:
        PredictionsFormatError: naming the file, the line and the reason: invalid JSON, not an
            object, missing ``id`` or ``response``, non-string ``id``/``response``/``model``,
            duplicate ``id``, ids unknown to the dataset.
    """
    out: list[Prediction] = []
    for lineno, obj in _read_common(path, known_ids):
        response, error = _check_response(obj, str(path), lineno)
        extra = {k: v for k, v in obj.items() if k not in ("id", "response", "model", "error")}
        out.append(Prediction(obj["id"], response, obj.get("model"), error, extra))
    return out


def read_judgements(
    path: str | os.PathLike[str], *, known_ids: Collection[str] | None = None
) -> list[Judgement]:
    """Read and validate a judged JSONL file (predictions plus ``label`` and ``judge``).

    Raises:
        PredictionsFormatError: as :func:`read_predictions`, plus a missing or unknown ``label``
            (the allowed set is named) and a missing ``judge``.
    """
    out: list[Judgement] = []
    for lineno, obj in _read_common(path, known_ids):
        label = obj.get("label")
        if "label" not in obj:
            raise PredictionsFormatError(
                "no 'label': this is not a judged file (judge it first, e.g. `vlmsafety judge`, "
                "or let `vlmsafety evaluate` judge it with --judge keyword|chat)",
                path=str(path), line=lineno,
            )
        if label not in LABELS:
            raise PredictionsFormatError(
                f"'label' {label!r} is not a behaviour label; allowed: {', '.join(LABELS)}",
                path=str(path), line=lineno,
            )
        judge = obj.get("judge")
        if not isinstance(judge, str) or not judge:
            raise PredictionsFormatError(
                f"'judge' must name the judge that gave the label, got {judge!r}",
                path=str(path), line=lineno,
            )
        confidence = obj.get("confidence")
        if confidence is not None and (
                isinstance(confidence, bool) or not isinstance(confidence, (int, float))
                or not 0.0 <= confidence <= 1.0):
            raise PredictionsFormatError(
                f"'confidence' must be a number in [0, 1] or null, got {confidence!r}",
                path=str(path), line=lineno,
            )
        response = obj.get("response")
        extra = {k: v for k, v in obj.items()
                 if k not in ("id", "response", "model", "label", "judge", "reason", "confidence")}
        out.append(Judgement(obj["id"], label, judge, response, obj.get("model"),
                             obj.get("reason"), extra,
                             None if confidence is None else float(confidence)))
    return out


def check_coverage(
    ids: Iterable[str], dataset_ids: Iterable[str], *, missing: MissingPolicy = "error"
) -> list[str]:
    """Compare predicted ids with the dataset's; return the missing ids (sorted).

    Args:
        ids: Ids that have a prediction.
        dataset_ids: Every id of the dataset (or of the config being scored).
        missing: ``"error"`` (default) raises when any dataset id has no prediction; ``"skip"``
            returns them so that scoring can leave them out and report their count.

    Example:
        >>> check_coverage(["a"], ["a", "b"], missing="skip")
        ['b']
        >>> check_coverage(["a"], ["a", "b"])
        Traceback (most recent call last):
        ...
        vlmsafety.errors.PredictionsFormatError: 1 dataset id(s) have no prediction: 'b'; pass missing='skip' to score without them
    """
    if missing not in _MISSING_POLICIES:
        raise InvalidArgumentError(f"missing must be one of {_MISSING_POLICIES}, got {missing!r}")
    have = set(ids)
    absent = sorted(i for i in dict.fromkeys(dataset_ids) if i not in have)
    if absent and missing == "error":
        raise PredictionsFormatError(
            f"{len(absent)} dataset id(s) have no prediction: {_preview(absent)}; "
            "pass missing='skip' to score without them"
        )
    return absent


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any] | Any]) -> None:
    """Write records (dicts, or objects with ``to_dict()``) as JSONL, atomically (temp + rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for rec in records:
                obj = rec.to_dict() if hasattr(rec, "to_dict") else dict(rec)
                fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
