"""MSTS dataset schema: versions, the pinned release, image limits and sources, columns.

The release files themselves (paths, sha256, configs, languages) are described once, in
:mod:`vlmsafety.suites.msts.release`; this module adds what the *built* dataset needs.

Example:
    >>> FEATURES["prompt_type"].names, FEATURES["hazard_category"].names[-1]
    (['assistance', 'intention'], 'other')
    >>> IMAGE_EXTENSIONS
    ('png', 'jpg', 'jpeg', 'webp')
    >>> "Unsplash License" in UNCLEAR_LICENCES
    True
"""

from __future__ import annotations

from typing import Final, Literal

import datasets

from vlmsafety._version import __version__
from vlmsafety.suites.msts.hazards import MSTS_HAZARD_SLUGS
from vlmsafety.suites.msts.release import PROMPT_TYPES, RELEASE_COMMIT

__all__ = [
    "BUILDER_NAME",
    "BUILDER_VERSION",
    "DATASET_VERSION",
    "DEFAULT_BASE_URL",
    "FEATURES",
    "FORMAT_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "IMAGE_SOURCES",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "SOURCE_COMMIT",
    "SOURCE_REPO",
    "UNCLEAR_LICENCES",
    "USER_AGENT",
    "ImageSource",
]

BUILDER_NAME: Final = "vlmsafety.suites.msts.builder"
BUILDER_VERSION: Final = "1.0.0"
"""Version of this builder's code (bumped when the same inputs would give different output)."""
DATASET_VERSION: Final = "1.0.0"
"""Version of the published dataset (in the card and in ``dataset_info``)."""

SOURCE_REPO: Final = "paul-rottger/msts-multimodal-safety"
SOURCE_COMMIT: Final = RELEASE_COMMIT
DEFAULT_BASE_URL: Final = "https://raw.githubusercontent.com"
"""Raw-file host; a file's URL is ``{base_url}/{repo}/{commit}/{path}`` (tests use 127.0.0.1)."""

USER_AGENT: Final = (f"vlmsafety/{__version__} (MSTS dataset builder; "
                     "+https://huggingface.co/vlmsafety) python-httpx")
"""Sent with every image request: Wikimedia's User-Agent policy asks for a name and a contact."""

MAX_IMAGE_BYTES: Final = 40 * 1024 * 1024
"""Largest image accepted (a download stops as soon as it passes this)."""
MIN_IMAGE_SIDE: Final = 16
MAX_IMAGE_SIDE: Final = 16384
"""Pixels per side accepted; Pillow's decompression-bomb limit applies too (as an error)."""

IMAGE_EXTENSIONS: Final[tuple[str, ...]] = ("png", "jpg", "jpeg", "webp")
"""File extensions read from ``--images DIR`` and tried on a mirror (``<image id>.<ext>``)."""
FORMAT_EXTENSIONS: Final = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
"""Pillow format -> the extension an image is stored under; other formats are refused."""

ImageSource = Literal["original", "placeholder"]
IMAGE_SOURCES: Final[tuple[ImageSource, ...]] = ("original", "placeholder")
"""``image_source`` values: the image as fetched, or a grey placeholder (``--placeholders``)."""

UNCLEAR_LICENCES: Final[tuple[str, ...]] = (
    "Unsplash License", "Royalty-free image", "Public domain (unclear)")
"""Licences (as the release writes them) that may not allow redistribution: ``push`` warns."""

_S = datasets.Value("string")
FEATURES: Final = datasets.Features({
    "id": _S,
    "case_id": _S,
    "prompt": _S,
    "prompt_type": datasets.ClassLabel(names=list(PROMPT_TYPES)),
    "language": _S,
    "hazard_category": datasets.ClassLabel(names=list(MSTS_HAZARD_SLUGS)),
    "hazard_category_raw": _S,
    "hazard_subcategory": _S,
    "hazard_subsubcategory": _S,
    "image": datasets.Image(),
    "image_id": _S,
    "image_description": _S,
    "case_text": _S,
    "prompt_id": _S,
    "image_url": _S,
    "image_licence": _S,
    "content_warning": _S,
    "image_sha256": _S,
    "image_source": datasets.ClassLabel(names=list(IMAGE_SOURCES)),
})
"""Columns of every config (in ``en_textonly`` the image columns are empty: ``None``)."""
