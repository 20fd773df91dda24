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
(``data.js``)      :func:`vlmsafety.suites.mossbench.scoring.item_id`
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

Modules, by job: one per source format (:mod:`~vlmsafety.importers.lmms_eval`,
:mod:`~vlmsafety.importers.vlmevalkit`, :mod:`~vlmsafety.importers.table`,
:mod:`~vlmsafety.suites.mossbench.importer`), plus what they share: :mod:`~vlmsafety.importers.records`
(the ``on_empty`` policy, ids, the validating collector) and :mod:`~vlmsafety.importers.writing`
(:class:`ImportSummary`, :func:`dataset_ids`, the checked write). Every public name is re-exported
here.

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

from vlmsafety.importers.lmms_eval import import_lmms_eval, read_lmms_eval
from vlmsafety.importers.records import OnEmpty
from vlmsafety.importers.table import import_table, read_table
from vlmsafety.importers.vlmevalkit import (
    VLMEVALKIT_FAIL_PREFIX,
    import_vlmevalkit,
    read_vlmevalkit,
)
from vlmsafety.importers.writing import ImportSummary, dataset_ids

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
    "dataset_ids",
]
