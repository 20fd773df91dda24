"""Sharded builds: the I-th of K disjoint parts of a build, and the merge of the K parts.

A builder given ``shard=(i, k)`` writes only its contiguous ``i``-th slice of the planned rows
(items for DUAL-Bench, rows for VSCBench) into a *part folder*: ``data/<config>/*.parquet`` plus
:data:`PART_FILE`, which holds the build's fingerprint (versions, settings, seed, source
checksums), the part's place (``i`` of ``k``), its configs' features, what the card needs and the
sha256 of every file of the part. :func:`merge_parts` checks that the parts belong together (same
fingerprint, each index of ``0..k-1`` exactly once) and that no file of a part was changed,
added or removed since it was built (naming the part and the file), and writes the rows in
order through the same writer, so the merged folder is byte for byte the one a single build
writes. Machines run the parts; any scheduler does (see docs/sharded-builds.md): vlmsafety has
none of its own.

Example:
    >>> parse_shard("1/3"), list(shard_range(10, 1, 3)), list(shard_range(10, 2, 3))
    ((1, 3), [3, 4, 5], [6, 7, 8, 9])
    >>> diff_fields({"seed": 0, "settings": {"size": 512}}, {"seed": 1, "settings": {"size": 512}})
    ['seed']
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

import datasets
import pyarrow.parquet as pq

from vlmsafety.builders.hubfolder import BUILD_MARKER, PART_FILE, ConfigWriter, HubFolderWriter
from vlmsafety.errors import InvalidArgumentError, SourceDataError
from vlmsafety.storage.checksums import compare_sha256, folder_sha256

__all__ = [
    "PART_FILE",
    "PART_FORMAT",
    "diff_fields",
    "fingerprint",
    "merge_parts",
    "parse_shard",
    "read_parts",
    "shard_range",
    "verify_part",
]

PART_FORMAT: Final = "vlmsafety-build-part/2"
"""Version 2 records the sha256 of every file of the part (``files``)."""

_PACKAGES = ("vlmsafety", "datasets", "pyarrow", "pillow", "numpy", "huggingface_hub")


def parse_shard(text: str | tuple[int, int]) -> tuple[int, int]:
    """``"I/K"`` (or ``(I, K)``) as ``(I, K)`` with ``0 <= I < K``; I counts from 0.

    Example:
        >>> parse_shard("3/3")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.InvalidArgumentError: shard '3/3': expected I/K with 0 <= I < K (I counts
        from 0, e.g. 0/4 ... 3/4)
    """
    try:
        i, k = (int(p) for p in text.split("/")) if isinstance(text, str) else text
        ok = 0 <= i < k
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise InvalidArgumentError(f"shard {text!r}: expected I/K with 0 <= I < K (I counts from "
                                   "0, e.g. 0/4 ... 3/4)")
    return i, k


def shard_range(n: int, index: int, count: int) -> range:
    """The contiguous slice of ``range(n)`` that part ``index`` of ``count`` builds (sizes differ
    by at most one; some are empty when ``count > n``)."""
    return range(n * index // count, n * (index + 1) // count)


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def fingerprint(builder: str, *, settings: Mapping[str, Any], seed: int | None,
                sources: Mapping[str, Any], builder_version: str) -> dict[str, Any]:
    """What must agree between the parts of one build (JSON-ready).

    Args:
        builder: The builder's module (``"vlmsafety.suites.vsc.builder"``).
        settings: The options that shape the output (image size, configs, ...).
        seed: The build's seed (``None`` when it has none).
        sources: Checksums of the inputs (files, item lists, image archives).
        builder_version: The builder's version.
    """
    versions = {p: _version(p) for p in _PACKAGES}
    versions["python"] = platform.python_version()
    return json.loads(json.dumps({
        "builder": builder, "builder_version": builder_version, "versions": versions,
        "settings": dict(settings), "seed": seed, "sources": dict(sources)}))


def diff_fields(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted names of the fields where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b)):
            out += diff_fields(a.get(key), b.get(key), f"{prefix}{key}.")
        return out
    return [] if a == b else [prefix.rstrip(".") or "(whole)"]


def write_part(folder: HubFolderWriter, *, builder: str, fingerprint: Mapping[str, Any],
               shard: tuple[int, int], card: Mapping[str, Any]) -> None:
    """Close the configs of ``folder`` and write its :data:`PART_FILE` (instead of a card)."""
    configs = {}
    for name, writer in folder.configs.items():
        writer.close()
        configs[name] = {"rows": writer.num_rows, "features": writer.features.to_dict()}
    manifest = {"format": PART_FORMAT, "builder": builder, "fingerprint": dict(fingerprint),
                "shard": {"index": shard[0], "count": shard[1]}, "configs": configs,
                "card": dict(card), "files": folder_sha256(folder.root, skip=(PART_FILE, BUILD_MARKER))}
    folder.write_extra(PART_FILE, json.dumps(manifest, indent=1) + "\n")


def _read_manifest(part: Path) -> dict[str, Any]:
    path = part / PART_FILE
    if not path.is_file():
        raise SourceDataError(f"{str(part)!r} is not a part folder: no {PART_FILE} in it (build "
                              "parts with --shard I/K)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceDataError(f"{path}: unreadable part manifest ({exc})") from None
    if isinstance(manifest, dict) and manifest.get("format") == "vlmsafety-build-part/1":
        raise SourceDataError(f"{path}: the part was built by an older vlmsafety and records no "
                              "checksums of its files; rebuild it")
    if not isinstance(manifest, dict) or manifest.get("format") != PART_FORMAT:
        raise SourceDataError(f"{path}: not a {PART_FORMAT} manifest")
    return manifest


def verify_part(part: Path, manifest: Mapping[str, Any]) -> None:
    """Check every file of a part folder against the sha256 its manifest records.

    Raises:
        SourceDataError: a file differs, is missing or was added; the part and the file named.
    """
    actual = folder_sha256(part, skip=(PART_FILE, BUILD_MARKER))
    changed, missing, added = compare_sha256(manifest["files"], actual)
    if added:
        raise SourceDataError(f"part {str(part)!r}: file {added[0]!r} is not one the part was built "
                              f"with (not in its {PART_FILE}); remove it or rebuild the part")
    if missing:
        raise SourceDataError(f"part {str(part)!r}: file {missing[0]!r} is missing; rebuild the "
                              "part")
    if changed:
        raise SourceDataError(f"part {str(part)!r}: file {changed[0]!r} differs from the one built "
                              f"(its sha256 is not the one in {PART_FILE}): it was changed or "
                              "damaged since; rebuild the part")


def read_parts(parts: Sequence[str | os.PathLike[str]]) -> list[tuple[Path, dict[str, Any]]]:
    """The part folders with their manifests, in index order, checked to be one whole build.

    Raises:
        SourceDataError: a folder is no part; fingerprints differ (naming the fields); the parts
            disagree on K; an index is missing or given twice.
    """
    if not parts:
        raise InvalidArgumentError("no part folders given")
    loaded = [(Path(p), _read_manifest(Path(p))) for p in parts]
    first_path, first = loaded[0]
    for path, m in loaded[1:]:
        fields = diff_fields(first["fingerprint"], m["fingerprint"])
        if fields or m["builder"] != first["builder"]:
            raise SourceDataError(
                f"parts {str(first_path)!r} and {str(path)!r} are not of the same build: their "
                f"fingerprints differ in {', '.join(fields or ['builder'])}")
    counts = {m["shard"]["count"] for _, m in loaded}
    if len(counts) > 1:
        raise SourceDataError(f"the parts split the build differently: K = {sorted(counts)}")
    k = counts.pop()
    seen: dict[int, Path] = {}
    for path, m in loaded:
        i = m["shard"]["index"]
        if i in seen:
            raise SourceDataError(f"part {i}/{k} is given twice: {str(seen[i])!r} and {str(path)!r}")
        seen[i] = path
    missing = [i for i in range(k) if i not in seen]
    if missing:
        raise SourceDataError(f"parts missing: {', '.join(f'{i}/{k}' for i in missing)} (have "
                              f"{', '.join(f'{i}/{k}' for i in sorted(seen))})")
    return sorted(loaded, key=lambda pm: int(pm[1]["shard"]["index"]))


def _copy_rows(folder: Path, writer: ConfigWriter, bar: Any) -> int:
    """Stream a part's rows of one config, already encoded, into ``writer``; their count."""
    import pyarrow as pa

    n = 0
    for file in sorted(folder.glob("*.parquet")):
        try:
            for batch in pq.ParquetFile(file).iter_batches(batch_size=256):
                for row in batch.to_pylist():
                    writer.write_encoded(row)
                n += batch.num_rows
                bar.update(batch.num_rows)
        except (pa.ArrowException, OSError) as exc:
            raise SourceDataError(f"{file}: unreadable parquet file of a part ({exc}); rebuild "
                                  "the part") from None
    return n


