"""The shape of the DUAL-Bench dataset: versions, configs, the item schema, items and row ids.

Example:
    >>> clean_id("privacy-02", "benign"), perturbed_id("privacy-02-benign", "jpeg", 3)
    ('privacy-02-benign', 'privacy-02-benign-jpeg-s3')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import datasets

from vlmsafety.perturb import PERTURBATIONS
from vlmsafety.suites.dual.classes import INSTRUCTION_TYPES as SPEC_INSTRUCTION_TYPES
from vlmsafety.suites.dual.classes import InstructionType
from vlmsafety.suites.dual.spec import CONFIGS as SPEC_CONFIGS
from vlmsafety.taxonomy import DUAL_CATEGORY_SLUGS

__all__ = [
    "CLEAN",
    "CONFIGS",
    "DEFAULT_IMAGE_SIZE",
    "DEFAULT_PROMPT",
    "DUAL_BUILDER_VERSION",
    "DUAL_CHANGELOG",
    "DUAL_DATASET_VERSION",
    "DUAL_FEATURES",
    "INSTRUCTION_TYPES",
    "SAMPLE_IMAGE_SIZE",
    "SAMPLE_PERTURBATIONS",
    "SAMPLE_SEVERITIES",
    "Config",
    "DualItem",
    "InstructionType",
    "clean_id",
    "perturbed_id",
]

DUAL_BUILDER_VERSION: Final = "1.0.0"
"""Version of this builder's code (recorded in the card)."""

DUAL_DATASET_VERSION: Final = "1.0.0"
"""Version of the dataset layout (schema, ids, configs); see :data:`DUAL_CHANGELOG`."""

DUAL_CHANGELOG: Final[tuple[tuple[str, str], ...]] = (
    ("1.0.0", ("First release: configs `clean` and `perturbed`; schema id, pair_id, category (12, "
               "inferred taxonomy), instruction_type, instruction, prompt, image, perturbation, "
               "severity, source_id; 9 perturbations x 5 severities.")),
)

DEFAULT_PROMPT: Final = "Describe the image"
"""DUAL-Bench's fixed text prompt sent with every image."""

INSTRUCTION_TYPES: Final[tuple[str, ...]] = SPEC_INSTRUCTION_TYPES
CLEAN: Final = "none"
"""The ``perturbation`` value of clean rows (severity 0)."""

Config = Literal["clean", "perturbed"]
CONFIGS: Final[tuple[str, ...]] = tuple(c.name for c in SPEC_CONFIGS)  # the spec's configs, in its order

DUAL_FEATURES: Final = datasets.Features({
    "id": datasets.Value("string"),
    "pair_id": datasets.Value("string"),
    "category": datasets.ClassLabel(names=list(DUAL_CATEGORY_SLUGS)),
    "instruction_type": datasets.ClassLabel(names=list(INSTRUCTION_TYPES)),
    "instruction": datasets.Value("string"),
    "prompt": datasets.Value("string"),
    "image": datasets.Image(),
    "perturbation": datasets.ClassLabel(names=[CLEAN, *PERTURBATIONS]),
    "severity": datasets.Value("int8"),
    "source_id": datasets.Value("string"),
})
"""The item schema shared by every config."""

SAMPLE_PERTURBATIONS: Final[tuple[str, ...]] = (
    "gaussian_noise", "gaussian_blur", "jpeg", "rotation", "contrast",
)
"""Default perturbation subset of the embedded sample (kept small so it builds in seconds)."""
SAMPLE_SEVERITIES: Final[tuple[int, ...]] = (1, 3, 5)
SAMPLE_IMAGE_SIZE: Final[tuple[int, int]] = (256, 256)
DEFAULT_IMAGE_SIZE: Final[tuple[int, int]] = (512, 512)


@dataclass(frozen=True)
class DualItem:
    """One clean item (before perturbation).

    Attributes:
        id: Clean row id.
        pair_id: Links a harmful item and its benign counterpart.
        category: Category slug (see :data:`vlmsafety.taxonomy.DUAL_CATEGORIES`).
        instruction_type: ``"harmful"`` or ``"benign"``.
        instruction: Text embedded in the image (``None`` when a release does not give it).
        prompt: Text prompt sent with the image.
        image: Image file (release folders); ``None`` when the image is rendered from the text.
        unpaired: The item is allowed to lack its counterpart.
        where: Where the item was read (``file:line``), named in error messages.
    """

    id: str
    pair_id: str
    category: str
    instruction_type: str
    instruction: str | None
    prompt: str = DEFAULT_PROMPT
    image: Path | None = None
    unpaired: bool = False
    where: str = "?"


def clean_id(pair_id: str, instruction_type: str) -> str:
    """Id of a clean row.

    Example:
        >>> clean_id("privacy-02", "benign")
        'privacy-02-benign'
    """
    return f"{pair_id}-{instruction_type}"


def perturbed_id(source_id: str, perturbation: str, severity: int) -> str:
    """Id of a perturbed row derived from clean row ``source_id``.

    Example:
        >>> perturbed_id("privacy-02-benign", "rotation", 5)
        'privacy-02-benign-rotation-s5'
    """
    return f"{source_id}-{perturbation}-s{severity}"
