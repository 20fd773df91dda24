"""lmms-eval per-sample files (``--log_samples``) as prediction records.

Example:
    >>> _unwrap([["I can't."]], "filtered_resps", "line 1", "s.jsonl")
    "I can't."
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import InvalidArgumentError, PredictionsFormatError
from vlmsafety.importers.records import Collector, OnEmpty, as_id
from vlmsafety.importers.writing import ImportSummary, write_records
from vlmsafety.storage.jsonl import iter_jsonl

__all__ = ["import_lmms_eval", "read_lmms_eval"]

_LMMS_RESPONSE_FIELDS = ("filtered_resps", "resps")


def _iter_lmms_samples(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, sample)`` from a ``samples_*.jsonl`` file or an older ``{"logs": [...]}`` JSON."""
    source = str(path)
    if not path.is_file():
        raise PredictionsFormatError("file not found", path=source)
    if path.suffix.lower() == ".json":
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PredictionsFormatError(f"invalid JSON: {exc.msg} (line {exc.lineno})",
                                         path=source) from None
        logs = obj.get("logs") if isinstance(obj, dict) else obj
        if not isinstance(logs, list):
            raise PredictionsFormatError(
                "expected a list of samples or an object with a 'logs' list (older lmms-eval "
                "--log_samples output)", path=source,
            )
        for i, sample in enumerate(logs):
            if not isinstance(sample, dict):
                raise PredictionsFormatError(f"logs[{i}] is not an object", path=source)
            yield f"logs[{i}]", sample
        return
    for lineno, sample in iter_jsonl(path, error=lambda message, line: PredictionsFormatError(
            message, path=source, line=line)):
        yield f"line {lineno}", sample


_ABSENT = object()


def _get_path(obj: Any, dotted: str) -> Any:
    """``a.b.0.c`` into nested dicts/lists; :data:`_ABSENT` when a step is missing."""
    for part in dotted.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return _ABSENT
    return obj


def _unwrap(value: Any, field: str, where: str, source: str) -> Any:
    """``[[text]]`` / ``[text]`` / ``text`` -> text; several requests or repeats are an error."""
    while isinstance(value, list):
        if not value:
            return None
        if len(value) > 1:
            raise PredictionsFormatError(
                f"{field!r} holds {len(value)} responses ({where}); only generation tasks with "
                "one request and one repeat per document can be imported", path=source,
            )
        value = value[0]
    return value


def read_lmms_eval(
    path: str | os.PathLike[str], *, id_field: str = "doc.id", row_ids: Sequence[str] | None = None,
    response_field: Literal["filtered_resps", "resps"] = "filtered_resps",
    filter_name: str | None = None, model: str | None = None, on_empty: OnEmpty = "error",
) -> list[dict[str, Any]]:
    """Read an lmms-eval per-sample file (``--log_samples``) as prediction records.

    lmms-eval writes ``<date>_samples_<task>.jsonl``, one object per document with ``doc_id``
    (the row index in the task's split), ``target``, ``filtered_resps``, often ``resps``,
    ``doc`` (the dataset row without images; newer versions drop it) and the task's per-sample
    metrics. Older versions wrote ``<task>.json`` with the samples under ``"logs"``; both are read.

    Field mapping: ``id`` <- the value at ``id_field``, a dotted path (``doc.id`` by default;
    ``doc_id``, or a key of a logged metric such as ``my_metric.id``); with ``row_ids`` the value
    must be an integer row index and the id is ``row_ids[value]`` (use the dataset's ``id``
    column when the lmms-eval task reads the same config's ``test`` split, in order).
    ``response`` <- ``response_field`` (``filtered_resps`` by default, falling back to ``resps``
    when the field is absent, and the other way round), unwrapped from ``[[text]]``/``[text]``;
    choose ``resps`` when the task's filters extract an answer from the raw generation.
    ``model`` <- ``model``. With ``filter_name``, only samples whose ``filter`` equals it are read.

    Raises:
        PredictionsFormatError: missing id field (the sample's keys are listed), row index out of
            range, several responses per document, non-text or empty response, repeated id.

    Example:
        >>> import json, pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "samples_dual.jsonl"
        >>> s = {"doc_id": 0, "doc": {"id": "d-1"}, "target": "", "resps": [["I can't."]],
        ...      "filtered_resps": ["I can't."]}
        >>> _ = p.write_text(json.dumps(s) + "\\n", encoding="utf-8")
        >>> read_lmms_eval(p, model="m")
        [{'id': 'd-1', 'response': "I can't.", 'model': 'm'}]
        >>> read_lmms_eval(p, id_field="doc_id", row_ids=["x-0", "x-1"])[0]["id"]
        'x-0'
    """
    p, source = Path(path), str(path)
    if response_field not in _LMMS_RESPONSE_FIELDS:
        raise InvalidArgumentError(f"response_field must be one of {_LMMS_RESPONSE_FIELDS}, "
                         f"got {response_field!r}")
    other = _LMMS_RESPONSE_FIELDS[1 - _LMMS_RESPONSE_FIELDS.index(response_field)]
    out = Collector(source, on_empty, model)
    for where, sample in _iter_lmms_samples(p):
        if filter_name is not None and sample.get("filter") != filter_name:
            continue
        raw_id = _get_path(sample, id_field)
        if raw_id is _ABSENT:
            doc = sample.get("doc")
            doc_keys = f"; 'doc' keys: {sorted(doc)}" if isinstance(doc, dict) else \
                "; this file has no 'doc' (newer lmms-eval drops it): use id_field='doc_id' " \
                "with the dataset's ids as row_ids (--id-field doc_id --by-row-index --dataset ...)"
            raise PredictionsFormatError(
                f"id field {id_field!r} not found ({where}); sample keys: {sorted(sample)}"
                f"{doc_keys}", path=source,
            )
        if row_ids is not None:
            if isinstance(raw_id, bool) or not isinstance(raw_id, int) \
                    or not 0 <= raw_id < len(row_ids):
                raise PredictionsFormatError(
                    f"{id_field!r} = {raw_id!r} ({where}) is not a row index in "
                    f"[0, {len(row_ids)}) of the dataset", path=source,
                )
            rid = row_ids[raw_id]
        else:
            rid = as_id(raw_id, f"field {id_field!r}, {where}", source)
        field = response_field if response_field in sample else other
        if field not in sample:
            raise PredictionsFormatError(
                f"no 'filtered_resps' nor 'resps' ({where}); sample keys: {sorted(sample)}",
                path=source,
            )
        response = _unwrap(sample[field], field, where, source)
        out.add(rid, response, f"field {field!r}, {where}")
    if not out.records:
        hint = f" with filter {filter_name!r}" if filter_name is not None else ""
        raise PredictionsFormatError(f"no samples found{hint}", path=source)
    return out.records


def import_lmms_eval(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, id_field: str = "doc.id",
    row_ids: Sequence[str] | None = None,
    response_field: Literal["filtered_resps", "resps"] = "filtered_resps",
    filter_name: str | None = None, model: str | None = None, on_empty: OnEmpty = "error",
    known_ids: Collection[str] | None = None, overwrite: bool = False,
) -> ImportSummary:
    """:func:`read_lmms_eval`, then write ``out`` and read it back (see :func:`import_table`)."""
    records = read_lmms_eval(path, id_field=id_field, row_ids=row_ids,
                             response_field=response_field, filter_name=filter_name, model=model,
                             on_empty=on_empty)
    return write_records(records, str(path), out, "lmms-eval", known_ids=known_ids, overwrite=overwrite)

