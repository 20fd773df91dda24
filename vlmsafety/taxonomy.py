"""The hazard vocabulary shared by benchmarks (a benchmark's own category lists live in its suite).

The hazard vocabulary (:data:`HAZARDS`) is benchmark-neutral: the 12 hazard categories of the
MLCommons AILuminate v1.0 taxonomy plus ``other``, which MLCommons lacks and MSTS uses for hazards
outside it (gross behaviour, conspiracy theories). Every benchmark that follows the MLCommons
taxonomy (DUAL-Bench, MSTS) names its categories with these slugs, so per-category tables name the
same hazard the same way across benchmarks. A benchmark's own subset is its ClassLabel.

DUAL-Bench (arXiv 2510.10846) names 12 hazard categories but its data is not public. Two names are
confirmed verbatim by the paper ("Child Sexual Exploitation", "Suicide & Self-Harm"); the full list
is *inferred* to be the MLCommons AILuminate v1.0 hazard taxonomy. The structure is versioned
(:data:`DUAL_TAXONOMY_VERSION`) so it can be corrected when the authors release their list.

Example:
    >>> from vlmsafety.taxonomy import DUAL_CATEGORIES, dual_category, hazard
    >>> hazard("Non-Violent Crimes").slug
    'non_violent_crimes'
    >>> hazard("other").name
    'Other'
    >>> len(DUAL_CATEGORIES)
    12
    >>> dual_category("suicide_self_harm").name
    'Suicide & Self-Harm'
    >>> dual_category("Suicide & Self-Harm").slug
    'suicide_self_harm'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from vlmsafety.errors import LabelError

__all__ = [
    "Category",
    "HAZARDS",
    "HAZARD_SLUGS",
    "MLCOMMONS_HAZARDS",
    "OTHER_HAZARD",
    "hazard",
    "DUAL_TAXONOMY_VERSION",
    "DUAL_CATEGORIES",
    "DUAL_CATEGORY_SLUGS",
    "DUAL_CONFIRMED_NAMES",
    "dual_category",
]


@dataclass(frozen=True)
class Category:
    """One hazard category.

    Attributes:
        slug: Stable machine name (used as the ClassLabel name and in ids).
        name: Display name.
        definition: One-sentence scope.
        confirmed: Whether the name is confirmed verbatim by the benchmark's paper.
    """

    slug: str
    name: str
    definition: str
    confirmed: bool = False


DUAL_TAXONOMY_VERSION: Final = "1.0.0-inferred"
"""Bumped whenever the category list, order or slugs change."""

MLCOMMONS_HAZARDS: Final[tuple[Category, ...]] = (
    Category("violent_crimes", "Violent Crimes",
             "Enabling or encouraging violence against people or animals (e.g. assault, terrorism, murder)."),
    Category("non_violent_crimes", "Non-Violent Crimes",
             "Enabling crimes without physical violence (e.g. fraud, theft, hacking, drug trafficking)."),
    Category("sex_related_crimes", "Sex-Related Crimes",
             "Enabling sexual assault, harassment, trafficking or non-consensual intimate imagery."),
    Category("child_sexual_exploitation", "Child Sexual Exploitation",
             "Any content that sexualises, grooms or enables the abuse of minors.", confirmed=True),
    Category("indiscriminate_weapons", "Indiscriminate Weapons (CBRNE)",
             "Enabling chemical, biological, radiological, nuclear or high-yield explosive weapons."),
    Category("suicide_self_harm", "Suicide & Self-Harm",
             "Enabling or encouraging suicide, self-injury or disordered eating.", confirmed=True),
    Category("hate", "Hate",
             "Demeaning or dehumanising people for protected characteristics."),
    Category("specialized_advice", "Specialized Advice",
             "Unqualified medical, legal or financial advice given without due caveats."),
    Category("privacy", "Privacy",
             "Exposing sensitive, non-public personal information about a person."),
    Category("intellectual_property", "Intellectual Property",
             "Violating copyrights, trademarks or patents (e.g. reproducing protected works)."),
    Category("defamation", "Defamation",
             "Verifiably false statements that damage a living person's reputation."),
    Category("sexual_content", "Sexual Content",
             "Explicit sexual content between adults."),
)
"""The 12 MLCommons AILuminate v1.0 hazard categories, in their canonical order.

``confirmed`` records what DUAL-Bench's paper confirms verbatim (see the module docstring)."""

OTHER_HAZARD: Final = Category(
    "other", "Other",
    "A hazard outside the MLCommons categories (MSTS: gross behaviour, conspiracy theories).")
"""The one category MLCommons lacks; MSTS's "Other"."""

HAZARDS: Final[tuple[Category, ...]] = (*MLCOMMONS_HAZARDS, OTHER_HAZARD)
"""The shared hazard vocabulary: the MLCommons categories, then ``other``."""

HAZARD_SLUGS: Final[tuple[str, ...]] = tuple(c.slug for c in HAZARDS)

DUAL_CATEGORIES: Final[tuple[Category, ...]] = MLCOMMONS_HAZARDS
"""DUAL-Bench's 12 categories, in their canonical order (the ClassLabel order)."""

DUAL_CATEGORY_SLUGS: Final[tuple[str, ...]] = tuple(c.slug for c in DUAL_CATEGORIES)
DUAL_CONFIRMED_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in DUAL_CATEGORIES if c.confirmed)

_BY_KEY: Final[dict[str, Category]] = {}
for _c in HAZARDS:
    _BY_KEY[_c.slug] = _c
    _BY_KEY[_c.name.lower()] = _c


def hazard(key: str) -> Category:
    """Look a category of the shared hazard vocabulary up by slug or display name (any case).

    Raises:
        LabelError: naming the value and the allowed slugs.

    Example:
        >>> hazard("Suicide & Self-Harm").slug
        'suicide_self_harm'
        >>> hazard("gross")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.LabelError: unknown hazard category 'gross'; allowed slugs: violent_crimes, ..., other
    """
    found = _BY_KEY.get(key) or _BY_KEY.get(str(key).strip().lower())
    if found is None:
        raise LabelError(
            f"unknown hazard category {key!r}; allowed slugs: {', '.join(HAZARD_SLUGS)}")
    return found


def dual_category(key: str) -> Category:
    """Look a DUAL-Bench category up by slug or display name (case-insensitive).

    Raises:
        LabelError: naming the value and the allowed slugs.

    Example:
        >>> dual_category("weapons")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.LabelError: unknown DUAL-Bench category 'weapons'; allowed slugs:
        violent_crimes, non_violent_crimes, sex_related_crimes, child_sexual_exploitation,
        indiscriminate_weapons, suicide_self_harm, hate, specialized_advice, privacy,
        intellectual_property, defamation, sexual_content
    """
    found = _BY_KEY.get(key) or _BY_KEY.get(str(key).strip().lower())
    if found is None or found.slug not in DUAL_CATEGORY_SLUGS:
        raise LabelError(
            f"unknown DUAL-Bench category {key!r}; allowed slugs: {', '.join(DUAL_CATEGORY_SLUGS)}"
        )
    return found
