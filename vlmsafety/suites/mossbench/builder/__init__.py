"""MOSSBench as a versioned Hub dataset folder: release reader, image checks, builder, card.

MOSSBench (Li et al., arXiv 2406.17806) is released in the GitHub repo ``xirui-li/MOSSBench``:
``information.csv`` (300 benign queries with their metadata) and one image per query under
``data/images/<pid>.png``. This module turns them into a Hub-ready folder with one config
(``default``, one ``test`` split of 300 rows, 100 per stimulus type).

Inputs are verified: ``information.csv`` must match its pinned sha256 (:data:`INFORMATION_SHA256`),
every image must decode fully with Pillow (the decompression-bomb limit is an error) within
:data:`MAX_IMAGE_BYTES` and :data:`MAX_IMAGE_SIDE`, and the images whose sha256 is known
(:data:`KNOWN_IMAGE_SHA256`) must match it. Every image's sha256 is recorded in the row
(``image_sha256``) and listed in the generated card. Missing or bad images are one error naming
the first few and the count, unless ``placeholders=True`` (then ``image_source="placeholder"``).

Inputs come from the pinned commit :data:`SOURCE_COMMIT` (downloaded from ``base_url``, the raw
host) or from a local clone or copy (``source``): ``information.csv`` at its top and images under
``data/images/`` (or ``images/``, the path the CSV names).

Modules, by job: :mod:`~vlmsafety.suites.mossbench.builder.schema` (versions, pinned release, limits,
columns, :class:`MossRecord`), :mod:`~vlmsafety.suites.mossbench.builder.source` (``information.csv``
parsed, release files read or downloaded), :mod:`~vlmsafety.suites.mossbench.builder.images` (image
checks, the placeholder), :mod:`~vlmsafety.suites.mossbench.builder.card` (the card, filled from
``suites/mossbench/builder/card.md``) and :mod:`~vlmsafety.suites.mossbench.builder.build` (the
orchestration). Every public name is re-exported here.

Example:
    >>> IMAGE_PATH.format(pid=7), FEATURES["stimulus"].names[1]
    ('data/images/7.png', 'negated_harm')
    >>> sorted(KNOWN_IMAGE_SHA256)
    [1, 2, 101, 102, 201, 202]
"""

from __future__ import annotations

from vlmsafety.suites.mossbench.builder.build import build_mossbench
from vlmsafety.suites.mossbench.builder.schema import (
    BUILDER_VERSION,
    CONFIG,
    DATASET_VERSION,
    DEFAULT_BASE_URL,
    FEATURES,
    IMAGE_PATH,
    IMAGE_SOURCES,
    INFORMATION_COLUMNS,
    INFORMATION_PATH,
    INFORMATION_SHA256,
    KNOWN_IMAGE_SHA256,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    SOURCE_COMMIT,
    SOURCE_REPO,
    MossRecord,
)
from vlmsafety.suites.mossbench.builder.source import read_information, source_url

__all__ = [
    "BUILDER_VERSION",
    "CONFIG",
    "DATASET_VERSION",
    "DEFAULT_BASE_URL",
    "FEATURES",
    "IMAGE_PATH",
    "IMAGE_SOURCES",
    "INFORMATION_COLUMNS",
    "INFORMATION_PATH",
    "INFORMATION_SHA256",
    "KNOWN_IMAGE_SHA256",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "SOURCE_COMMIT",
    "SOURCE_REPO",
    "MossRecord",
    "build_mossbench",
    "read_information",
    "source_url",
]
