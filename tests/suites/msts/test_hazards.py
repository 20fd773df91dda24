"""The shared hazard vocabulary and MSTS's categories in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from vlmsafety.errors import LabelError
from vlmsafety.suites.msts import release
from vlmsafety.suites.msts.hazards import MSTS_HAZARD_SLUGS, msts_hazard
from vlmsafety.taxonomy import DUAL_CATEGORY_SLUGS, HAZARD_SLUGS, dual_category, hazard


def test_every_release_category_maps_to_a_shared_slug(shared_data: Path) -> None:
    prompts = release.read_prompts(shared_data / "msts", "en")
    slugs = {msts_hazard(p.hazard_category) for p in prompts}
    assert slugs == set(MSTS_HAZARD_SLUGS)
    # the four MLCommons categories MSTS uses are DUAL-Bench's slugs too: one name per hazard
    assert slugs - {"other"} <= set(DUAL_CATEGORY_SLUGS)
    assert set(MSTS_HAZARD_SLUGS) <= set(HAZARD_SLUGS)


def test_other_is_shared_but_not_a_dual_category() -> None:
    assert hazard("OTHER ").slug == "other" and HAZARD_SLUGS[-1] == "other"
    with pytest.raises(LabelError, match="unknown DUAL-Bench category 'other'"):
        dual_category("other")


def test_unknown_and_foreign_categories_are_named_errors() -> None:
    with pytest.raises(LabelError, match="unknown MSTS hazard category 'Gross'.*Other"):
        msts_hazard("Gross")
    with pytest.raises(LabelError, match=r"'Privacy' \(privacy\) is not one of MSTS's"):
        msts_hazard("Privacy")