def merge_parts(
    parts: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    card: Callable[[list[dict[str, Any]]], dict[str, Any]],
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Write the folder the single build would have written, from its K part folders.

    Args:
        parts: The part folders, in any order.
        out_dir: Output folder; must not exist unless ``overwrite``; may not be a part.
        card: The builder's card merger: the manifests' ``card`` entries, in part order, to the
            keyword arguments of :meth:`HubFolderWriter.write_card`.
        overwrite: Replace an existing ``out_dir``.
        progress: Show a tqdm progress bar.
    """
    from tqdm.auto import tqdm

    loaded = read_parts(parts)
    for path, manifest in loaded:  # before anything is written
        verify_part(path, manifest)
    manifests = [m for _, m in loaded]
    names = list(manifests[0]["configs"])
    total = sum(c["rows"] for m in manifests for c in m["configs"].values())
    out = Path(out_dir)
    with HubFolderWriter(out, overwrite=overwrite, inputs=[p for p, _ in loaded]) as folder, \
            tqdm(total=total, unit="row", desc=f"merge -> {out.name}", disable=not progress) as bar:
        for name in names:
            features = datasets.Features.from_dict(manifests[0]["configs"][name]["features"])
            with folder.config(name, features) as writer:
                for path, manifest in loaded:
                    n = _copy_rows(path / "data" / name, writer, bar)
                    if n != manifest["configs"][name]["rows"]:
                        raise SourceDataError(
                            f"part {str(path)!r}, config {name!r}: {n} rows in its parquet files, "
                            f"{manifest['configs'][name]['rows']} in its {PART_FILE}; rebuild it")
        folder.write_card(**card([m["card"] for m in manifests]))
    return out
