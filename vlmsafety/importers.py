"""Import other harnesses' outputs into the predictions JSONL of :mod:`vlmsafety.predictions`.

Three sources are understood; each ``import_*`` function reads one file, validates every row,
writes ``{"id", "response", "model"?}`` lines with :func:`vlmsafety.predictions.write_jsonl` and
reads the result back with :func:`vlmsafety.predictions.read_predictions` before returning.

=================  ===============================================  ==============================
source             id                                               response
=================  ===============================================  ==============================
lmms-eval samples  ``id_field`` (dotted path, default ``doc.id``)   ``filtered_resps`` (else
(``--log_samples``) or ``doc_id`` as a row index into the dataset   ``resps``), unwrapped
VLMEvalKit         ``id_column`` (default ``id`` if present, else   ``prediction``
(xlsx / tsv)       ``index``)
CSV / TSV /        ``id_column`` (default ``id``)                   ``response_column`` (default
parquet / xlsx                                                      ``response``)
MOSSBench release  the object key (``pid``) as                     ``response`` of each entry
(``data.js``)      :func:`vlmsafety.scoring.mossbench.item_id`
=================  ===============================================  ==============================

MOSSBench's per-model ``data.js`` is a JavaScript assignment ``cache['<model>'] = {pid: {"response":
...}}``. An empty response there is what the model returned (MOSSBench counts it as a refusal), so
it is written as an empty string, never dropped; a ``null`` response (no response recorded) is
written as a failure (``response: null`` + ``error``). The model name defaults to the one in the
assignment.

Rules shared by every importer (see ``docs/importers.md``):

- A missing column or field is an error that names it and lists the available ones.
- Ids are strings; integer ids (spreadsheet ``index`` columns) become their decimal string. An empty
  id, a repeated id or an id unknown to the dataset (when ``known_ids`` is given) is an error.
- A response must be a string. An empty cell (``None``, NaN, blank text) or a harness failure
  marker is an error by default; with ``on_empty="record"`` it is written as a failure,
  ``"response": null`` with an ``"error"`` saying where it came from, never as an empty string.

Example:
    >>> import pathlib, tempfile
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "p.csv").write_text("id,answer\\na,Sure.\\nb,\\n", encoding="utf-8")
    >>> s = import_table(tmp / "p.csv", tmp / "p.jsonl", response_column="answer",
    ...                  model="m", on_empty="record")
    >>> s.n_written, s.n_failures
    (2, 1)
    >>> print((tmp / "p.jsonl").read_text(encoding="utf-8").splitlines()[1])
    {"id": "b", "response": null, "model": "m", "error": "empty response in source (column 'answer', row 2)"}
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import InvalidArgumentError, PredictionsFormatError
from vlmsafety.predictions import check_coverage, read_predictions, write_jsonl

__all__ = [
    "OnEmpty",
    "ImportSummary",
    "VLMEVALKIT_FAIL_PREFIX",
    "read_lmms_eval",
    "read_vlmevalkit",
    "read_table",
    "import_lmms_eval",
    "import_vlmevalkit",
    "import_table",
    "read_mossbench",
    "import_mossbench",
    "dataset_ids",
]

OnEmpty = Literal["error", "record"]
_ON_EMPTY: tuple[OnEmpty, ...] = ("error", "record")
TableFormat = Literal["csv", "tsv", "xlsx", "parquet"]
_TABLE_FORMATS: dict[str, TableFormat] = {
    ".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".parquet": "parquet",
}
VLMEVALKIT_FAIL_PREFIX = "Failed to obtain answer"
"""VLMEvalKit writes this text (``FAIL_MSG``) as the prediction of a request that failed."""
_SHOW = 10


@dataclass(frozen=True)
class ImportSummary:
    """What an ``import_*`` call wrote.

    Attributes:
        source: The file read.
        out: The predictions JSONL written.
        format: ``"lmms-eval"``, ``"vlmevalkit"`` or ``"table"``.
        n_written: Lines written (one per source row).
        n_failures: Lines recorded as failures (``response: null`` + ``error``).
        n_dataset_missing: Dataset ids without a prediction, when the dataset's ids were given.
        n_empty: Empty responses kept as empty strings (MOSSBench only; ``None`` elsewhere).
    """

    source: str
    out: str
    format: str
    n_written: int
    n_failures: int
    n_dataset_missing: int | None = None
    n_empty: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- row validation

def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_id(value: Any, where: str, source: str) -> str:
    """A source id as a string: text as is, integers (and integral floats) in decimal."""
    if _is_blank(value):
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


class _Collector:
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
        if failure is None and _is_blank(response) and not kept:
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


# --------------------------------------------------------------------------- tables

def _table_format(path: Path, file_format: str | None) -> TableFormat:
    if file_format is not None:
        if file_format not in _TABLE_FORMATS.values():
            raise PredictionsFormatError(
                f"unknown table format {file_format!r}; allowed: "
                f"{', '.join(sorted(set(_TABLE_FORMATS.values())))}", path=str(path),
            )
        return file_format  # type: ignore[return-value]  # checked against the allowed formats above
    fmt = _TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise PredictionsFormatError(
            f"cannot tell the table format from the suffix {path.suffix!r}; allowed suffixes: "
            f"{', '.join(_TABLE_FORMATS)} (or pass file_format)", path=str(path),
        )
    return fmt


def _check_header(header: Sequence[Any], source: str) -> list[str]:
    names = ["" if h is None else str(h) for h in header]
    dupes = sorted({n for n in names if names.count(n) > 1 and n})
    if dupes:
        raise PredictionsFormatError(f"repeated column name(s) in the header: {dupes}", path=source)
    return names


def _read_rows(
    path: Path, fmt: TableFormat, sheet: str | None
) -> tuple[list[str], Iterator[tuple[str, dict[str, Any]]]]:
    """Header and an iterator of ``(where, {column: value})``; ``where`` names the row."""
    source = str(path)
    if not path.is_file():
        raise PredictionsFormatError("file not found", path=source)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        names = _check_header(pq.read_schema(path).names, source)

        def parquet_rows() -> Iterator[tuple[str, dict[str, Any]]]:
            table = pq.read_table(path)
            for i, row in enumerate(table.to_pylist(), start=1):
                yield f"row {i}", row

        return names, parquet_rows()
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        if sheet is not None and sheet not in wb.sheetnames:
            wb.close()
            raise PredictionsFormatError(
                f"sheet {sheet!r} not found; sheets: {wb.sheetnames}", path=source
            )
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            wb.close()
            raise PredictionsFormatError("the sheet is empty (no header row)", path=source)
        names = _check_header(header, source)

        def xlsx_rows() -> Iterator[tuple[str, dict[str, Any]]]:
            try:
                for i, values in enumerate(rows, start=1):
                    if all(_is_blank(v) for v in values):
                        continue  # trailing formatted-but-empty rows
                    yield f"row {i}, sheet row {i + 1}", dict(zip(names, values))
            finally:
                wb.close()

        return names, xlsx_rows()
    # csv / tsv: every cell is text; an empty cell is missing.
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))
    fh = path.open(encoding="utf-8-sig", newline="")
    reader = csv.reader(fh, delimiter="\t" if fmt == "tsv" else ",")
    header = next(reader, None)
    if header is None:
        fh.close()
        raise PredictionsFormatError("the file is empty (no header line)", path=source)
    names = _check_header(header, source)

    def text_rows() -> Iterator[tuple[str, dict[str, Any]]]:
        with fh:
            for i, values in enumerate(reader, start=1):
                if not values:
                    continue
                if len(values) != len(names):
                    raise PredictionsFormatError(
                        f"row {i} (line {reader.line_num}) has {len(values)} fields, the header "
                        f"has {len(names)}", path=source,
                    )
                yield f"row {i}", dict(zip(names, values))

    return names, text_rows()


def _require_columns(columns: Mapping[str, str | None], names: Sequence[str], source: str) -> None:
    missing = [f"{role} column {col!r}" for role, col in columns.items()
               if col is not None and col not in names]
    if missing:
        raise PredictionsFormatError(
            f"missing {', '.join(missing)}; available columns: {', '.join(map(repr, names))}",
            path=source,
        )


def _collect_table(
    path: Path, names: Sequence[str], rows: Iterator[tuple[str, dict[str, Any]]], *,
    id_column: str, response_column: str, model_column: str | None, model: str | None,
    on_empty: OnEmpty, fail_prefix: str | None = None,
) -> _Collector:
    source = str(path)
    if model_column is not None and model is not None:
        raise PredictionsFormatError("give either a model column or a model name, not both",
                                     path=source)
    _require_columns({"id": id_column, "response": response_column, "model": model_column},
                     names, source)
    out = _Collector(source, on_empty, model)
    for where, row in rows:
        rid = _as_id(row[id_column], id_where := f"column {id_column!r}, {where}", source)
        response = row[response_column]
        failure = None
        if fail_prefix is not None and isinstance(response, str) \
                and response.strip().startswith(fail_prefix):
            failure = f"VLMEvalKit recorded a failed request ({where}): {response.strip()[:200]}"
        row_model = row[model_column] if model_column is not None else None
        out.add(rid, response, f"column {response_column!r}, {where}", model=row_model,
                failure=failure, id_where=id_where)
    return out


def read_table(
    path: str | os.PathLike[str], *, id_column: str = "id", response_column: str = "response",
    model_column: str | None = None, model: str | None = None, on_empty: OnEmpty = "error",
    file_format: TableFormat | None = None, sheet: str | None = None,
) -> list[dict[str, Any]]:
    """Read a plain table of responses (CSV, TSV, xlsx or parquet) as prediction records.

    Field mapping: ``id`` <- ``id_column``; ``response`` <- ``response_column``; ``model`` <-
    ``model_column`` (per row) or ``model`` (one name for the file), or absent. Other columns are
    ignored. CSV/TSV cells are text (UTF-8, optional BOM); an empty cell is a missing response.

    Args:
        path: The file; its format comes from the suffix (``.csv``, ``.tsv``, ``.xlsx``,
            ``.parquet``) unless ``file_format`` is given.
        id_column: Column holding the dataset row id (text or integer).
        response_column: Column holding the model's response (text).
        model_column: Column holding the model name per row.
        model: One model name for every row (exclusive with ``model_column``).
        on_empty: ``"error"`` (default) stops at the first empty response; ``"record"`` writes
            it as a failure (``response`` null plus ``error``).
        file_format: Force ``"csv"``, ``"tsv"``, ``"xlsx"`` or ``"parquet"``.
        sheet: Worksheet name for xlsx (default: the first sheet).

    Returns:
        One dict per row: ``id``, ``response`` (or ``None``), ``model`` when known, ``error`` for
        failures.

    Raises:
        PredictionsFormatError: missing column (the available ones are listed), empty or repeated
            id, non-text response, empty response when ``on_empty="error"``.

    Example:
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
        >>> _ = p.write_text("qid,text\\n1,No.\\n", encoding="utf-8")
        >>> read_table(p, id_column="qid", response_column="text")
        [{'id': '1', 'response': 'No.'}]
        >>> read_table(p)
        Traceback (most recent call last):
        ...
        vlmsafety.errors.PredictionsFormatError: ...r.csv: missing id column 'id', response column 'response'; available columns: 'qid', 'text'
    """
    p = Path(path)
    names, rows = _read_rows(p, _table_format(p, file_format), sheet)
    return _collect_table(p, names, rows, id_column=id_column, response_column=response_column,
                          model_column=model_column, model=model, on_empty=on_empty).records


def read_vlmevalkit(
    path: str | os.PathLike[str], *, id_column: str | None = None,
    response_column: str = "prediction", model_column: str | None = None,
    model: str | None = None, on_empty: OnEmpty = "error", sheet: str | None = None,
) -> list[dict[str, Any]]:
    """Read a VLMEvalKit prediction file (``{model}_{dataset}.xlsx`` or ``.tsv``).

    VLMEvalKit writes the benchmark's own table (``index``, ``question``, ``answer``,
    ``category``, ... without ``image``) plus a ``prediction`` column. Field mapping: ``id`` <-
    ``id_column`` (default: ``id`` when the table has it, else ``index``); ``response`` <-
    ``prediction``; ``model`` <- ``model`` or ``model_column`` (VLMEvalKit keeps the model only in
    the file name). A prediction starting with :data:`VLMEVALKIT_FAIL_PREFIX` (VLMEvalKit's
    marker of a failed API call) is a failure, never a response.

    Args:
        path: ``.xlsx`` or ``.tsv`` (``.csv`` also accepted).
        id_column: Column holding the dataset row id; default ``id`` else ``index``.
        response_column: Default ``prediction``.
        model_column: Column holding the model name per row.
        model: One model name for every row.
        on_empty: ``"error"`` or ``"record"`` (see :func:`read_table`); also applies to failure
            markers.
        sheet: Worksheet name for xlsx (default: the first sheet).

    Raises:
        PredictionsFormatError: as :func:`read_table`.
    """
    p = Path(path)
    fmt = _table_format(p, None)
    if fmt == "parquet":
        raise PredictionsFormatError(
            "VLMEvalKit writes .xlsx or .tsv prediction files, not parquet; use the plain table "
            "importer", path=str(p),
        )
    names, rows = _read_rows(p, fmt, sheet)
    if id_column is None:
        id_column = "id" if "id" in names else "index"
    return _collect_table(p, names, rows, id_column=id_column, response_column=response_column,
                          model_column=model_column, model=model, on_empty=on_empty,
                          fail_prefix=VLMEVALKIT_FAIL_PREFIX).records


# --------------------------------------------------------------------------- lmms-eval

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
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                sample = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PredictionsFormatError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                                             path=source, line=lineno) from None
            if not isinstance(sample, dict):
                raise PredictionsFormatError(f"expected a JSON object, got {type(sample).__name__}",
                                             path=source, line=lineno)
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
    out = _Collector(source, on_empty, model)
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
            rid = _as_id(raw_id, f"field {id_field!r}, {where}", source)
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


# --------------------------------------------------------------------------- MOSSBench

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
        :func:`vlmsafety.scoring.mossbench.item_id`, in the file's order. Empty responses stay
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
    from vlmsafety.scoring.mossbench import item_id

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
    out = _Collector(source, "record", name)
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


# --------------------------------------------------------------------------- writing

def dataset_ids(dataset: str | os.PathLike[str], config: str) -> list[str]:
    """The ``id`` column of a built dataset folder's ``test`` split (nothing else is decoded).

    Args:
        dataset: A folder made by a builder (``README.md`` + ``data/``) or a Hub repo id.
        config: The config name.
    """
    import datasets

    try:
        ds = datasets.load_dataset(str(dataset), config, split="test")
    except (ValueError, FileNotFoundError) as exc:
        raise PredictionsFormatError(f"cannot load config {config!r}: {exc}",
                                     path=str(dataset)) from exc
    if "id" not in ds.column_names:
        raise PredictionsFormatError(
            f"config {config!r} has no 'id' column; columns: {ds.column_names}", path=str(dataset)
        )
    return list(ds.select_columns(["id"])["id"])


def _write(
    records: list[dict[str, Any]], source: str, out: str | os.PathLike[str], fmt: str, *,
    known_ids: Collection[str] | None, overwrite: bool,
) -> ImportSummary:
    from vlmsafety.storage.files import check_output

    out_path = check_output(out, overwrite=overwrite, inputs=[source])
    n_missing = None
    if known_ids is not None:
        known = known_ids if isinstance(known_ids, (set, frozenset)) else set(known_ids)
        unknown = sorted(r["id"] for r in records if r["id"] not in known)
        if unknown:
            more = f" and {len(unknown) - _SHOW} more" if len(unknown) > _SHOW else ""
            raise PredictionsFormatError(
                f"{len(unknown)} id(s) are not in the dataset: "
                f"{', '.join(map(repr, unknown[:_SHOW]))}{more}", path=source,
            )
        n_missing = len(check_coverage((r["id"] for r in records), known, missing="skip"))
    write_jsonl(out_path, records)
    try:
        back = read_predictions(out_path, known_ids=known_ids)
    except PredictionsFormatError:
        out_path.unlink(missing_ok=True)
        raise
    if len(back) != len(records):  # pragma: no cover - a bug, not a user error
        out_path.unlink(missing_ok=True)
        raise PredictionsFormatError(f"read back {len(back)} lines, wrote {len(records)}",
                                     path=str(out_path))
    return ImportSummary(source, str(out_path), fmt, len(records),
                         sum(r["response"] is None for r in records), n_missing)


def import_table(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, id_column: str = "id",
    response_column: str = "response", model_column: str | None = None, model: str | None = None,
    on_empty: OnEmpty = "error", file_format: TableFormat | None = None, sheet: str | None = None,
    known_ids: Collection[str] | None = None, overwrite: bool = False,
) -> ImportSummary:
    """:func:`read_table`, then write ``out`` and read it back.

    Args:
        known_ids: The dataset's ids (:func:`dataset_ids`); any other id is an error, and the
            number of dataset ids left without a prediction is reported.
        overwrite: Replace an existing ``out`` (default: refuse).
        **others: As :func:`read_table`.
    """
    records = read_table(path, id_column=id_column, response_column=response_column,
                         model_column=model_column, model=model, on_empty=on_empty,
                         file_format=file_format, sheet=sheet)
    return _write(records, str(path), out, "table", known_ids=known_ids, overwrite=overwrite)


def import_vlmevalkit(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, id_column: str | None = None,
    response_column: str = "prediction", model_column: str | None = None,
    model: str | None = None, on_empty: OnEmpty = "error", sheet: str | None = None,
    known_ids: Collection[str] | None = None, overwrite: bool = False,
) -> ImportSummary:
    """:func:`read_vlmevalkit`, then write ``out`` and read it back (see :func:`import_table`)."""
    records = read_vlmevalkit(path, id_column=id_column, response_column=response_column,
                              model_column=model_column, model=model, on_empty=on_empty,
                              sheet=sheet)
    return _write(records, str(path), out, "vlmevalkit", known_ids=known_ids, overwrite=overwrite)


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
    return _write(records, str(path), out, "lmms-eval", known_ids=known_ids, overwrite=overwrite)


def import_mossbench(
    path: str | os.PathLike[str], out: str | os.PathLike[str], *, model: str | None = None,
    known_ids: Collection[str] | None = None, overwrite: bool = False,
) -> ImportSummary:
    """:func:`read_mossbench`, then write ``out`` and read it back (see :func:`import_table`).

    ``n_failures`` counts null responses; empty responses are written as ``""`` and counted in
    ``n_empty``.
    """
    records = read_mossbench(path, model=model)
    summary = _write(records, str(path), out, "mossbench", known_ids=known_ids,
                     overwrite=overwrite)
    n_empty = sum(isinstance(r["response"], str) and not r["response"].strip() for r in records)
    return replace(summary, n_empty=n_empty)
