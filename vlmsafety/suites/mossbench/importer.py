"""MOSSBench's per-model ``data.js`` (``cache['<model>'] = {pid: {"response": ...}}``) as
prediction records.

An empty response there is what the model returned (MOSSBench counts it as a refusal), so it is
written as an empty string, never dropped; a ``null`` response (no response recorded) is written as
a failure (``response: null`` + ``error``). The model name defaults to the one in the assignment.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from vlmsafety.errors import PredictionsFormatError
from vlmsafety.importers.records import Collector
from vlmsafety.importers.writing import ImportSummary, write_records

__all__ = ["import_mossbench", "read_mossbench"]

_JS_ASSIGNMENT = re.compile(r"\A\ufeff?\s*cache\s*\[\s*(['\"])(?P<model>[^'\"\n]*)\1\s*\]\s*=\s*")


def _is_object(value: Any) -> bool:
    """Whether a value parsed with ``object_pairs_hook=list`` was a JSON object."""
    return isinstance(value, list) and all(isinstance(kv, tuple) for kv in value)


def read_mossbench(
    path: str | os.PathLike[str], *, model: str | None = None
) -> list[dict[str, Any]]:
    """Prediction records from one model's ``data.js`` of the MOSSBench release.

    Args:
        path: ``data/results/<model>/data.js`` (``cache['<model>'] = {pid: {"response": ...}}``).
        model: Model name written on every line (default: the name in the assignment).

    Returns:
        One ``{"id", "response", "model"}`` record per pid, ids from
        :func:`vlmsafety.suites.mossbench.scoring.item_id`, in the file's order. Empty responses stay
        empty strings; a ``null`` response becomes a failure (``response`` ``None`` + ``error``).

    Raises:
        PredictionsFormatError: not such an assignment, invalid JSON (with line and column), an
            entry that is not an object with a ``response`` string or null, a key that is not a pid
            1-300, a repeated pid, or no entries.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.js"
        >>> _ = p.write_text('cache["M"] = {"1": {"response": ""}};', encoding="utf-8")
        >>> read_mossbench(p)
        [{'id': 'mossbench-001', 'response': '', 'model': 'M'}]
    """
    from vlmsafety.errors import ScoringInputError
    from vlmsafety.suites.mossbench.scoring import item_id

    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PredictionsFormatError(f"cannot read the file: {exc}", path=source) from exc
    head = _JS_ASSIGNMENT.match(text)
    if head is None:
        raise PredictionsFormatError(
            "not a MOSSBench data.js: expected the file to start with cache['<model>'] = {...}, "
            f"found {text[:40]!r}", path=source,
        )
    body = text[head.end():].rstrip().removesuffix(";")
    try:  # objects as lists of (key, value) pairs, so that a repeated pid is seen, not dropped
        data = json.loads(body, object_pairs_hook=list)
    except json.JSONDecodeError as exc:
        line = exc.lineno + text.count("\n", 0, head.end())
        raise PredictionsFormatError(
            f"invalid JSON after the assignment: {exc.msg} (line {line}, column {exc.colno})",
            path=source,
        ) from exc
    if not _is_object(data):
        raise PredictionsFormatError("the assigned value must be a JSON object keyed by pid",
                                     path=source)
    name = model if model is not None else head.group("model")
    out = Collector(source, "record", name)
    for key, entry in data:
        where = f"pid {key!r}"
        try:
            rid = item_id(key)
        except ScoringInputError as exc:
            raise PredictionsFormatError(f"{exc} ({where})", path=source) from None
        fields = dict(entry) if _is_object(entry) else None
        if fields is None or "response" not in fields:
            raise PredictionsFormatError(
                f"each entry must be an object with a 'response', got {entry!r:.60} ({where})",
                path=source,
            )
        response = fields["response"]
        if response is None:
            out.add(rid, None, where, failure=f"response is null in the release ({where})")
        elif not isinstance(response, str):
            raise PredictionsFormatError(
                f"response must be text or null, got {type(response).__name__} ({where})",
                path=source,
            )
        else:
            out.add(rid, response, where, keep_empty=True)
    if not out.records:
        raise PredictionsFormatError("no entries in the assigned object", path=source)
    return out.records


def import_mossbench(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, model: str | None = None,
    known_ids: Collection[str] | None = None, overwrite: bool = False,
) -> ImportSummary:
    """:func:`read_mossbench`, then write ``out`` and read it back (see :func:`import_table`).

    ``n_failures`` counts null responses; empty responses are written as ``""`` and counted in
    ``n_empty``.
    """
    records = read_mossbench(path, model=model)
    summary = write_records(records, str(path), out, "mossbench", known_ids=known_ids,
                     overwrite=overwrite)
    n_empty = sum(isinstance(r["response"], str) and not r["response"].strip() for r in records)
    return replace(summary, n_empty=n_empty)
