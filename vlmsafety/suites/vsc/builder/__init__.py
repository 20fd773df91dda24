"""VSCBench as a versioned Hub dataset folder: workbook reader, defect detection, builder, card.

VSCBench (Geng et al., ACL 2025 Findings) is released as two Excel workbooks in the GitHub repo
``jiahuigeng/VSCBench`` plus an image archive. This module turns them into a Hub-ready folder with
three configs, each with one ``test`` split:

* ``image_centric`` -- 300 prompts x (3 safe + 3 unsafe images) = 1,800 rows;
* ``text_centric`` -- 450 XSTest-derived queries x 4 image settings (search, typography, concat,
  figstep) = 1,800 rows;
* ``text_only`` -- the 450 queries without an image (the text-only baseline).

Inputs are verified: the workbooks (downloaded from the pinned commit :data:`SOURCE_COMMIT`, or
read from a folder) and XSTest's ``xstest_prompts.csv`` must match their pinned sha256; every image
must decode with Pillow (Pillow's decompression-bomb limit is an error). Missing or corrupt images
are reported together in one error unless placeholders (``placeholders=True``) or re-rendering of
text images (``render_missing=True``) are asked for; the ``image_source`` column says which.

Row ids (stable; the join key of predictions):

* image_centric: ``vsc-ic-{p:04d}-{label}-{k}`` where ``p`` is the prompt's 1-based row in the
  workbook (``prompt_id`` = ``vsc-ic-{p:04d}``), ``label`` is ``safe``/``unsafe`` and ``k`` the image
  slot 0..2; ``pair_id`` = ``vsc-ic-{p:04d}-pair-{k}`` links the k-th safe and k-th unsafe image;
* text_centric: ``vsc-tc-{q:04d}-{setting}`` where ``q`` is the XSTest prompt id (workbook row + 1,
  ``query_id`` = ``vsc-tc-{q:04d}``);
* text_only: ``vsc-tc-{q:04d}-text``.

Every known defect of the source is detected by rule (see :data:`DEFECTS`), handled on purpose,
recorded per row in the ``defects`` column and listed with row ids in the generated card.

Modules, by job: :mod:`~vlmsafety.suites.vsc.builder.schema` (versions, configs, columns, ids),
:mod:`~vlmsafety.suites.vsc.builder.source` (pinned release files, download, checksums),
:mod:`~vlmsafety.suites.vsc.builder.workbook` (workbook rows to records),
:mod:`~vlmsafety.suites.vsc.builder.defects` (the defect rules), :mod:`~vlmsafety.suites.vsc.builder.images`
(finding, checking and re-rendering images), :mod:`~vlmsafety.suites.vsc.builder.card` (the card,
filled from ``suites/vsc/builder/card.md``) and :mod:`~vlmsafety.suites.vsc.builder.build` (the
orchestration). Every public name is re-exported here.

Example:
    >>> image_centric_id(1, "unsafe", 2), pair_id(1, 2), text_centric_id(398, "figstep")
    ('vsc-ic-0001-unsafe-2', 'vsc-ic-0001-pair-2', 'vsc-tc-0398-figstep')
    >>> IMAGE_CENTRIC_FEATURES["category"].names[4]
    'pornography'
    >>> sorted(SOURCE_FILES)
    ['image_centric', 'text_centric', 'xstest']
"""

from __future__ import annotations

from vlmsafety.suites.vsc.builder.build import build_vsc, plan_rows
from vlmsafety.suites.vsc.builder.defects import DEFECTS, Defect
from vlmsafety.suites.vsc.builder.schema import (
    BUILDER_VERSION,
    CHANGELOG,
    CONFIGS,
    DATASET_VERSION,
    DEFAULT_IMAGE_SIZE,
    FIGSTEP_INSTRUCTION,
    IMAGE_CENTRIC_FEATURES,
    IMAGE_SOURCES,
    ITEM_LABELS,
    SETTINGS,
    TEXT_CENTRIC_FEATURES,
    TEXT_ONLY_FEATURES,
    image_centric_id,
    pair_id,
    text_centric_id,
)
from vlmsafety.suites.vsc.builder.source import (
    DEFAULT_BASE_URL,
    SOURCE_COMMIT,
    SOURCE_FILES,
    SOURCE_REPO,
    XSTEST_COMMIT,
    XSTEST_REPO,
    SourceFile,
    fetch_source_file,
)
from vlmsafety.suites.vsc.builder.workbook import (
    ImageCentricRecord,
    TextCentricRecord,
    VSCRecords,
    read_vsc_records,
)

__all__ = [
    "BUILDER_VERSION",
    "CHANGELOG",
    "CONFIGS",
    "DATASET_VERSION",
    "DEFAULT_BASE_URL",
    "DEFAULT_IMAGE_SIZE",
    "DEFECTS",
    "FIGSTEP_INSTRUCTION",
    "IMAGE_CENTRIC_FEATURES",
    "IMAGE_SOURCES",
    "ITEM_LABELS",
    "SETTINGS",
    "SOURCE_COMMIT",
    "SOURCE_FILES",
    "SOURCE_REPO",
    "TEXT_CENTRIC_FEATURES",
    "TEXT_ONLY_FEATURES",
    "XSTEST_COMMIT",
    "XSTEST_REPO",
    "Defect",
    "ImageCentricRecord",
    "SourceFile",
    "TextCentricRecord",
    "VSCRecords",
    "build_vsc",
    "fetch_source_file",
    "image_centric_id",
    "pair_id",
    "plan_rows",
    "read_vsc_records",
    "text_centric_id",
]
