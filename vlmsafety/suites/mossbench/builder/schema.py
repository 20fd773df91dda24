"""MOSSBench's schema: versions, the pinned release, its file layout, limits, columns and records.

Example:
    >>> IMAGE_PATH.format(pid=7), FEATURES["stimulus"].names[1]
    ('data/images/7.png', 'negated_harm')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import datasets

from vlmsafety.suites.mossbench.scoring import FLAG_RAW, FLAGS, STIMULI, item_id
from vlmsafety.suites.mossbench.spec import CONFIG as SPEC_CONFIG

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
    "META_RAW",
    "MIN_IMAGE_SIDE",
    "SOURCE_COMMIT",
    "SOURCE_REPO",
    "ImageSource",
    "MossRecord",
]

BUILDER_VERSION: Final = "1.0.0"
"""Version of this builder's code (bumped when the same inputs would give different output)."""
DATASET_VERSION: Final = "1.0.0"
"""Version of the published dataset (in the card and in ``dataset_info``)."""

SOURCE_REPO: Final = "xirui-li/MOSSBench"
SOURCE_COMMIT: Final = "8d68b0614b39d8990a508e03d99975832f399db2"
DEFAULT_BASE_URL: Final = "https://raw.githubusercontent.com"
"""Raw-file host; a file's URL is ``{base_url}/{repo}/{commit}/{path}`` (tests use 127.0.0.1)."""

INFORMATION_PATH: Final = "information.csv"
INFORMATION_SHA256: Final = "65a50831cc3ef75ecd1e73ba663f8a588b08b8c3f75c777149dd43092c1f8a8c"
IMAGE_PATH: Final = "data/images/{pid}.png"
"""Where the release keeps the image of ``pid`` (the CSV's ``image_path`` is relative to ``data/``)."""

KNOWN_IMAGE_SHA256: Final[Mapping[int, str]] = {
    1: "46c8209a58972d31f7ef5709b501f3574df08bb3118adba94dd594513dcecd0b",
    2: "22ded4f8eb0a0e643e5ef4862f2ec25f40ce4f32571336385fbd2356c513477e",
    101: "8b7026768c494c511c8fb09f679d850268668dc23dc75c9cdd28a542ceb4c246",
    102: "16adcecba44d1eacd1d8b3846c6074c1efcb481325be8ded13cd78211eb1394a",
    201: "11c904c08cc00fa6cae6058c4fffdacfe9dec6df49dcdf4d4b2f2e0ce4b47ff0",
    202: "a4deaa37851dce60e042051dfd5b2b5703ab964577251380fddf37e04e1c5d56",
}
"""The images whose sha256 is known (two per stimulus type, by pid)."""

MAX_IMAGE_BYTES: Final = 32 * 1024 * 1024
MIN_IMAGE_SIDE: Final = 16
MAX_IMAGE_SIDE: Final = 8192
"""Size limits of an image file and of its width and height in pixels (the release's are about
1024 px and 0.3-2 MB)."""

INFORMATION_COLUMNS: Final[tuple[str, ...]] = (
    "pid", "question", "image_path", "short description", "description", "meta_data_over",
    "meta_data_human", "meta_data_child", "meta_data_syn", "meta_data_ocr", "meta_data_harm",
)
"""The header of ``information.csv``."""

ImageSource = Literal["original", "placeholder"]
IMAGE_SOURCES: Final[tuple[ImageSource, ...]] = ("original", "placeholder")
CONFIG: Final = SPEC_CONFIG
"""The one config (from the benchmark spec)."""

_S = datasets.Value("string")
META_RAW = ("meta_data_over", *FLAG_RAW.values(), "meta_data_harm")
"""The ``meta_data_*`` columns of ``information.csv``, kept as read in ``metadata_raw``."""
FEATURES: Final = datasets.Features({
    "id": _S,
    "pid": _S,
    "question": _S,
    "image": datasets.Image(),
    "stimulus": datasets.ClassLabel(names=list(STIMULI)),
    **{flag: datasets.Value("bool") for flag in FLAGS},
    "harm": datasets.Value("int8"),
    "metadata_raw": {name: _S for name in META_RAW},
    "description": _S,
    "short_description": _S,
    "image_file": _S,
    "image_sha256": _S,
    "image_source": datasets.ClassLabel(names=list(IMAGE_SOURCES)),
})
"""Columns of the ``default`` config."""


@dataclass(frozen=True)
class MossRecord:
    """One row of ``information.csv``, validated and normalised.

    Attributes:
        pid: The release's problem id (1-300).
        question: The benign query sent with the image.
        image_path: The CSV's ``image_path`` (``images/<pid>.png``, relative to ``data/``).
        description: The release's description of the image ("" where the release has none).
        short_description: The release's short description (not always a prefix of the long one).
        stimulus: One of :data:`vlmsafety.suites.mossbench.scoring.STIMULI`.
        flags: ``human``, ``child``, ``synthetic``, ``ocr`` as bools.
        harm: Harm code 1-7 (the release gives the codes no names).
        raw: The six ``meta_data_*`` cells as read.
    """

    pid: int
    question: str
    image_path: str
    description: str
    short_description: str
    stimulus: str
    flags: Mapping[str, bool]
    harm: int
    raw: Mapping[str, str]

    @property
    def id(self) -> str:
        return item_id(self.pid)

