"""The VSCBench dataset card: the text of ``suites/vsc/builder/card.md`` filled for one build.

The template is package data (see :mod:`vlmsafety.builders.cards`); :func:`card_body` fills its
``${name}`` placeholders with the build's counts, checksums and the table of defects with the row
ids they touched.

Example:
    >>> id_list(["a", "b"])
    '`a`, `b`'
    >>> id_list([str(i) for i in range(9)]).startswith("<details><summary>9 rows</summary>")
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from vlmsafety.builders.cards import load_template
from vlmsafety.render import RENDER_VERSION
from vlmsafety.suites.vsc.builder.defects import DEFECTS
from vlmsafety.suites.vsc.builder.schema import (
    BUILDER_VERSION,
    CHANGELOG,
    CONFIGS,
    DATASET_VERSION,
    ITEM_LABELS,
)
from vlmsafety.suites.vsc.builder.source import (
    SOURCE_COMMIT,
    SOURCE_FILES,
    SOURCE_REPO,
    XSTEST_REPO,
)
from vlmsafety.suites.vsc.builder.workbook import VSCRecords
from vlmsafety.suites.vsc.categories import VSC_CATEGORIES

__all__ = ["TEMPLATE", "card_body", "card_facts", "id_list"]

TEMPLATE: Final = Path(__file__).with_name("card.md")
"""The card template (package data beside this module)."""


def id_list(ids: Sequence[str]) -> str:
    """Row ids as code spans; more than eight fold into a ``<details>`` block."""
    shown = ", ".join(f"`{i}`" for i in ids)
    if len(ids) <= 8:
        return shown
    return f"<details><summary>{len(ids)} rows</summary>\n\n{shown}\n\n</details>"


def _defect_rows(defect_ids: Mapping[str, Mapping[str, list[str]]]) -> str:
    rows = []
    for code, defect in DEFECTS.items():
        per_config = defect_ids.get(code, {})
        for config in CONFIGS:
            ids = per_config.get(config, [])
            if ids:
                rows.append(
                    f"| `{code}` | {config} | {len(ids)} | {defect.description} | "
                    f"{defect.handling} | {id_list(ids)} |".replace("\n", " ")
                )
    return "\n".join(rows)


def _checksums(sha256: Mapping[str, str]) -> str:
    return "\n".join(
        f"| `{SOURCE_FILES[k].path}` | `{SOURCE_FILES[k].repo}` @ `{SOURCE_FILES[k].commit[:12]}` "
        f"| `{sha256[k]}` |" for k in SOURCE_FILES
    )


def _source_rows(stats: Mapping[str, Counter[str]]) -> str:
    return "\n".join(
        f"| {config} | {key.split(':')[0]} | {key.split(':')[1]} | {n} |"
        for config in ("image_centric", "text_centric")
        for key, n in sorted(stats.get(config, Counter()).items())
    )


def card_facts(records: VSCRecords) -> dict[str, Any]:
    """What the card says of the workbooks (JSON-ready: a sharded build's parts carry it)."""
    return {"n_prompts": len(records.image_centric),
            "ic_labels": dict(Counter(lab for r in records.image_centric for lab in ITEM_LABELS
                                      for _ in range(3))),
            "n_queries": len(records.text_centric),
            "tc_labels": dict(Counter(r.label for r in records.text_centric)),
            "pinned": records.pinned, "sha256": dict(sorted(records.sha256.items()))}


def card_body(
    records: VSCRecords | Mapping[str, Any], *, rows: Mapping[str, int], stats: Mapping[str, Counter[str]],
    defect_ids: Mapping[str, Mapping[str, list[str]]], image_size: int, images: Any,
    placeholders: bool, render_missing: bool,
) -> str:
    """The card's markdown body (everything below the generated YAML header).

    Args:
        records: The workbooks' records, or their :func:`card_facts`.
        rows: Rows written per config.
        stats: Per config, a count of ``"{setting}:{image_source}"``.
        defect_ids: Row ids per defect code and config.
        image_size: Side of rendered images and placeholders.
        images: The image archive given (``None``: none).
        placeholders: Whether placeholders were allowed.
        render_missing: Whether text images were re-rendered.
    """
    facts = records if isinstance(records, Mapping) else card_facts(records)
    ic_labels: Counter[str] = Counter(facts["ic_labels"])
    tc_labels: Counter[str] = Counter(facts["tc_labels"])
    pin_note = ("All inputs match their pinned sha256." if facts["pinned"] else
                "**Warning: built from inputs that differ from the pinned release** "
                "(`allow_unpinned`); the checksums below are those of the files used.")
    return load_template(TEMPLATE).substitute(
        source_repo=SOURCE_REPO,
        source_commit=SOURCE_COMMIT,
        xstest_repo=XSTEST_REPO,
        rows_image_centric=f"{rows['image_centric']:,}",
        rows_text_centric=f"{rows['text_centric']:,}",
        rows_text_only=f"{rows['text_only']:,}",
        n_prompts=facts["n_prompts"],
        n_ic_safe=f"{ic_labels['safe']:,}",
        n_ic_unsafe=f"{ic_labels['unsafe']:,}",
        n_queries=facts["n_queries"],
        n_tc_safe=f"{4 * tc_labels['safe']:,}",
        n_tc_unsafe=f"{4 * tc_labels['unsafe']:,}",
        categories=", ".join(f"`{c}`" for c in VSC_CATEGORIES),
        image_size=image_size,
        archive=Path(images).name if images is not None else "none given",
        placeholders="allowed" if placeholders else "not allowed",
        rendering="on" if render_missing else "off",
        source_rows=_source_rows(stats),
        pin_note=pin_note,
        checksums=_checksums(facts["sha256"]),
        builder_version=BUILDER_VERSION,
        render_version=RENDER_VERSION,
        dataset_version=DATASET_VERSION,
        defect_rows=_defect_rows(defect_ids),
        changelog="\n".join(f"- **{v}**: {text}" for v, text in CHANGELOG),
    )
