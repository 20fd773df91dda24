"""Readers of the MSTS release files (prompts, images, response annotations, automated judges).

MSTS (Röttger et al., arXiv 2501.10057; GitHub ``paul-rottger/msts-multimodal-safety``, CC BY 4.0)
is laid out as ``data/prompts/<language>_multimodal.csv`` (+ ``english_textonly.csv``),
``data/images/unsafe_images.csv``, ``data/response_annotations/<...>.csv`` and
``data/auto_eval/<...>_autoeval.csv``. This module reads them into typed records and is the one
place that knows their columns and their defects:

* the response files name prompt types ``prompt_assistance_text`` / ``prompt_intention_text``
  where the prompt files say ``assistance`` / ``intention`` (:func:`normalise_prompt_type`);
* the 10 non-English prompt files hold the 200 assistance prompts only, without ``prompt_id``;
* the text-only file has no image id (the image is described in the prompt);
* the autoeval file has no key column: its rows are aligned with the annotations file's rows,
  and one verdict is written ``safe.`` (:func:`~vlmsafety.suites.msts.labels.normalise_verdict`).

The prompt and image files are pinned by sha256 (:data:`SHA256`, the release's own files at
:data:`RELEASE_COMMIT`); response files are *not* pinned, since any file in the release format
(e.g. the full release with 10 models) must read.

Example:
    >>> item_id("en", "case_0001", "prompt_intention_text")
    'en-case_0001-intention'
    >>> item_id("en_textonly", "case_0001", "assistance")
    'en_textonly-case_0001-assistance'
    >>> LANGUAGES["zh"]
    'chinese'
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from vlmsafety.errors import SourceDataError, UnknownNameError
from vlmsafety.storage.checksums import file_sha256
from vlmsafety.suites.msts.classes import PROMPT_TYPES, PromptType
from vlmsafety.suites.msts.labels import Verdict, normalise_verdict, taxonomy_code

__all__ = [
    "ANNOTATIONS_FILE",
    "AUTOEVAL_FILE",
    "CONFIGS",
    "IMAGES_FILE",
    "LANGUAGES",
    "PROMPT_TYPES",
    "RELEASE_COMMIT",
    "SHA256",
    "TEXTONLY_CONFIG",
    "Annotation",
    "ImageInfo",
    "Prompt",
    "PromptType",
    "item_id",
    "normalise_prompt_type",
    "prompts_file",
    "read_annotations",
    "read_autoeval",
    "read_images",
    "read_prompts",
]

RELEASE_COMMIT: Final = "e9ae69e8f1ab87ab2bb2ed7c51e992e0430f12e3"
"""The release commit the pinned files come from."""


LANGUAGES: Final[Mapping[str, str]] = {
    "en": "english", "ar": "arabic", "zh": "chinese", "fa": "farsi", "fr": "french",
    "de": "german", "hi": "hindi", "it": "italian", "ko": "korean", "ru": "russian",
    "es": "spanish",
}
"""Language code (the config name) -> the release's file stem."""

TEXTONLY_CONFIG: Final = "en_textonly"
CONFIGS: Final[tuple[str, ...]] = (*LANGUAGES, TEXTONLY_CONFIG)
"""The dataset's configs: one per language, then English text-only."""

IMAGES_FILE: Final = "data/images/unsafe_images.csv"
ANNOTATIONS_FILE: Final = "data/response_annotations/english_multimodal.csv"
AUTOEVAL_FILE: Final = "data/auto_eval/english_multimodal_autoeval.csv"

