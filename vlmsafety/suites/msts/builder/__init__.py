"""MSTS as a versioned Hub dataset folder: release CSVs, images fetched and checked, card.

MSTS (Röttger et al., arXiv 2501.10057; GitHub ``paul-rottger/msts-multimodal-safety``, CC BY 4.0)
releases its prompts as CSVs and its 200 images as URLs only. :func:`build_msts` turns them into a
Hub-ready folder with one config per language (``en``: 400 rows, assistance and intention prompts;
``ar``, ``zh``, ``fa``, ``fr``, ``de``, ``hi``, ``it``, ``ko``, ``ru``, ``es``: the 200 assistance
prompts each) and ``en_textonly`` (400 rows, no image).

Inputs: the CSVs come from a local clone (``source``) or are downloaded from the release commit
:data:`SOURCE_COMMIT`, and are checked against their sha256 either way (the pins live in
:mod:`vlmsafety.suites.msts.release`). Images come from the release's URLs, a mirror serving
``<image id>.<ext>``, or a local folder of such files; downloads are concurrent, bounded, retried
and cached (:mod:`~vlmsafety.suites.msts.builder.fetch`). Every image must decode within the
limits of :mod:`~vlmsafety.suites.msts.builder.images`; a missing or bad one is one error naming
the first few, or a counted, warned placeholder (``placeholders=True``) that ``vlmsafety push``
refuses. The release pins no image checksums, so the card and its YAML header
(``builder.image_manifest``) record each image's sha256, source URL and licence.

Modules, by job: :mod:`~vlmsafety.suites.msts.builder.schema` (versions, limits, columns),
:mod:`~vlmsafety.suites.msts.builder.source` (the pinned CSVs downloaded),
:mod:`~vlmsafety.suites.msts.builder.fetch` (image downloads and their cache),
:mod:`~vlmsafety.suites.msts.builder.images` (checks, ``--images`` folder, placeholder),
:mod:`~vlmsafety.suites.msts.builder.card` (card and manifest, from ``card.md``) and
:mod:`~vlmsafety.suites.msts.builder.build` (the orchestration).

Example:
    >>> FEATURES["prompt_type"].names
    ['assistance', 'intention']
    >>> SOURCE_COMMIT
    'e9ae69e8f1ab87ab2bb2ed7c51e992e0430f12e3'
"""

from __future__ import annotations

from vlmsafety.suites.msts.builder.build import build_msts, default_cache_dir
from vlmsafety.suites.msts.builder.card import (
    compare_images,
    image_manifest,
    push_warnings,
    read_image_manifest,
)
from vlmsafety.suites.msts.builder.fetch import FetchSettings, ImageCache, fetch_images
from vlmsafety.suites.msts.builder.images import BuiltImage, check_image, placeholder_png
from vlmsafety.suites.msts.builder.schema import (
    BUILDER_NAME,
    BUILDER_VERSION,
    DATASET_VERSION,
    DEFAULT_BASE_URL,
    FEATURES,
    IMAGE_EXTENSIONS,
    IMAGE_SOURCES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    SOURCE_COMMIT,
    SOURCE_REPO,
    UNCLEAR_LICENCES,
    USER_AGENT,
)
from vlmsafety.suites.msts.builder.source import source_url

__all__ = [
    "BUILDER_NAME",
    "BUILDER_VERSION",
    "DATASET_VERSION",
    "DEFAULT_BASE_URL",
    "FEATURES",
    "IMAGE_EXTENSIONS",
    "IMAGE_SOURCES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "SOURCE_COMMIT",
    "SOURCE_REPO",
    "UNCLEAR_LICENCES",
    "USER_AGENT",
    "BuiltImage",
    "FetchSettings",
    "ImageCache",
    "build_msts",
    "check_image",
    "compare_images",
    "default_cache_dir",
    "fetch_images",
    "image_manifest",
    "placeholder_png",
    "push_warnings",
    "read_image_manifest",
    "source_url",
]
