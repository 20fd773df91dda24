"""VLMEvalKit prediction files (``{model}_{dataset}.xlsx`` or ``.tsv``) as prediction records.

Example:
    >>> VLMEVALKIT_FAIL_PREFIX
    'Failed to obtain answer'
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from vlmsafety.errors import PredictionsFormatError
from vlmsafety.importers.records import OnEmpty
from vlmsafety.importers.table import collect_table, read_rows, table_format
from vlmsafety.importers.writing import ImportSummary, write_records

__all__ = ["VLMEVALKIT_FAIL_PREFIX", "import_vlmevalkit", "read_vlmevalkit"]

VLMEVALKIT_FAIL_PREFIX = "Failed to obtain answer"
"""VLMEvalKit writes this text (``FAIL_MSG``) as the prediction of a request that failed."""


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
    fmt = table_format(p, None)
    if fmt == "parquet":
        raise PredictionsFormatError(
            "VLMEvalKit writes .xlsx or .tsv prediction files, not parquet; use the plain table "
            "importer", path=str(p),
        )
    names, rows = read_rows(p, fmt, sheet)
    if id_column is None:
        id_column = "id" if "id" in names else "index"
    return collect_table(p, names, rows, id_column=id_column, response_column=response_column,
                          model_column=model_column, model=model, on_empty=on_empty,
                          fail_prefix=VLMEVALKIT_FAIL_PREFIX).records


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
    return write_records(records, str(path), out, "vlmevalkit", known_ids=known_ids, overwrite=overwrite)