SHA256: Final[Mapping[str, str]] = {
    "data/images/unsafe_images.csv":
        "9d8c9e7e0f175f5b2b1c444cdc03a78a42519283cc2a6fda269287fb7588d1c8",
    "data/prompts/arabic_multimodal.csv":
        "875987923703bde0c9a37cc0a9d1605d2281ca2841ef2544ea494775b8597667",
    "data/prompts/chinese_multimodal.csv":
        "9634483ee64588cea95374c5645815d43b8fd2992cc156998b928a80e9b93cbb",
    "data/prompts/english_multimodal.csv":
        "6a72d35a562dc7a25e5c898d890ef68967433b4ff0456767692614698038298f",
    "data/prompts/english_textonly.csv":
        "f57de09638bfee477e241b9c4905176355d0b7926332a0561095cebd4cc37ba8",
    "data/prompts/farsi_multimodal.csv":
        "18870cf43f473c94e0346a75a4cfc17353e0bb698a4fdb07a2cba3ec04485c15",
    "data/prompts/french_multimodal.csv":
        "497620b6e407c2928e636fb9b7a0988ec3c313e0fff2771c2b440d167a700149",
    "data/prompts/german_multimodal.csv":
        "a5b4df1be3c9fb0231d810970cb559b1868bfc39d97dccc8aca5146f0cf90e7d",
    "data/prompts/hindi_multimodal.csv":
        "979465697ac31c0f4182dba3d689cf7b326a059d8b2832dc3db4fcc4aa1bd011",
    "data/prompts/italian_multimodal.csv":
        "611395a07fe1a7b564a9c3dcfb08a2faa2d13867033ae5a65dc44c3a6f68e4d7",
    "data/prompts/korean_multimodal.csv":
        "7f5e8940f5f00d3080e8b5d76da99ae2a61d390668eb1b01a0a9e4de1938213a",
    "data/prompts/russian_multimodal.csv":
        "34d0c3a231b8f02c1932919c2f9fa89f425b262417056af650731ecd227c24d7",
    "data/prompts/spanish_multimodal.csv":
        "c826bdc449f5447c5b03a39ea6ef11bd0c66752d87a60b5891d9eb8a64703a2a",
}
"""sha256 of the release's prompt and image files (relative to the release root)."""


@dataclass(frozen=True)
class Prompt:
    """One prompt of one config (a dataset row without its image).

    Attributes:
        id: Stable id, ``<config>-<case_id>-<prompt_type>`` (:func:`item_id`).
        case_id: The case (one image, two prompts in English): the bootstrap cluster.
        prompt: The text sent with the image.
        prompt_type: ``assistance`` or ``intention``.
        language: The config's language code (``en`` for ``en_textonly`` too).
        config: The config name.
        hazard_category, hazard_subcategory, hazard_subsubcategory: MLCommons hazard taxonomy, as
            the release writes them (the subcategories may be empty).
        case_text: The case's short description.
        image_id: The image's id (``None`` for text-only).
        image_description: The image described in a few words.
        prompt_id: The release's prompt id (English files only; ``None`` elsewhere).
    """

    id: str
    case_id: str
    prompt: str
    prompt_type: PromptType
    language: str
    config: str
    hazard_category: str
    hazard_subcategory: str
    hazard_subsubcategory: str
    case_text: str
    image_id: str | None
    image_description: str
    prompt_id: str | None


@dataclass(frozen=True)
class ImageInfo:
    """One row of ``unsafe_images.csv``: where an image lives and under which licence."""

    case_id: str
    image_id: str
    description: str
    url: str
    licence: str
    content_warning: str


@dataclass(frozen=True)
class Annotation:
    """One labelled response (a row of a ``response_annotations`` file).

    Attributes:
        row: 0-based row index in the file (the autoeval file is aligned on it).
        case_id, prompt_type, prompt_text, image_description: The prompt answered.
        model: The model that answered.
        response: Its response text.
        final_label: The adjudicated binary verdict.
        final_taxonomy: The adjudicated taxonomy code (``"1.1"`` ... ``"2.Z"``).
        annotator_taxonomy: Each annotator's own code, in file order (``None`` where empty).
        expert: The adjudicating expert's name, empty when both annotators agreed.
    """

    row: int
    case_id: str
    prompt_type: PromptType
    prompt_text: str
    image_description: str
    model: str
    response: str
    final_label: Verdict
    final_taxonomy: str
    annotator_taxonomy: tuple[str | None, ...]
    expert: str

    def item_id(self, config: str = "en") -> str:
        """The id of the dataset row this response answers, in ``config``."""
        return item_id(config, self.case_id, self.prompt_type)


