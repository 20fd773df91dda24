"""Shared by every importer: the dataset's ids, and the checked write of the records with its
:class:`ImportSummary`.

Example:
    >>> ImportSummary("a.csv", "a.jsonl", "table", 2, 1).to_dict()["n_failures"]
    1
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any

from vlmsafety.errors import PredictionsFormatError
from vlmsafety.predictions import check_coverage, read_predictions, write_jsonl

__all__ = ["ImportSummary", "dataset_ids", "write_records"]

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


def write_records(
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

