"""The shared writer of Hub-ready dataset folders: parquet shards plus a generated dataset card.

A built folder looks like this, and is what ``datasets.load_dataset(folder, config)`` reads and what
``vlmsafety push`` uploads (hidden files are neither read nor uploaded)::

    out/
      README.md                         YAML header (configs, dataset_info) + card body
      data/<config>/test-00000-of-00001.parquet
      .vlmsafety-build                  the marker: a later build may replace this folder; the
                                        sha256 of every file (checked by ``vlmsafety push``)

``overwrite`` replaces only a folder a build made (:func:`check_build_folder`: it holds the
marker and nothing but :data:`BUILD_ENTRIES`), never a folder of someone's other files.

Writes are atomic and streaming: rows go to a temporary sibling folder in small row groups (memory
does not grow with the number of images), and the folder is renamed into place only when every
config is closed and the card is written. On any exception the temporary folder is removed.

Example:
    >>> import tempfile, pathlib, datasets
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "toy"
    >>> features = datasets.Features({"id": datasets.Value("string"), "x": datasets.Value("int32")})
    >>> with HubFolderWriter(out) as folder:
    ...     with folder.config("default", features) as rows:
    ...         rows.write({"id": "a", "x": 1})
    ...         rows.write({"id": "b", "x": 2})
    ...     _ = folder.write_card(pretty_name="Toy", version="1.0.0", body="# Toy\\n")
    >>> list(datasets.load_dataset(str(out), "default", split="test")["x"])
    [1, 2]
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from vlmsafety.errors import (
    DatasetRowError,
    InvalidArgumentError,
    SourceDataError,
)
from vlmsafety.storage.files import (
    public_modes,
    remove_stale_temporaries,
    temp_prefix,
    terminate_as_exception,
)

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["BUILD_ENTRIES", "BUILD_MARKER", "PART_FILE", "SPLIT", "ConfigWriter",
           "HubFolderWriter", "check_build_folder"]

SPLIT = "test"
"""Benchmarks are evaluation sets: every config has a single ``test`` split."""

PART_FILE = "build-part.json"
"""The file of a part folder (a sharded build) that says which build and which part it is."""

BUILD_MARKER = ".vlmsafety-build"
"""Written into every folder a build makes; ``overwrite`` replaces only a folder that has it."""

BUILD_ENTRIES: tuple[str, ...] = ("README.md", "data", PART_FILE, BUILD_MARKER)
"""What a built folder (or part folder) holds; ``overwrite`` replaces only such a folder."""

_DEFAULT_ROW_GROUP = 64
_DEFAULT_SHARD_BYTES = 256 * 1024 * 1024


class ConfigWriter:
    """Streams the rows of one config into parquet shards. Made by :meth:`HubFolderWriter.config`."""

    def __init__(
        self,
        root: Path,
        name: str,
        features: datasets.Features,
        *,
        row_group_size: int = _DEFAULT_ROW_GROUP,
        max_shard_bytes: int = _DEFAULT_SHARD_BYTES,
    ) -> None:
        self.name = name
        self.features = features
        self._dir = root / "data" / name
        self._dir.mkdir(parents=True, exist_ok=False)
        self._schema = features.arrow_schema
        self._row_group_size = row_group_size
        self._max_shard_bytes = max_shard_bytes
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._shard_bytes = 0
        self._shards: list[Path] = []
        self.num_rows = 0
        self.num_bytes = 0
        self.closed = False

    def write(self, row: Mapping[str, Any]) -> None:
        """Encode one row with the config's features and buffer it (flushed per row group)."""
        if self.closed:
            raise SourceDataError(f"config {self.name!r} is already closed")
        missing = set(self.features) - set(row)
        extra = set(row) - set(self.features)
        if missing or extra:
            raise DatasetRowError(
                f"config {self.name!r}, row {self.num_rows + len(self._buffer)}: columns do not match "
                f"the features (missing: {sorted(missing)}, unexpected: {sorted(extra)})"
            )
        try:
            encoded = self.features.encode_example(dict(row))
        except (ValueError, TypeError) as exc:
            raise DatasetRowError(
                f"config {self.name!r}, row id={row.get('id')!r}: cannot encode: {exc}"
            ) from exc
        self._buffer.append(encoded)
        if len(self._buffer) >= self._row_group_size:
            self._flush()

    def write_encoded(self, row: dict[str, Any]) -> None:
        """Buffer a row that is already encoded (read back from a part of a sharded build)."""
        if self.closed:
            raise SourceDataError(f"config {self.name!r} is already closed")
        self._buffer.append(row)
        if len(self._buffer) >= self._row_group_size:
            self._flush()

    def write_many(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.write(row)

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = pa.Table.from_pylist(self._buffer, schema=self._schema)
        self._buffer = []
        if self._writer is None or self._shard_bytes >= self._max_shard_bytes:
            self._close_shard()
            path = self._dir / f"shard-{len(self._shards):05d}.parquet"
            self._shards.append(path)
            # Fixed writer options so that the same rows give byte-identical files.
            self._writer = pq.ParquetWriter(
                path, self._schema, compression="zstd", write_statistics=True
            )
            self._shard_bytes = 0
        self._writer.write_table(table)
        self._shard_bytes += table.nbytes
        self.num_bytes += table.nbytes
        self.num_rows += table.num_rows

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def close(self) -> None:
        """Flush, close the last shard and give shards their final ``test-i-of-n`` names."""
        if self.closed:
            return
        self._flush()
        self._close_shard()
        if not self._shards:  # an empty config still gets one (empty) shard with the schema
            path = self._dir / "shard-00000.parquet"
            pq.write_table(self._schema.empty_table(), path, compression="zstd")
            self._shards.append(path)
        n = len(self._shards)
        for i, path in enumerate(self._shards):
            path.rename(self._dir / f"{SPLIT}-{i:05d}-of-{n:05d}.parquet")
        self.closed = True

    def abort(self) -> None:
        self._buffer = []
        self._close_shard()
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def check_build_folder(out: str | os.PathLike[str], *, overwrite: bool,
                       inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """Refuse an output folder a build may not replace: one that exists without ``overwrite``,
    one that does not hold :data:`BUILD_MARKER` or holds anything but :data:`BUILD_ENTRIES` (a
    folder of other files, which replacing would delete), the current folder, or one holding an
    input (see :func:`~vlmsafety.storage.files.check_output_folder`).

    Raises:
        OutputExistsError: naming the folder and why.
    """
    from vlmsafety.storage.files import check_output_folder

    return check_output_folder(out, overwrite=overwrite, inputs=inputs, entries=BUILD_ENTRIES,
                               marker=BUILD_MARKER, command="vlmsafety build")


def _write_marker(folder: Path) -> None:
    """Write :data:`BUILD_MARKER`: who made the folder and the sha256 of every file in it
    (``vlmsafety push`` checks them, so a file changed or damaged since the build is caught)."""
    import json

    from vlmsafety.storage.checksums import folder_sha256

    record = {"written_by": "vlmsafety build",
              "note": "a later build with --overwrite may replace this folder",
              "sha256": folder_sha256(folder, skip=(BUILD_MARKER,))}
    (folder / BUILD_MARKER).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


class HubFolderWriter:
    """Atomic writer of a Hub-ready dataset folder (see the module docstring).

    Args:
        out_dir: The final folder. Must not exist unless ``overwrite`` is true; it is replaced only
            after the new folder is complete.
        overwrite: Replace an existing ``out_dir`` that an earlier build made
            (:func:`check_build_folder`).
        inputs: Files or folders the build reads: ``out_dir`` may not be one of them nor hold
            one (replacing it would delete them), ``overwrite`` or not.
    """

    def __init__(self, out_dir: str | os.PathLike[str], *, overwrite: bool = False,
                 inputs: Iterable[str | os.PathLike[str] | None] = ()) -> None:
        self.out_dir = Path(out_dir)
        self.overwrite = overwrite
        self.inputs = tuple(inputs)
        self._configs: dict[str, ConfigWriter] = {}
        self._card_written = False
        self._tmp: Path | None = None
        self._signals = ExitStack()

    @property
    def configs(self) -> dict[str, ConfigWriter]:
        """The configs opened so far, by name."""
        return dict(self._configs)

    @property
    def root(self) -> Path:
        """The temporary folder being written (valid inside the ``with`` block)."""
        if self._tmp is None:
            raise SourceDataError("HubFolderWriter is used outside its `with` block")
        return self._tmp

    def __enter__(self) -> Self:
        check_build_folder(self.out_dir, overwrite=self.overwrite, inputs=self.inputs)
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self._signals.enter_context(terminate_as_exception())  # SIGTERM removes the temporary
        remove_stale_temporaries(self.out_dir)  # of a killed build
        self._tmp = Path(
            tempfile.mkdtemp(prefix=temp_prefix(self.out_dir, "building"), dir=self.out_dir.parent)
        )
        return self

    def config(self, name: str, features: datasets.Features, **kwargs: Any) -> ConfigWriter:
        """Open the writer of one config (use it as a context manager)."""
        if name in self._configs:
            raise SourceDataError(f"config {name!r} is written twice")
        writer = ConfigWriter(self.root, name, features, **kwargs)
        self._configs[name] = writer
        return writer

    def dataset_infos(self) -> DatasetInfosDict:
        infos = DatasetInfosDict()
        for name, cfg in self._configs.items():
            splits = datasets.SplitDict()
            splits.add(
                datasets.SplitInfo(name=SPLIT, num_bytes=cfg.num_bytes, num_examples=cfg.num_rows)
            )
            infos[name] = datasets.DatasetInfo(
                features=cfg.features, splits=splits, dataset_size=cfg.num_bytes, config_name=name
            )
        return infos

    def card_data(self, *, version: str, default_config: str | None = None, **card_fields: Any) -> DatasetCardData:
        """The YAML header: ``configs`` and ``dataset_info`` generated by the datasets classes."""
        open_configs = [n for n, c in self._configs.items() if not c.closed]
        if open_configs:
            raise SourceDataError(f"configs still open when writing the card: {open_configs}")
        try:  # datasets parses this version when loading the folder; refuse what it would refuse
            datasets.Version(version)
        except (ValueError, TypeError) as exc:
            raise InvalidArgumentError(
                f"version {version!r} is not of the form x.y.z with digits (e.g. '1.0.0'); "
                "datasets.load_dataset cannot read a card with it"
            ) from exc
        data = DatasetCardData(**card_fields)
        configs = MetadataConfigs(
            {
                name: {
                    "data_files": [{"split": SPLIT, "path": f"data/{name}/{SPLIT}-*.parquet"}],
                    **({"default": True} if name == default_config else {}),
                }
                for name in self._configs
            }
        )
        configs.to_dataset_card_data(data)
        self.dataset_infos().to_dataset_card_data(data)
        # DatasetInfo.version is a field datasets reads back from this YAML; record it per config.
        infos = data["dataset_info"]
        for info in infos if isinstance(infos, list) else [infos]:
            info["version"] = version
        data["version"] = version
        return data

    def write_card(self, *, body: str, version: str, default_config: str | None = None,
                   **card_fields: Any) -> DatasetCard:
        """Write README.md: generated YAML header plus ``body`` (markdown)."""
        data = self.card_data(version=version, default_config=default_config, **card_fields)
        card = DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body.lstrip()}")
        (self.root / "README.md").write_text(str(card), encoding="utf-8")
        self._card_written = True
        return card

    def write_extra(self, name: str, text: str) -> None:
        """Write a file other than the card at the folder's top (a sharded build's part
        manifest); a folder finished this way needs no card."""
        (self.root / name).write_text(text, encoding="utf-8")
        self._card_written = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with self._signals:
            self._exit(exc_type)

    def _exit(self, exc_type: type[BaseException] | None) -> None:
        tmp = self._tmp
        assert tmp is not None  # set by __enter__
        try:
            if exc_type is not None:
                for cfg in self._configs.values():
                    cfg.abort()
                return
            if not self._card_written:
                raise SourceDataError("the dataset card was never written (call write_card)")
            for cfg in self._configs.values():
                cfg.close()
            _write_marker(tmp)
            public_modes(tmp)
            if self.out_dir.exists():
                backup = self.out_dir.with_name(temp_prefix(self.out_dir, "old") + "0")
                self.out_dir.rename(backup)
                tmp.rename(self.out_dir)
                shutil.rmtree(backup, ignore_errors=True)
            else:
                tmp.rename(self.out_dir)
            self._tmp = None
        finally:
            if self._tmp is not None and self._tmp.exists():
                shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