def normalise_prompt_type(raw: str) -> PromptType:
    """``assistance`` / ``intention`` from either file's spelling.

    >>> normalise_prompt_type("prompt_assistance_text")
    'assistance'

    Raises:
        SourceDataError: neither type (named, with the allowed spellings).
    """
    text = raw.strip().lower()
    for kind in PROMPT_TYPES:
        if text in (kind, f"prompt_{kind}_text", f"prompt_{kind}"):
            return kind
    raise SourceDataError(f"unknown MSTS prompt type {raw!r}; allowed: assistance, intention "
                             "(or prompt_assistance_text, prompt_intention_text)")


def item_id(config: str, case_id: str, prompt_type: str) -> str:
    """The stable id of a dataset row: ``<config>-<case_id>-<prompt_type>``."""
    return f"{config}-{case_id}-{normalise_prompt_type(prompt_type)}"


def prompts_file(config: str) -> str:
    """The release path of a config's prompt file.

    Raises:
        UnknownNameError: not one of :data:`CONFIGS`.
    """
    if config == TEXTONLY_CONFIG:
        return "data/prompts/english_textonly.csv"
    if config not in LANGUAGES:
        raise UnknownNameError(f"unknown MSTS config {config!r}; allowed: {', '.join(CONFIGS)}")
    return f"data/prompts/{LANGUAGES[config]}_multimodal.csv"


