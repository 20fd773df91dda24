"""Plain tables of responses (CSV, TSV, xlsx, parquet) as prediction records; also the table
reading that :mod:`vlmsafety.importers.vlmevalkit` builds on.

Example:
    >>> table_format(Path("r.tsv"), None), table_format(Path("r.txt"), "csv")
    ('tsv', 'csv')
"""

from __future__ import annotations

import csv
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from vlmsafety.errors import PredictionsFormatError
from vlmsafety.importers.records import Collector, OnEmpty, as_id, is_blank
from vlmsafety.importers.writing import ImportSummary, write_records

__all__ = ["TableFormat", "collect_table", "import_table", "read_rows", "read_table",
           "table_format"]

TableFormat = Literal["csv", "tsv", "xlsx", "parquet"]
_TABLE_FORMATS: dict[str, TableFormat] = {
    ".csv": "csv", ".tsv": "tsv", ".xlsx": "xlsx", ".parquet": "parquet",
}


def table_format(path: Path, file_format: str | None) -> TableFormat:
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


def read_rows(
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
                    if all(is_blank(v) for v in values):
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


def collect_table(
    path: Path, names: Sequence[str], rows: Iterator[tuple[str, dict[str, Any]]], *,
    id_column: str, response_column: str, model_column: str | None, model: str | None,
    on_empty: OnEmpty, fail_prefix: str | None = None,
) -> Collector:
    source = str(path)
    if model_column is not None and model is not None:
        raise PredictionsFormatError("give either a model column or a model name, not both",
                                     path=source)
    _require_columns({"id": id_column, "response": response_column, "model": model_column},
                     names, source)
    out = Collector(source, on_empty, model)
    for where, row in rows:
        rid = as_id(row[id_column], id_where := f"column {id_column!r}, {where}", source)
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
        vlmsafety.errors.PredictionsFormatError: ...r.csv: missing id column 'id', response column
        'response'; available columns: 'qid', 'text'
    """
    p = Path(path)
    names, rows = read_rows(p, table_format(p, file_format), sheet)
    return collect_table(p, names, rows, id_column=id_column, response_column=response_column,
                          model_column=model_column, model=model, on_empty=on_empty).records


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
    return write_records(records, str(path), out, "table", known_ids=known_ids, overwrite=overwrite)

