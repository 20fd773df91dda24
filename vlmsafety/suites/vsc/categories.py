"""VSCBench's image-centric categories: the corrected spelling (ClassLabel names) and the source's.

Example:
    >>> vsc_category("porngraphy")
    'pornography'
"""

from __future__ import annotations

from typing import Final

from vlmsafety.errors import LabelError

__all__ = ["VSC_CATEGORIES", "VSC_RAW_CATEGORY", "vsc_category"]

VSC_CATEGORIES: Final[tuple[str, ...]] = (
    "drugs", "violence", "illegal_activity", "religion", "pornography", "discrimination",
)
VSC_RAW_CATEGORY: Final[dict[str, str]] = {c: c for c in VSC_CATEGORIES} | {
    "pornography": "porngraphy"  # misspelt in the source workbook and its image folder names
}
_VSC_FROM_RAW: Final[dict[str, str]] = {raw: slug for slug, raw in VSC_RAW_CATEGORY.items()}


def vsc_category(raw: str) -> str:
    """Normalise a VSCBench category (accepts the source's ``porngraphy``).

    Example:
        >>> vsc_category("porngraphy")
        'pornography'
    """
    key = str(raw).strip().lower()
    if key in VSC_RAW_CATEGORY:
        return key
    if key in _VSC_FROM_RAW:
        return _VSC_FROM_RAW[key]
    raise LabelError(
        f"unknown VSCBench category {raw!r}; allowed: {', '.join(VSC_CATEGORIES)}"
    )
