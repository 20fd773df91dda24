"""Where the rows of a :func:`~vlmsafety.generate.generate` run come from: a dataset folder or Hub
repo id (every config's ``test`` split), a ``datasets.Dataset``, or an iterable of rows.

Example:
    >>> [len(c) for c in chunks(range(5), 2)]
    [2, 2, 1]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from vlmsafety.errors import (
    DatasetNotFoundError,
    DatasetRowError,
    InvalidArgumentError,
    UnknownNameError,
)
from vlmsafety.generate.items import Row

__all__ = ["Source", "chunks", "open_sources", "prompt_column", "stored_images"]

Source = tuple[str | None, Iterable[Row]]
"""A config name (``None`` for in-memory rows) and its rows."""

def _is_hf_dataset(obj: Any) -> bool:
    """A ``datasets.Dataset`` (an ``IterableDataset`` is read as an iterable of rows)."""
    mod = sys.modules.get("datasets")
    return mod is not None and isinstance(obj, mod.Dataset)


def prompt_column(columns: Sequence[str], config: str | None = None) -> str:
    """The column holding the text to send: ``prompt``, else the ``prompt_column`` of the one
    benchmark spec whose column it is (and, for a named config, that has the config).

    Example:
        >>> prompt_column(["id", "prompt", "image"]), prompt_column(["id", "question", "image"])
        ('prompt', 'question')
    """
    from vlmsafety.specs import specs

    if "prompt" in columns:
        return "prompt"
    found = sorted({spec.prompt_column for spec in specs()
                    if spec.prompt_column in columns
                    and (config is None or config in spec.config_names)})
    if len(found) != 1:
        raise DatasetRowError(f"the dataset needs 'id' and a prompt column ('prompt', or a "
                              f"benchmark's own); it has {list(columns)}")
    return found[0]


def _undecoded(ds: Any) -> Any:
    """``ds`` with its ``image`` column read as the stored ``{"bytes", "path"}`` (not decoded)."""
    import datasets

    if "image" in ds.column_names and isinstance(ds.features["image"], datasets.Image):
        return ds.cast_column("image", datasets.Image(decode=False))
    return ds


def stored_images(source: str | os.PathLike[str], config: str, *,
                  revision: str | None = None) -> dict[str, Any]:
    """id -> the stored image of each row of ``config`` (``{"bytes", "path"}``, not decoded;
    ``None`` for a row without one, or every row of a config without an ``image`` column), read
    as :func:`~vlmsafety.generate.generate` reads them; turn one into ``(bytes, mime)`` with
    :func:`~vlmsafety.generate.items.image_bytes`.

    Raises:
        DatasetNotFoundError: the folder or repo cannot be read.
    """
    from vlmsafety.storage.splits import load_split

    ds = load_split(source, config, revision=revision)
    if "image" not in ds.column_names:
        return dict.fromkeys(ds.select_columns(["id"])["id"])
    ds = _undecoded(ds.select_columns(["id", "image"]))
    return dict(zip(ds["id"], ds["image"], strict=True))


def _hf_rows(ds: Any, chunk: int, config: str | None = None) -> Iterator[Row]:
    """Rows of a ``datasets.Dataset`` with images as stored bytes, read ``chunk`` at a time;
    the prompt column (:func:`prompt_column`) is read as ``prompt``."""

    if "id" not in ds.column_names:
        raise DatasetRowError(f"the dataset needs 'id' and 'prompt' columns; it has "
                              f"{ds.column_names}")
    text = prompt_column(ds.column_names, config)
    cols = [c for c in ("id", text, "image") if c in ds.column_names]
    ds = ds.select_columns(cols)
    if text != "prompt":
        ds = ds.rename_column(text, "prompt")
    ds = _undecoded(ds)
    for batch in ds.iter(batch_size=chunk):
        names = list(batch)
        yield from (dict(zip(names, vals)) for vals in zip(*batch.values()))


def _load_configs(source: str, configs: Sequence[str] | None, revision: str | None) -> list[str]:
    import datasets

    try:
        available = list(datasets.get_dataset_config_names(source, revision=revision))
    except Exception as exc:
        raise DatasetNotFoundError(f"cannot read the configs of dataset {source!r}: {exc}") from exc
    if not configs:
        return available
    bad = [c for c in configs if c not in available]
    if bad:
        raise UnknownNameError(f"unknown config(s) {bad} for dataset {source!r}; "
                                f"allowed: {available}")
    return list(dict.fromkeys(configs))


def _load_config(source: str, config: str, limit: int | None, revision: str | None) -> Any:
    from vlmsafety.storage.splits import load_split

    ds = load_split(source, config, revision=revision)  # names a truncated shard and the cause
    if limit is not None and limit < len(ds):
        ds = ds.select(range(limit))
    return ds


def _check_unique_ids(datasets_by_config: Mapping[str, Any]) -> int:
    """Reads only the ``id`` columns; returns the total row count."""
    seen: dict[str, str] = {}
    total = 0
    for config, ds in datasets_by_config.items():
        if "id" not in ds.column_names:
            raise DatasetRowError(f"config {config!r} has no 'id' column; columns: "
                                    f"{ds.column_names}")
        for rid in ds.select_columns(["id"])["id"]:
            if rid in seen:
                raise DatasetRowError(f"duplicate id {rid!r} in config {config!r} (first seen "
                                        f"in config {seen[rid]!r}); ids are the join key")
            seen[rid] = config
        total += len(ds)
    return total


def chunks(it: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of ``size`` items (the last may be shorter)."""
    it = iter(it)
    while chunk := list(islice(it, size)):
        yield chunk



def open_sources(
    dataset: Any, configs: Sequence[str] | None, revision: str | None, limit: int | None,
    chunk: int,
) -> tuple[list[Source], int | None, tuple[str, ...]]:
    """The sources of ``dataset``, the row count when it is known (for the progress bar) and the
    configs read (empty unless ``dataset`` is a folder or repo id).

    Raises:
        DatasetNotFoundError, UnknownNameError, DatasetRowError: as :func:`generate`.
        InvalidArgumentError: ``configs`` given with something other than a folder or repo id.
    """
    if isinstance(dataset, (str, os.PathLike)):
        from vlmsafety.storage.splits import check_source

        source = os.fspath(dataset)
        check_source(source)  # a local path is never sent to the Hub
        names = _load_configs(source, configs, revision)
        loaded = {c: _load_config(source, c, limit, revision) for c in names}
        total = _check_unique_ids(loaded)
        return [(c, _hf_rows(ds, chunk, c)) for c, ds in loaded.items()], total, tuple(names)
    if _is_hf_dataset(dataset):
        if configs:
            raise InvalidArgumentError("configs=... applies to a folder or repo id, not to a "
                                       "datasets.Dataset (select the config when loading it)")
        ds = dataset.select(range(limit)) if limit is not None and limit < len(dataset) else dataset
        total = _check_unique_ids({"(dataset)": ds})
        return [(None, _hf_rows(ds, chunk))], total, ()
    if configs:
        raise InvalidArgumentError("configs=... applies to a folder or repo id, not to rows")
    rows = dataset if limit is None else islice(dataset, limit)
    known = len(dataset) if hasattr(dataset, "__len__") else None
    if known is not None and limit is not None:
        known = min(known, limit)
    return [(None, rows)], known, ()
