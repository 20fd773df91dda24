"""MSTS's hazard categories in the shared hazard vocabulary (:mod:`vlmsafety.taxonomy`).

MSTS follows the MLCommons hazard taxonomy for four of its five top-level categories and adds
"Other" (gross behaviour, conspiracy theories), which the shared vocabulary names ``other``. The
release writes the categories by display name ("Non-Violent Crimes"); :func:`msts_hazard` turns
them into the shared slugs, which are the dataset's ``hazard_category`` ClassLabel names
(:data:`MSTS_HAZARD_SLUGS`, in this order); the release's own string stays in
``hazard_category_raw``.

Example:
    >>> msts_hazard("Non-Violent Crimes")
    'non_violent_crimes'
    >>> msts_hazard("Other")
    'other'
    >>> MSTS_HAZARD_SLUGS
    ('violent_crimes', 'non_violent_crimes', 'sex_related_crimes', 'suicide_self_harm', 'other')
    >>> msts_hazard("Hate")
    Traceback (most recent call last):
    ...
    vlmsafety.errors.LabelError: MSTS hazard category 'Hate' (hate) is not one of MSTS's; allowed: ..., Other
"""

from __future__ import annotations

from vlmsafety.errors import LabelError
from vlmsafety.suites.msts.classes import MSTS_HAZARD_SLUGS
from vlmsafety.taxonomy import hazard

__all__ = ["MSTS_HAZARD_SLUGS", "msts_hazard"]



def msts_hazard(raw: str) -> str:
    """The shared-vocabulary slug of an MSTS hazard category as the release writes it.

    Accepts the display name in any case and surrounding space, or the slug itself.

    Raises:
        LabelError: a category that is not in the shared vocabulary, or is but is not one of
            MSTS's five (the message names the value and the allowed names).
    """
    allowed = ", ".join(hazard(s).name for s in MSTS_HAZARD_SLUGS)
    try:
        slug = hazard(raw).slug
    except LabelError as exc:
        raise LabelError(f"unknown MSTS hazard category {raw!r}; allowed: {allowed}") from exc
    if slug not in MSTS_HAZARD_SLUGS:
        raise LabelError(f"MSTS hazard category {raw!r} ({slug}) is not one of MSTS's; "
                         f"allowed: {allowed}")
    return slug