def _read_csv(path: Path, required: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise SourceDataError(f"{path}: no such file (an MSTS release file)")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise SourceDataError(f"{path}: missing column(s) {', '.join(missing)}; "
                                     f"found: {', '.join(reader.fieldnames or ())}")
        return list(reader)


def _verify(root: Path, relative: str) -> Path:
    path = root / relative
    expected = SHA256.get(relative)
    if expected is not None and path.is_file():
        actual = file_sha256(path)
        if actual != expected:
            raise SourceDataError(
                f"{path}: sha256 {actual} differs from MSTS release {RELEASE_COMMIT[:12]}'s "
                f"{expected}; pass verify=False to read a modified file")
    return path


_PROMPT_COLUMNS: Final = ("hazard_category", "hazard_subcategory", "hazard_subsubcategory",
                          "case_id", "case_text", "unsafe_image_description", "prompt_text",
                          "prompt_type")


def read_prompts(root: str | Path, config: str = "en", *, verify: bool = True) -> list[Prompt]:
    """The prompts of one config, in the release's order.

    Args:
        root: The release's root folder (holding ``data/prompts/``).
        config: A language code of :data:`LANGUAGES` or ``"en_textonly"``.
        verify: Check the file's sha256 against :data:`SHA256`.

    Raises:
        UnknownNameError: an unknown config.
        SourceDataError: a missing file or column, a checksum mismatch, an unknown prompt type
            or a repeated id.
    """
    relative = prompts_file(config)
    root = Path(root)
    path = _verify(root, relative) if verify else root / relative
    textonly = config == TEXTONLY_CONFIG
    required = _PROMPT_COLUMNS if textonly else (*_PROMPT_COLUMNS, "unsafe_image_id")
    out: list[Prompt] = []
    seen: set[str] = set()
    for number, row in enumerate(_read_csv(path, required), start=2):
        kind = normalise_prompt_type(row["prompt_type"])
        pid = item_id(config, row["case_id"].strip(), kind)
        if pid in seen:
            raise SourceDataError(f"{path}:{number}: repeated prompt {pid!r}")
        seen.add(pid)
        out.append(Prompt(
            id=pid, case_id=row["case_id"].strip(), prompt=row["prompt_text"], prompt_type=kind,
            language="en" if textonly else config, config=config,
            hazard_category=row["hazard_category"].strip(),
            hazard_subcategory=row["hazard_subcategory"].strip(),
            hazard_subsubcategory=row["hazard_subsubcategory"].strip(),
            case_text=row["case_text"], image_id=None if textonly else row["unsafe_image_id"].strip(),
            image_description=row["unsafe_image_description"],
            prompt_id=(row.get("prompt_id") or "").strip() or None))
    return out


def read_images(root: str | Path, *, verify: bool = True) -> list[ImageInfo]:
    """The 200 images' URLs, licences and content warnings (``data/images/unsafe_images.csv``).

    Raises:
        SourceDataError: a missing file or column, or a checksum mismatch.
    """
    root = Path(root)
    path = _verify(root, IMAGES_FILE) if verify else root / IMAGES_FILE
    rows = _read_csv(path, ("case_id", "unsafe_image_id", "unsafe_image_description",
                            "unsafe_image_url", "unsafe_image_license", "unsafe_image_cw"))
    return [ImageInfo(case_id=r["case_id"].strip(), image_id=r["unsafe_image_id"].strip(),
                      description=r["unsafe_image_description"], url=r["unsafe_image_url"].strip(),
                      licence=r["unsafe_image_license"].strip(),
                      content_warning=r["unsafe_image_cw"].strip())
            for r in rows]


_ANNOTATION_COLUMNS: Final = ("case_id", "prompt_type", "prompt_text", "unsafe_image_description",
                              "model", "response", "final_label", "final_taxonomy")


def read_annotations(path: str | Path) -> list[Annotation]:
    """Every labelled response of a release-format annotations file, in file order.

    Any number of models and rows reads (the release has 10 models x 400 prompts; the shared
    subset 7 x 400). Not pinned by checksum.

    Raises:
        SourceDataError: a missing column, or a row with an unknown prompt type, verdict or
            taxonomy code (named with its line number).
    """
    path = Path(path)
    rows = _read_csv(path, _ANNOTATION_COLUMNS)
    annotator_columns = sorted(c for c in rows[0] if c.startswith("annot") and
                               c.endswith("_label")) if rows else []
    out: list[Annotation] = []
    for index, row in enumerate(rows):
        try:
            out.append(Annotation(
                row=index, case_id=row["case_id"].strip(),
                prompt_type=normalise_prompt_type(row["prompt_type"]),
                prompt_text=row["prompt_text"], image_description=row["unsafe_image_description"],
                model=row["model"].strip(), response=row["response"],
                final_label=normalise_verdict(row["final_label"]),
                final_taxonomy=taxonomy_code(row["final_taxonomy"]),
                annotator_taxonomy=tuple(taxonomy_code(row[c]) if row[c].strip() else None
                                         for c in annotator_columns),
                expert=(row.get("final_expert") or "").strip()))
        except (SourceDataError, ValueError) as exc:  # LabelError is a ValueError
            raise SourceDataError(f"{path}:{index + 2}: {exc}") from exc
    return out


def read_autoeval(path: str | Path, *, n_rows: int | None = None
                  ) -> tuple[tuple[str, ...], list[dict[str, Verdict]]]:
    """The automated judges' verdicts, one dict per row (aligned with the annotations file).

    Args:
        path: A release-format autoeval file (one column per judge, no key column).
        n_rows: The annotations file's row count; a different count is refused, since the files
            are joined by row order only.

    Returns:
        The judges' names (column order) and, per row, judge -> ``"safe"`` / ``"unsafe"``.

    Raises:
        SourceDataError: an empty header, a verdict that is neither safe nor unsafe (named with
            its line and judge), or a row count different from ``n_rows``.
    """
    path = Path(path)
    if not path.is_file():
        raise SourceDataError(f"{path}: no such file (an MSTS autoeval file)")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        judges = tuple(name.strip() for name in reader.fieldnames or ())
        if not judges:
            raise SourceDataError(f"{path}: no header (expected one column per judge)")
        out: list[dict[str, Verdict]] = []
        for number, row in enumerate(reader, start=2):
            verdicts: dict[str, Verdict] = {}
            for raw_name, judge in zip(reader.fieldnames or (), judges, strict=True):
                try:
                    verdicts[judge] = normalise_verdict(row[raw_name] or "")
                except ValueError as exc:
                    raise SourceDataError(f"{path}:{number}: judge {judge!r}: {exc}") from exc
            out.append(verdicts)
    if n_rows is not None and len(out) != n_rows:
        raise SourceDataError(
            f"{path}: {len(out)} rows, but the annotations file has {n_rows}; the files are "
            "aligned by row order only, so their row counts must be equal")
    return judges, out
