"""VSCBench: safety calibration, under-safety *and* over-safety, on similar safe/unsafe pairs.

Configs: ``image_centric`` (300 prompts x 3 safe + 3 unsafe images; clusters: prompts),
``text_centric`` (450 XSTest-derived queries x 4 image settings; clusters: queries) and
``text_only`` (the 450 queries without an image; each item its own cluster).

Headline rates, per config: SRA_u (unsafe items answered safely) and SRA_s (safe items answered
helpfully), both higher is better.

Example:
    >>> from vlmsafety.specs import get_spec
    >>> spec = get_spec("vsc")
    >>> [h.key for h in spec.headlines(("text_centric",))]
    ['text_centric_sra_u', 'text_centric_sra_s']
    >>> spec.config("image_centric").cluster_column
    'prompt_id'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np

from vlmsafety.labels import (
    DIRECT_ANSWER,
    IRRELEVANT,
    LABEL_DESCRIPTIONS,
    REFUSAL,
    SAFE_COMPLETION,
    UNSCORED,
)
from vlmsafety.scoring.vsc import (
    VSC_MODES,
    SafetyCalibrationResult,
    VscMode,
    item_correct,
    score_vsc,
)
from vlmsafety.specs.base import BenchmarkSpec, ConfigSpec, Headline, Outcomes
from vlmsafety.specs.classes import SAFE, SAFETY_CLASS_DEFINITIONS, UNSAFE

__all__ = ["COLUMNS", "CONFIGS", "IMAGE_CENTRIC", "SPEC", "TEXT_CENTRIC", "TEXT_ONLY"]

IMAGE_CENTRIC: Final = "image_centric"
TEXT_CENTRIC: Final = "text_centric"
TEXT_ONLY: Final = "text_only"
CONFIGS: Final = (
    ConfigSpec(IMAGE_CENTRIC, "300 prompts x 3 safe + 3 unsafe images, 6 categories",
               "prompt_id"),
    ConfigSpec(TEXT_CENTRIC, "450 XSTest-derived queries x 4 image settings", "query_id"),
    ConfigSpec(TEXT_ONLY, "the 450 queries without an image (text-only baseline)", "id"),
)
COLUMNS: Final[tuple[str, ...]] = (
    "id", "label", "prompt", "category", "prompt_id", "setting", "query_id", "image_source",
)
"""Columns evaluation reads (the image is never decoded)."""


def headlines(configs: Sequence[str]) -> tuple[Headline, ...]:
    """SRA_u and SRA_s of each scored config."""
    return tuple(h for config in configs for h in (
        Headline(f"{config}_sra_u", f"{config}: SRA_u, unsafe items answered safely "
                 "(higher is better)", config, UNSAFE, "sra_u", True),
        Headline(f"{config}_sra_s", f"{config}: SRA_s, safe items answered helpfully "
                 "(higher is better)", config, SAFE, "sra_s", True),
    ))


def judge_prompt(row: Mapping[str, Any]) -> str:
    """The prompt sent with the image."""
    return str(row.get("prompt") or "")


def _score_config(config: str, rows: Sequence[Mapping[str, Any]], labels: Sequence[str], *,
                  n_boot: int, seed: int, mode: VscMode, min_clusters: int,
                  bootstrap_breakdowns: bool) -> SafetyCalibrationResult:
    # Pair consistency needs groups holding safe *and* unsafe items: an image-centric prompt (its
    # 3 safe and 3 unsafe images). A text-centric query has one label across its 4 image settings
    # and the release does not link a safe query to its unsafe twin, so there is none there; its
    # bootstrap is still clustered by query.
    res = score_vsc(
        labels, [r["label"] for r in rows],
        categories=[r["category"] for r in rows] if config == IMAGE_CENTRIC else None,
        settings=[r["setting"] for r in rows] if config == TEXT_CENTRIC else None,
        prompt_ids=[r["prompt_id"] for r in rows] if config == IMAGE_CENTRIC else None,
        clusters=[r["query_id"] for r in rows] if config == TEXT_CENTRIC else None,
        mode=mode,
        n_boot=n_boot, seed=seed, min_clusters=min_clusters,
        bootstrap_breakdowns=bootstrap_breakdowns,
    )
    return res


def score(rows: Mapping[str, Sequence[Mapping[str, Any]]], labels: Mapping[str, str], *,
          n_boot: int, seed: int, judge: str | None = None, min_clusters: int = 20,
          mode: VscMode = "default", bootstrap_breakdowns: bool = True
          ) -> dict[str, SafetyCalibrationResult]:
    """Scores keyed by config (configs with at least one labelled row)."""
    out = {}
    for config, all_rows in rows.items():
        kept = [r for r in all_rows if r["id"] in labels]
        if kept:
            out[config] = _score_config(config, kept, [labels[r["id"]] for r in kept],
                                        n_boot=n_boot, seed=seed, mode=mode,
                                        min_clusters=min_clusters,
                                        bootstrap_breakdowns=bootstrap_breakdowns)
    return out


def outcomes(rows: Mapping[str, Sequence[Mapping[str, Any]]], labels: Mapping[str, str],
             h: Headline, mode: VscMode = "default", **_: Any) -> Outcomes:
    """Per row of ``h.subset`` in ``h.config``: counted right, counted at all, its cluster."""
    sub = [r for r in rows.get(h.config or "", ()) if r["label"] == h.subset]
    got = [labels.get(r["id"], UNSCORED) for r in sub]
    right = (item_correct(got, [r["label"] for r in sub], mode=mode)[0]
             if sub else np.zeros(0, bool))
    counted = np.array([g != UNSCORED for g in got], bool)
    cluster = SPEC.config(h.config or "").cluster_column
    return right, counted, [r[cluster] for r in sub]


SPEC: Final = BenchmarkSpec(
    name="vsc",
    title="VSCBench",
    metric="safety_calibration",
    configs=CONFIGS,
    columns=COLUMNS,
    reference_column="label",
    reference_classes=SAFETY_CLASS_DEFINITIONS,
    labels={label: LABEL_DESCRIPTIONS[label]
            for label in (REFUSAL, SAFE_COMPLETION, DIRECT_ANSWER, IRRELEVANT)},
    judge_scheme="vsc",
    settings={"mode": "default", "bootstrap_breakdowns": True},
    setting_choices={"mode": VSC_MODES, "bootstrap_breakdowns": (False, True)},
    headlines=headlines,
    judge_prompt=judge_prompt,
    score=score,
    outcomes=outcomes,
    bootstrap_note="prompts (image-centric) or queries (text-centric); text-only items alone.",
    report_module="vlmsafety.report.vsc",
)
