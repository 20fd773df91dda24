"""Synthetic MSTS response files in the release format, for tests (made in tmp_path).

Importable from every test as ``msts_release`` (see ``tests/conftest.py``). The prompts are the
real English prompts from ``../shared/data/msts``; the responses, labels and judges' verdicts are
made here, seeded, so any number of models can be tested (the full release has 10).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ANNOTATION_HEADER", "JUDGES", "build_dataset", "write_release_files"]

ANNOTATION_HEADER = (
    "case_id", "prompt_type", "prompt_text", "unsafe_image_description", "model", "response",
    "annot1_name", "annot1_label", "annot1_note", "annot2_name", "annot2_label", "annot2_note",
    "agreement_label", "agreement_taxonomy", "final_expert", "final_label", "final_taxonomy",
    "final_note",
)
JUDGES = ("good-judge", "coin-judge")
"""A judge that agrees with the humans on 95% of rows, and one that flags at random."""

_SAFE = ("1.1 - rejection or rebuttal", "1.2 - refusal only", ("1.3 - safety considerations / "
         "contexts"), "1.4 - request for context / clarification", ("1.6 - misunderstanding of "
         "prompt / image"))
_UNSAFE = ("2.1 - explicit encouragement", "2.2 - advice")


def write_release_files(shared_data: Path, out: Path, *, models: Sequence[str],
                        unsafe_rates: Sequence[float], n_prompts: int = 400, seed: int = 0
                        ) -> tuple[Path, Path]:
    """Write ``annotations.csv`` and its row-aligned ``autoeval.csv`` into ``out``.

    Models are interleaved row by row (as in the release); model ``k`` answers the first
    ``n_prompts`` English prompts, unsafe with probability ``unsafe_rates[k]``.
    """
    from vlmsafety.suites.msts.release import read_prompts

    prompts = read_prompts(shared_data / "msts", "en")[:n_prompts]
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    annotations, autoeval = out / "annotations.csv", out / "autoeval.csv"
    with annotations.open("w", newline="", encoding="utf-8") as fa, \
            autoeval.open("w", newline="", encoding="utf-8") as fj:
        wa, wj = csv.writer(fa), csv.writer(fj)
        wa.writerow(ANNOTATION_HEADER)
        wj.writerow(JUDGES)
        for prompt in prompts:
            for model, rate in zip(models, unsafe_rates, strict=True):
                unsafe = rng.random() < rate
                code = rng.choice(_UNSAFE if unsafe else _SAFE)
                other = code if rng.random() < 0.9 else rng.choice(_SAFE + _UNSAFE)
                wa.writerow([prompt.case_id, f"prompt_{prompt.prompt_type}_text", prompt.prompt,
                             prompt.image_description, model, f"{model} says {rng.random():.6f}",
                             "1", code, "", "2", other, "", "", "", "",
                             "2 - unsafe" if unsafe else "1 - safe", code, ""])
                good = unsafe if rng.random() < 0.95 else not unsafe
                wj.writerow(["unsafe" if good else "safe.",
                             "unsafe" if rng.random() < 0.3 else "safe"])
    return annotations, autoeval


def build_dataset(shared_data: Path, out: Path, configs: Sequence[str] = ("en",)) -> Path:
    """A small MSTS dataset folder in the built schema (tiny made images; none in text-only).

    Stands in for ``vlmsafety build msts`` where a test needs only the rows: the prompts are
    the real ones, read by :func:`vlmsafety.suites.msts.release.read_prompts`.
    """
    import io

    import datasets
    from PIL import Image

    from vlmsafety.builders.hubfolder import HubFolderWriter
    from vlmsafety.suites.msts.hazards import MSTS_HAZARD_SLUGS, msts_hazard
    from vlmsafety.suites.msts.release import PROMPT_TYPES, TEXTONLY_CONFIG, read_prompts

    s = datasets.Value("string")
    features = datasets.Features({
        "id": s, "case_id": s, "prompt": s,
        "prompt_type": datasets.ClassLabel(names=list(PROMPT_TYPES)), "language": s,
        "hazard_category": datasets.ClassLabel(names=list(MSTS_HAZARD_SLUGS)),
        "hazard_category_raw": s, "hazard_subcategory": s, "hazard_subsubcategory": s,
        "image": datasets.Image(), "image_id": s, "image_description": s, "case_text": s,
        "prompt_id": s, "image_url": s, "image_licence": s, "content_warning": s,
    })
    with HubFolderWriter(out) as folder:
        for config in configs:
            with folder.config(config, features) as rows:
                for k, p in enumerate(read_prompts(shared_data / "msts", config)):
                    image = None
                    if config != TEXTONLY_CONFIG:
                        buf = io.BytesIO()
                        Image.new("RGB", (8, 8), (k % 256, 40, 90)).save(buf, format="PNG")
                        image = {"bytes": buf.getvalue(), "path": None}
                    rows.write({
                        "id": p.id, "case_id": p.case_id, "prompt": p.prompt,
                        "prompt_type": p.prompt_type, "language": p.language,
                        "hazard_category": msts_hazard(p.hazard_category),
                        "hazard_category_raw": p.hazard_category,
                        "hazard_subcategory": p.hazard_subcategory,
                        "hazard_subsubcategory": p.hazard_subsubcategory, "image": image,
                        "image_id": p.image_id, "image_description": p.image_description,
                        "case_text": p.case_text, "prompt_id": p.prompt_id, "image_url": "",
                        "image_licence": "", "content_warning": ""})
        folder.write_card(pretty_name="MSTS (test)", version="1.0.0", body="# MSTS test\n")
    return out
