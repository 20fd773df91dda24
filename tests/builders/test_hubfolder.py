"""HubFolderWriter: round trip through load_dataset, bounded row groups and memory, shards, atomicity."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path
from typing import Any

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from vlmsafety.builders.hubfolder import SPLIT, HubFolderWriter
from vlmsafety.errors import (
    DatasetRowError,
    InvalidArgumentError,
    OutputExistsError,
    SourceDataError,
)

FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "label": datasets.ClassLabel(names=["safe", "unsafe"]),
        "blob": datasets.Value("binary"),
    }
)


def _rows(n: int, blob_size: int = 16) -> Any:
    for i in range(n):  # distinct, incompressible bytes per row, made lazily and deterministically
        yield {"id": f"r{i}", "label": ["safe", "unsafe"][i % 2],
               "blob": random.Random(i).randbytes(blob_size)}


def _build(out: Path, n: int, **kwargs: Any) -> Path:
    with HubFolderWriter(out) as folder:
        with folder.config("default", FEATURES, **kwargs) as cfg:
            cfg.write_many(_rows(n))
        folder.write_card(pretty_name="T", version="1.2.3", body="# T\n")
    return out


def _shards(out: Path) -> list[Path]:
    return sorted((out / "data" / "default").glob("*.parquet"))


def test_round_trip_through_load_dataset(tmp_path: Path) -> None:
    out = _build(tmp_path / "ds", 10, row_group_size=3)
    ds = datasets.load_dataset(str(out), "default", split=SPLIT, cache_dir=str(tmp_path / "c"))
    assert ds["id"] == [f"r{i}" for i in range(10)]
    assert ds["label"] == [i % 2 for i in range(10)]
    assert ds.features["label"].names == ["safe", "unsafe"]
    assert ds["blob"] == [r["blob"] for r in _rows(10)]


def test_row_groups_have_the_requested_size(tmp_path: Path) -> None:
    out = _build(tmp_path / "ds", 10, row_group_size=4)
    meta = pq.ParquetFile(_shards(out)[0]).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [4, 4, 2]


def test_shards_rotate_and_get_final_names(tmp_path: Path) -> None:
    out = _build(tmp_path / "ds", 10, row_group_size=2, max_shard_bytes=1)
    names = [p.name for p in _shards(out)]
    assert names == [f"{SPLIT}-{i:05d}-of-00005.parquet" for i in range(5)]
    ds = datasets.load_dataset(str(out), "default", split=SPLIT, cache_dir=str(tmp_path / "c"))
    assert ds["id"] == [f"r{i}" for i in range(10)]  # order kept across shards


def test_memory_does_not_grow_with_rows(tmp_path: Path) -> None:
    """Python and Arrow allocations stay within a few row groups while 20 MB of rows stream through."""
    blob, n, group = 50_000, 400, 8
    arrow_peak = 0
    tracemalloc.start()
    try:
        with HubFolderWriter(tmp_path / "ds") as folder:
            with folder.config("default", FEATURES, row_group_size=group) as cfg:
                for row in _rows(n, blob):
                    cfg.write(row)
                    arrow_peak = max(arrow_peak, pa.total_allocated_bytes())
            folder.write_card(pretty_name="T", version="1.0.0", body="# T\n")
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    total = blob * n
    assert python_peak < total / 8, python_peak
    assert arrow_peak < total / 8, arrow_peak
    assert sum(p.stat().st_size for p in _shards(tmp_path / "ds")) > total // 2


def test_same_rows_give_identical_files(tmp_path: Path) -> None:
    a = _shards(_build(tmp_path / "a", 7, row_group_size=3))
    b = _shards(_build(tmp_path / "b", 7, row_group_size=3))
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_empty_config_gets_one_empty_shard(tmp_path: Path) -> None:
    out = _build(tmp_path / "ds", 0)
    assert [p.name for p in _shards(out)] == [f"{SPLIT}-00000-of-00001.parquet"]
    assert pq.read_table(_shards(out)[0]).num_rows == 0


def test_failure_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    with pytest.raises(RuntimeError, match="boom"):
        with HubFolderWriter(out) as folder:
            with folder.config("default", FEATURES) as cfg:
                cfg.write_many(_rows(3))
                raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_only_when_complete(tmp_path: Path) -> None:
    out = _build(tmp_path / "ds", 2)
    with pytest.raises(OutputExistsError, match="already exists"):
        _build(out, 3)
    with pytest.raises(RuntimeError):
        with HubFolderWriter(out, overwrite=True) as folder:
            folder.config("default", FEATURES).write_many(_rows(5))
            raise RuntimeError("interrupted")
    loaded = datasets.load_dataset(str(out), "default", split=SPLIT, cache_dir=str(tmp_path / "c"))
    assert loaded.num_rows == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "ds"]


def test_row_with_wrong_columns_names_the_row_and_columns(tmp_path: Path) -> None:
    with pytest.raises(DatasetRowError, match=r"row 1: .*missing: \['blob'\].*unexpected: \['x'\]"):
        with HubFolderWriter(tmp_path / "ds") as folder:
            with folder.config("default", FEATURES) as cfg:
                cfg.write(next(iter(_rows(1))))
                cfg.write({"id": "r1", "label": "safe", "x": 1})


def test_unencodable_value_names_the_row_id(tmp_path: Path) -> None:
    with pytest.raises(DatasetRowError, match="id='bad'"):
        with HubFolderWriter(tmp_path / "ds") as folder:
            with folder.config("default", FEATURES) as cfg:
                cfg.write({"id": "bad", "label": "maybe", "blob": b""})


def test_card_is_required(tmp_path: Path) -> None:
    with pytest.raises(SourceDataError, match="card was never written"):
        with HubFolderWriter(tmp_path / "ds") as folder:
            with folder.config("default", FEATURES) as cfg:
                cfg.write_many(_rows(1))
    assert not (tmp_path / "ds").exists()


@pytest.mark.parametrize("version", ["1", "1.0", "v1.0.0", "1.0.0-rc1"])
def test_version_that_datasets_cannot_read_is_refused(tmp_path: Path, version: str) -> None:
    with pytest.raises(InvalidArgumentError, match=rf"version '{version}' is not of the form x\.y\.z"):
        with HubFolderWriter(tmp_path / "ds") as folder:
            with folder.config("default", FEATURES) as cfg:
                cfg.write_many(_rows(1))
            folder.write_card(pretty_name="T", version=version, body="# T\n")
    assert not (tmp_path / "ds").exists()
