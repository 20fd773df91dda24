"""DUAL-Bench as a Hub-ready dataset folder: item schema, input readers, builder, embedded sample.

DUAL-Bench (arXiv 2510.10846) sends an image with an instruction embedded in it together with the
fixed text prompt "Describe the image". Harmful instructions have benign counterparts made by
keyword substitution (same ``pair_id``); perturbations from :mod:`vlmsafety.perturb` are applied to
the images. Two inputs are supported:

* an **instruction list** (CSV or JSONL with ``pair_id, category, instruction_type, instruction``):
  each instruction is drawn into an image with :func:`vlmsafety.render.render_text`;
* a **release folder** holding ``manifest.jsonl`` or ``manifest.csv`` (``pair_id, category,
  instruction_type, image`` plus optional ``id, instruction, prompt, unpaired``) and the images it
  names (paths relative to the folder).

Both give the configs ``clean`` (one row per item) and ``perturbed`` (one row per item ×
perturbation × severity, generated lazily, so memory stays flat in the number of images), written
atomically by :class:`vlmsafety.builders.hubfolder.HubFolderWriter` with a generated card.

Row ids (stable, the join key of predictions):

* clean: ``f"{pair_id}-{instruction_type}"`` (a release manifest may give its own ``id``);
* perturbed: ``f"{source_id}-{perturbation}-s{severity}"``, where ``source_id`` is the clean id.

A perturbed row's image equals ``perturb(clean_image, perturbation, severity, seed=<build seed>)``.

Modules, by job: :mod:`~vlmsafety.suites.dual.builder.schema` (versions, configs, item schema, ids),
:mod:`~vlmsafety.suites.dual.builder.inputs` (instruction lists, release manifests, the sample),
:mod:`~vlmsafety.suites.dual.builder.images` (release images, rendering, legibility, PNG),
:mod:`~vlmsafety.suites.dual.builder.card` (the card, filled from ``suites/dual/builder/card.md``)
and :mod:`~vlmsafety.suites.dual.builder.build` (the orchestration). Every public name is re-exported
here.

Example:
    >>> items = sample_items()
    >>> len(items), len({i.category for i in items})
    (48, 12)
    >>> items[0].id, items[0].prompt
    ('violent_crimes-01-harmful', 'Describe the image')
    >>> perturbed_id(items[0].id, "jpeg", 3)
    'violent_crimes-01-harmful-jpeg-s3'
"""

from __future__ import annotations

from vlmsafety.suites.dual.builder.build import (
    build_dual,
    build_from_instructions,
    build_from_release,
    build_sample,
    plan_rows,
)
from vlmsafety.suites.dual.builder.images import check_legible
from vlmsafety.suites.dual.builder.inputs import (
    read_instruction_list,
    read_release_manifest,
    sample_items,
    validate_items,
)
from vlmsafety.suites.dual.builder.schema import (
    CLEAN,
    CONFIGS,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_PROMPT,
    DUAL_BUILDER_VERSION,
    DUAL_CHANGELOG,
    DUAL_DATASET_VERSION,
    DUAL_FEATURES,
    INSTRUCTION_TYPES,
    SAMPLE_IMAGE_SIZE,
    SAMPLE_PERTURBATIONS,
    SAMPLE_SEVERITIES,
    DualItem,
    clean_id,
    perturbed_id,
)

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
    "DualItem",
    "build_dual",
    "build_from_instructions",
    "build_from_release",
    "build_sample",
    "check_legible",
    "clean_id",
    "perturbed_id",
    "plan_rows",
    "read_instruction_list",
    "read_release_manifest",
    "sample_items",
    "validate_items",
]
