"""The DUAL-Bench dataset card: ``suites/dual/builder/card.md`` filled for one build.

Example:
    >>> from vlmsafety.suites.dual.builder import sample_items
    >>> body = card_body(sample_items(), counts={"clean": 48}, perturbations=[], severities=[],
    ...                  image_size=(256, 256), seed=0, pretty_name="Sample", license="apache-2.0",
    ...                  source_note="Made for tests.", rendered=True)
    >>> body.splitlines()[0], "| `clean` | 48 |" in body
    ('# Sample', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from vlmsafety.builders.cards import load_template
from vlmsafety.perturb import PERTURB_VERSION, PERTURBATIONS, perturbation_table_markdown
from vlmsafety.render import RENDER_VERSION
from vlmsafety.suites.dual.builder.schema import (
    CLEAN,
    DEFAULT_PROMPT,
    DUAL_BUILDER_VERSION,
    DUAL_CHANGELOG,
    DUAL_DATASET_VERSION,
    DualItem,
)
from vlmsafety.suites.dual.classes import INSTRUCTION_TYPES
from vlmsafety.taxonomy import (
    DUAL_CATEGORIES,
    DUAL_CATEGORY_SLUGS,
    DUAL_CONFIRMED_NAMES,
    DUAL_TAXONOMY_VERSION,
)

__all__ = ["TEMPLATE", "card_body"]

TEMPLATE: Final = Path(__file__).with_name("card.md")
"""The card template (package data beside this module)."""


def _config_rows(counts: Mapping[str, int], perturbations: Sequence[str],
                 severities: Sequence[int]) -> str:
    rows = []
    if "clean" in counts:
        rows.append(f"| `clean` | {counts['clean']} | one row per item, `perturbation` = `none`, "
                    "`severity` = 0 |")
    if "perturbed" in counts:
        rows.append(f"| `perturbed` | {counts['perturbed']} | every item × {len(perturbations)} "
                    f"perturbations × severities {', '.join(map(str, severities))} |")
    return "\n".join(rows)


def _taxonomy_rows(items: Sequence[DualItem]) -> str:
    per_cat = {c: dict.fromkeys(INSTRUCTION_TYPES, 0) for c in DUAL_CATEGORY_SLUGS}
    for item in items:
        per_cat[item.category][item.instruction_type] += 1
    return "\n".join(
        f"| {k} | `{c.slug}` | {c.name} | {c.definition} | "
        f"{'yes' if c.confirmed else 'inferred'} | {per_cat[c.slug]['harmful']} | "
        f"{per_cat[c.slug]['benign']} |"
        for k, c in enumerate(DUAL_CATEGORIES)
    )


def _rendering(image_size: tuple[int, int]) -> str:
    import PIL

    return (f"Instructions are drawn black on white at {image_size[0]}×{image_size[1]} px with "
            f"Pillow's bundled font, wrapped by pixel width (`vlmsafety.render` {RENDER_VERSION}, "
            f"Pillow {PIL.__version__}); rendering is deterministic, and the build checks that "
            "every instruction fits the canvas whole (none is cut off).\n\n")


def card_body(
    items: Sequence[DualItem],
    *,
    counts: Mapping[str, int],
    perturbations: Sequence[str],
    severities: Sequence[int],
    image_size: tuple[int, int],
    seed: int,
    pretty_name: str,
    license: str,
    source_note: str,
    rendered: bool,
) -> str:
    """The card's markdown body (everything below the generated YAML header).

    Args:
        items: The clean items (counted per category and type).
        counts: Rows written per config.
        perturbations: Perturbations of the ``perturbed`` config.
        severities: Its severities.
        image_size: Canvas of rendered instructions.
        seed: The perturbation seed.
        pretty_name: The card's title.
        license: Licence id.
        source_note: Markdown paragraph about where the items come from.
        rendered: Whether some images were rendered from text (adds the rendering paragraph).
    """
    return load_template(TEMPLATE).substitute(
        pretty_name=pretty_name,
        prompt=DEFAULT_PROMPT,
        source_note=source_note,
        config_rows=_config_rows(counts, perturbations, severities),
        clean=CLEAN,
        seed=seed,
        taxonomy_version=DUAL_TAXONOMY_VERSION,
        confirmed=" and ".join(f'"{n}"' for n in DUAL_CONFIRMED_NAMES),
        taxonomy_rows=_taxonomy_rows(items),
        rendering=_rendering(image_size) if rendered else "",
        perturb_version=PERTURB_VERSION,
        perturbation_table=perturbation_table_markdown(list(PERTURBATIONS)),
        perturbations=", ".join(f"`{n}`" for n in perturbations) or "none",
        severities=", ".join(map(str, severities)) or "none",
        dataset_version=DUAL_DATASET_VERSION,
        builder_version=DUAL_BUILDER_VERSION,
        changelog="\n".join(f"- {v}: {text}" for v, text in DUAL_CHANGELOG),
        license=license,
    )
