"""Shared by every importer: the ``on_empty`` policy, id normalisation and the record collector
that validates one source row at a time.

Example:
    >>> c = Collector("f.csv", "record", "m")
    >>> c.add(as_id(7, "row 1", "f.csv"), "Sure.", "row 1"); c.add("8", "", "row 2")
    >>> c.records[1], c.failures
    ({'id': '8', 'response': None, 'model': 'm', 'error': 'empty response in source (row 2)'}, 1)
"""

from __future__ import annotations

import math
from typing import Any, Literal

from vlmsafety.errors import InvalidArgumentError, PredictionsFormatError

__all__ = ["Collector", "OnEmpty", "as_id", "is_blank"]

OnEmpty = Literal["error", "record"]
_ON_EMPTY: tuple[OnEmpty, ...] = ("error", "record")


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def as_id(value: Any, where: str, source: str) -> str:
    """A source id as a string: text as is, integers (and integral floats) in decimal."""
    if is_blank(value):
        raise PredictionsFormatError(f"empty id ({where})", path=source)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise PredictionsFormatError(f"id must be text or an integer, got bool {value!r} ({where})",
                                     path=source)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise PredictionsFormatError(
        f"id must be text or an integer, got {type(value).__name__} {value!r} ({where})",
        path=source,
    )


class Collector:
    """Builds validated prediction records, one source row at a time."""

    def __init__(self, source: str, on_empty: OnEmpty, model: str | None) -> None:
        if on_empty not in _ON_EMPTY:
            raise InvalidArgumentError(f"on_empty must be one of {_ON_EMPTY}, got {on_empty!r}")
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise PredictionsFormatError(f"model name must be non-empty text, got {model!r}")
        self.source = source
        self.on_empty = on_empty
        self.model = model
        self.records: list[dict[str, Any]] = []
        self.failures = 0
        self._seen: dict[str, str] = {}

    def add(self, rid: str, response: Any, where: str, *, model: Any = None,
            failure: str | None = None, keep_empty: bool = False,
            id_where: str | None = None) -> None:
        if rid in self._seen:  # named where the id is (id_where), not where the response is
            raise PredictionsFormatError(
                f"duplicate id {rid!r} ({id_where or where}; first at {self._seen[rid]})",
                path=self.source)
        self._seen[rid] = id_where or where
        kept = keep_empty and isinstance(response, str)  # an empty answer the model gave
        if failure is None and is_blank(response) and not kept:
            failure = f"empty response in source ({where})"
        elif failure is None and not isinstance(response, str):
            raise PredictionsFormatError(
                f"response must be text, got {type(response).__name__} {response!r} ({where})",
                path=self.source,
            )
        if failure is not None and self.on_empty == "error":
            raise PredictionsFormatError(
                f"{failure} for id {rid!r}; pass --record-failures to write it "
                "as a failure (response null + error)", path=self.source,
            )
        name = self.model if model is None else model
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise PredictionsFormatError(
                f"model must be non-empty text, got {model!r} ({where})", path=self.source
            )
        rec: dict[str, Any] = {"id": rid, "response": None if failure else response}
        if name is not None:
            rec["model"] = name
        if failure is not None:
            rec["error"] = failure
            self.failures += 1
        self.records.append(rec)

