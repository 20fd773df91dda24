"""The dataset rows that predictions are scored against: metadata only, read through the spec.

A dataset that is neither a folder nor a Hub repo id (``OWNER/NAME``) fails at once, before
any network call (:func:`vlmsafety.storage.splits.check_source`).

Example:
    >>> load_reference("./dual-smaple", "dual")
    Traceback (most recent call last):
    ...
    vlmsafety.errors.DatasetNotFoundError: dataset folder './dual-smaple' does not exist (and it is
    not a Hub repo id, which is OWNER/NAME, e.g. vlmsafety/dual)
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlmsafety.errors import DatasetNotFoundError, ScoringInputError
from vlmsafety.specs import BenchmarkSpec, get_spec
from vlmsafety.storage.splits import check_source, load_split, shard_hashes

__all__ = ["Reference", "load_reference"]


@dataclass
class Reference:
    """The dataset rows that predictions are scored against (metadata only, no images).

    Attributes:
        benchmark: The benchmark's name (its :class:`~vlmsafety.specs.BenchmarkSpec`: ``spec``).
        source: The folder or repo id it was loaded from.
        version: The dataset version from its card (``None`` when the card has none).
        rows: config -> rows (ClassLabel columns decoded to their names), in dataset order.
        outside: id -> config for the rows of the benchmark's other configs when only some are
            scored: predictions for them are left out and counted, not rejected as unknown ids.
        revision: The Hub revision asked for (``None``: the default branch, or a local folder).
        files: Relative path -> sha256 of the parquet shards of the scored configs (local
            folders only), so a result names exactly the data it was computed on.
    """

    benchmark: str
    source: str
    version: str | None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)
    revision: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    _images: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def images(self) -> dict[str, Any]:
        """id -> the stored image of every scored row (``None``: a text-only row), read from the
        dataset on the first call only (evaluation reads images only for a judge that sends
        them), as ``vlmsafety generate`` reads them
        (:func:`~vlmsafety.generate.sources.stored_images`)."""
        if self._images is None:
            from vlmsafety.generate.sources import stored_images

            self._images = {}
            for config in self.rows:
                self._images.update(stored_images(self.source, config, revision=self.revision))
        return self._images

    @property
    def spec(self) -> BenchmarkSpec:
        """The benchmark's spec."""
        return get_spec(self.benchmark)

    def image_sources(self) -> dict[str, dict[str, int]]:
        """Rows per ``image_source`` (original / rendered / placeholder) per config, where the
        dataset has that column and the rows have images (a text-only config's ``None`` is not
        counted)."""
        counts = {c: Counter(r["image_source"] for r in rows if r["image_source"] is not None)
                  for c, rows in self.rows.items() if rows and "image_source" in rows[0]}
        return {c: dict(sorted(n.items())) for c, n in counts.items() if n}

    def warnings(self) -> list[str]:
        """What makes these rows unfit to measure a model (placeholder images)."""
        out = []
        for config, counts in self.image_sources().items():
            n = counts.get("placeholder", 0)
            if n:
                out.append(f"{n} of {sum(counts.values())} rows of {config!r} have placeholder "
                           "images (built with --placeholders): their scores do not measure a "
                           "model; build with the release images")
        return out

    @property
    def ids(self) -> list[str]:
        """Every id, config by config."""
        return [r["id"] for rows in self.rows.values() for r in rows]


def _card_version(source: str) -> str | None:
    """The ``version`` field of the dataset card's YAML, when it can be read offline."""
    from huggingface_hub import DatasetCard

    card = Path(source) / "README.md"
    try:
        data = DatasetCard.load(card if card.is_file() else source).data.to_dict()
    except Exception:  # noqa: BLE001 - a repo id without network, or no card: version unknown
        return None
    version = data.get("version")
    return str(version) if version is not None else None


def _available_configs(source: str, spec: BenchmarkSpec, revision: str | None) -> list[str]:
    import datasets

    local = Path(source).exists()
    check_source(source)  # a typo in a folder name fails here, not after the Hub's retries
    try:
        available = datasets.get_dataset_config_names(source, revision=revision)
    except Exception as exc:
        hint = "" if local else " (there is no local folder of that name either)"
        raise DatasetNotFoundError(
            f"cannot read the configs of dataset {source!r}{hint}: {exc}") from exc
    known = [c for c in spec.config_names if c in available]
    if not known:
        raise ScoringInputError(
            f"dataset {source!r} has configs {available}, none of which belongs to benchmark "
            f"{spec.name!r} (expected some of {list(spec.config_names)})"
        )
    return known


def load_reference(
    dataset: str | os.PathLike[str], benchmark: str | BenchmarkSpec,
    configs: Sequence[str] | None = None, *, revision: str | None = None,
) -> Reference:
    """Load the metadata of every row of ``configs`` (default: all the benchmark's configs).

    ``revision`` pins a Hub dataset to a branch, tag or commit (as in ``load_dataset``).

    Raises:
        UnknownNameError: an unknown benchmark.
        ScoringInputError: a config the dataset lacks, or a dataset of another benchmark.
        DatasetNotFoundError: the folder or repo cannot be read (a truncated shard is named).
    """
    import datasets

    spec = get_spec(benchmark)
    source = os.fspath(dataset)
    known = _available_configs(source, spec, revision)
    ref = Reference(spec.name, source, _card_version(source), revision=revision)
    if configs:
        bad = [c for c in configs if c not in known]
        if bad:
            raise ScoringInputError(f"config(s) {bad} not in dataset {source!r}; available: {known}")
        for config in (c for c in known if c not in configs):  # ids only: cheap
            ids = load_split(source, config, columns=["id"], revision=revision)["id"]
            ref.outside.update(dict.fromkeys(ids, config))
        known = [c for c in known if c in configs]
    for config in known:
        ds = load_split(source, config, revision=revision)  # names a truncated shard
        ds = ds.select_columns([c for c in spec.columns if c in ds.column_names])
        decoders = {name: feat.names for name, feat in ds.features.items()
                    if isinstance(feat, datasets.ClassLabel)}
        rows = ds.to_list()
        for row in rows:
            for name, names in decoders.items():
                row[name] = names[row[name]]
        ref.rows[config] = rows
    ref.files = shard_hashes(source, list(ref.rows))
    return ref


