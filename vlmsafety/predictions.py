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

import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import InvalidArgumentError, PredictionsFormatError
from vlmsafety.labels import LABELS, Label
from vlmsafety.storage import jsonl as storage_jsonl
from vlmsafety.storage.jsonl import write_jsonl

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


_IMPORT_HINT = ("convert it with `vlmsafety import-predictions` (table: CSV/TSV/xlsx/parquet "
                "with a column mapping; lmms-eval and vlmevalkit: those tools' files)")
_BINARY = ((b"PAR1", "a parquet file"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
           (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a zip archive (an xlsx workbook?)"),
           (b"SQLite format 3", "an SQLite database (a cache?)"))
_CONVERTIBLE = ("a parquet file", "a zip archive (an xlsx workbook?)")


def _not_jsonl(p: Path) -> str | None:
    """Why ``p`` is clearly not a JSONL text file (binary formats by their magic bytes)."""
    with p.open("rb") as fh:
        head = fh.read(1024)
    for magic, kind in _BINARY:
        if head.startswith(magic):
            return kind
    return "a binary file (it holds NUL bytes)" if b"\x00" in head else None


def _first_line_hint(line: str) -> str:
    """What a first line that is not a JSON object suggests the file is."""
    text = line.strip()
    if text.startswith("["):
        return (" -- the file looks like one JSON array, not JSON Lines (one object per line); "
                + _IMPORT_HINT + ", or write one object per line")
    if not text.startswith("{") and ("," in text or "\t" in text):
        return f" -- the file looks like a CSV/TSV table (first line {text[:60]!r}); " + _IMPORT_HINT
    return ""


def iter_jsonl(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, object)`` for each non-blank line; bad JSON raises with the line.

    The file must be UTF-8 (a leading byte-order mark is accepted). A binary file (parquet, an
    image, a workbook), text in another encoding, a CSV table or a JSON array is refused with a
    message saying so (and how to convert it). The lines are read by
    :func:`vlmsafety.storage.jsonl.iter_jsonl`.
    """
    p = Path(path)
    if not p.is_file():
        raise PredictionsFormatError("file not found", path=str(p))
    kind = _not_jsonl(p)
    if kind is not None:
        hint = f"; {_IMPORT_HINT}" if kind in _CONVERTIBLE else ""
        raise PredictionsFormatError(
            f"this is {kind}, not a JSON Lines file (one {{\"id\": ..., \"response\": ...}} "
            f"object per line){hint}", path=str(p))
    yield from storage_jsonl.iter_jsonl(
        p, error=lambda message, line: PredictionsFormatError(message, path=str(p), line=line),
        first_line_hint=_first_line_hint)


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
    if not seen:
        raise PredictionsFormatError(
            "the file has no lines (a predictions file has one {\"id\": ..., \"response\": ...} "
            "object per line); nothing to read", path=str(path))


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
            duplicate ``id``, ids unknown to the dataset; an empty file; a file that is not
            UTF-8 JSON Lines (binary, another encoding, a CSV table, a JSON array: the message
            says which, and points to ``vlmsafety import-predictions`` where it can convert).
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
        vlmsafety.errors.PredictionsFormatError: 1 dataset id(s) have no prediction: 'b'; pass
        missing='skip' to score without them
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
