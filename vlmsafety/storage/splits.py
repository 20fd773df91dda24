"""Loading one split of a dataset config with errors that say what is wrong and where.

``datasets.load_dataset`` on a folder whose parquet shard is truncated raises
``DatasetGenerationError: An error occurred while generating the dataset``, the real cause
("Parquet magic bytes not found in footer") two exceptions down and the shard named only in a
log line. :func:`load_split` raises :class:`~vlmsafety.errors.DatasetNotFoundError` naming the
config, the unreadable shard(s) and the cause instead.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "data" / "clean").mkdir(parents=True)
    >>> _ = (d / "data" / "clean" / "test-00000-of-00001.parquet").write_bytes(b"PAR1 cut short")
    >>> broken_shards(d, "clean")
    ['data/clean/test-00000-of-00001.parquet']
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vlmsafety.errors import DatasetNotFoundError
from vlmsafety.storage.checksums import bytes_sha256, file_sha256

__all__ = ["broken_shards", "check_source", "dataset_revision", "load_split", "shard_hashes"]


def broken_shards(source: str | os.PathLike[str], config: str | None = None) -> list[str]:
    """The parquet files of a local dataset folder whose footer cannot be read (truncated or not
    parquet), relative to the folder; only under ``data/<config>/`` when ``config`` is given
    (and nothing for a Hub repo id)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(source)
    if not root.is_dir():
        return []
    under = root / "data" / config if config and (root / "data" / config).is_dir() else root
    bad = []
    for f in sorted(under.rglob("*.parquet")):
        try:
            pq.read_metadata(f)
        except (pa.ArrowException, OSError):
            bad.append(f.relative_to(root).as_posix())
    return bad


def _root_cause(exc: BaseException) -> BaseException:
    seen = {id(exc)}
    while True:
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or id(nxt) in seen:
            return exc
        seen.add(id(nxt))
        exc = nxt


_FILE_SUFFIXES = frozenset({".jsonl", ".json", ".csv", ".tsv", ".parquet", ".arrow", ".zip",
                            ".gz", ".tar", ".txt", ".xlsx", ".xls"})
"""Suffixes of files, not datasets: a name ending so is a local path, never a Hub repo id."""


def check_source(source: str | os.PathLike[str]) -> None:
    """Refuse, before any network call, a dataset that is neither a folder nor a Hub repo id.

    A Hub dataset is ``OWNER/NAME``. Anything that looks like a local path (it starts with
    ``.``, ``/`` or ``~``, has more than one separator, or ends in a file suffix such as
    ``.jsonl``) is never sent to the Hub: it must be an existing folder. A file is refused too
    (a dataset is a folder built by ``vlmsafety build``).

    Raises:
        DatasetNotFoundError: as above, naming the value.

    Example:
        >>> check_source("vlmsafety/dual")
        >>> check_source("./missing")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.DatasetNotFoundError: dataset folder './missing' does not exist (and it is
        not a Hub repo id, which is OWNER/NAME, e.g. vlmsafety/dual)
    """
    text = os.fspath(source)
    path = Path(text).expanduser()
    if path.is_dir():
        return
    if path.exists():
        raise DatasetNotFoundError(
            f"dataset {text!r} is a file; a dataset is a folder built by `vlmsafety build` "
            "(data/<config>/*.parquet + README.md) or a Hub repo id such as vlmsafety/dual")
    owner, _, name = text.partition("/")
    if (text.startswith((".", "/", "~")) or not owner or not name or "/" in name
            or (os.sep != "/" and os.sep in text) or path.suffix.lower() in _FILE_SUFFIXES):
        raise DatasetNotFoundError(
            f"dataset folder {text!r} does not exist (and it is not a Hub repo id, which is "
            "OWNER/NAME, e.g. vlmsafety/dual)")


def load_split(source: str | os.PathLike[str], config: str, *, split: str = "test",
               revision: str | None = None, **kwargs: Any) -> Any:
    """``datasets.load_dataset(source, config, split=split, revision=revision, **kwargs)``, with
    a clear error.

    Raises:
        DatasetNotFoundError: the split cannot be loaded; the message names the dataset, the
            config, the unreadable shard(s) of a local folder and the underlying cause.
    """
    import datasets

    check_source(source)
    quiet = not datasets.utils.are_progress_bars_disabled()
    if quiet:  # datasets' "Generating test split" bars are not the caller's progress
        datasets.utils.disable_progress_bars()
    try:
        return datasets.load_dataset(os.fspath(source), config, split=split, revision=revision,
                                     **kwargs)
    except Exception as exc:
        cause = _root_cause(exc)
        reason = f"{type(cause).__name__}: {cause}"
        where = f"config {config!r} (split {split!r}) of dataset {os.fspath(source)!r}"
        bad = broken_shards(source, config)
        if bad:
            shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            raise DatasetNotFoundError(
                f"cannot load {where}: parquet shard {shown} is truncated or not a parquet file "
                f"({reason}); rebuild the folder (`vlmsafety build ...`) or download it "
                "again") from exc
        raise DatasetNotFoundError(f"cannot load {where}: {reason}") from exc
    finally:
        if quiet:
            datasets.utils.enable_progress_bars()


def shard_hashes(source: str | os.PathLike[str], configs: Sequence[str]) -> dict[str, str]:
    """sha256 of the parquet shards under ``data/<config>/`` of a local folder (else empty), by
    path relative to the folder: what :func:`dataset_revision` digests."""
    root = Path(source)
    if not root.is_dir():
        return {}
    return {f.relative_to(root).as_posix(): file_sha256(f)
            for config in configs for f in sorted((root / "data" / config).glob("*.parquet"))}


def dataset_revision(files: Mapping[str, str], config: str, *, revision: str | None = None) -> str:
    """What an item's dataset config was, for the record's ``dataset_revision``.

    A Hub revision when one was pinned (``"hub:<revision>"``); else, for a local folder, the
    sha256 of its config's shard checksums (``files``: relative path -> sha256, as
    :class:`~vlmsafety.evaluation.reference.Reference` holds them), so that scoring only some
    configs gives the same value; else ``"unpinned"``.

    Example:
        >>> files = {"data/clean/0.parquet": "ab" * 32, "data/perturbed/0.parquet": "cd" * 32}
        >>> dataset_revision(files, "clean")[:7], dataset_revision({}, "clean", revision="v1")
        ('sha256:', 'hub:v1')
        >>> dataset_revision(files, "clean") == dataset_revision(dict(list(files.items())[:1]), "clean")
        True
    """
    if revision:
        return f"hub:{revision}"
    prefix = f"data/{config}/"
    lines = [f"{path} {sha}\n" for path, sha in sorted(files.items()) if path.startswith(prefix)]
    if not lines:
        return "unpinned"
    return "sha256:" + bytes_sha256("".join(lines).encode("utf-8"))
