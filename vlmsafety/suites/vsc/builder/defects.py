"""The known defects of the VSCBench release, each a :class:`Defect` rule in one table.

A rule looks at one *slot* of the source: an image slot of an image-centric row
(:class:`ImageSlot`), or one setting of a text-centric row, ``"text"`` being the text-only row
(:class:`TextSlot`). :func:`detect` runs an ordered tuple of rules over a slot and returns the
codes that fire; those codes are the ``defects`` column, and the generated card lists every
code of :data:`DEFECTS` with the rows it touched.

Example:
    >>> slot = ImageSlot(category_raw="porngraphy", category="pornography", prompt="",
    ...                  prompt_raw=None, label="safe", slot=1, file="safe_img_porngraphy_0_0.png",
    ...                  number_in_category=0, uses=2)
    >>> detect(IMAGE_CENTRIC_RULES, slot)
    ('category_misspelt', 'empty_prompt', 'duplicate_image', 'file_index_mismatch', 'safe_img_prefix')
    >>> DEFECTS[FISTEP_FILE_NAME].description
    'FigStep files are named `{i}_fistep.png` (sic).'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

__all__ = [
    "APOSTROPHES",
    "APOSTROPHE_IN_FILE_NAME",
    "CATEGORY_MISSPELT",
    "CORRUPTED_PROMPT_ORIGIN",
    "DEFECTS",
    "DUPLICATE_IMAGE",
    "EMPTY_PROMPT",
    "FIGSTEP_TEXT_REFERS_TO_IMAGE",
    "FILE_INDEX_MISMATCH",
    "FISTEP_FILE_NAME",
    "IMAGE_CENTRIC_RULES",
    "NON_PNG_FILE",
    "PROMPT_ORIGIN_DIACRITICS",
    "PROMPT_WHITESPACE",
    "SAFE_IMG_PREFIX",
    "SEARCH_IMAGE_OF_OTHER_QUERY",
    "SHARED_SEARCH_IMAGE",
    "TEXT_CENTRIC_RULES",
    "TEXT_WHITESPACE",
    "UNREPHRASED_PROMPT_MM",
    "Defect",
    "ImageSlot",
    "TextSlot",
    "detect",
    "fold",
    "norm",
]

# The codes: the values of the ``defects`` column.
CATEGORY_MISSPELT: Final = "category_misspelt"
EMPTY_PROMPT: Final = "empty_prompt"
PROMPT_WHITESPACE: Final = "prompt_whitespace"
DUPLICATE_IMAGE: Final = "duplicate_image"
FILE_INDEX_MISMATCH: Final = "file_index_mismatch"
SAFE_IMG_PREFIX: Final = "safe_img_prefix"
NON_PNG_FILE: Final = "non_png_file"
APOSTROPHE_IN_FILE_NAME: Final = "apostrophe_in_file_name"
FISTEP_FILE_NAME: Final = "fistep_file_name"
SHARED_SEARCH_IMAGE: Final = "shared_search_image"
SEARCH_IMAGE_OF_OTHER_QUERY: Final = "search_image_of_other_query"
CORRUPTED_PROMPT_ORIGIN: Final = "corrupted_prompt_origin"
PROMPT_ORIGIN_DIACRITICS: Final = "prompt_origin_diacritics"
UNREPHRASED_PROMPT_MM: Final = "unrephrased_prompt_mm"
FIGSTEP_TEXT_REFERS_TO_IMAGE: Final = "figstep_text_refers_to_image"
TEXT_WHITESPACE: Final = "text_whitespace"

APOSTROPHES: Final = "'\u2019\u2018`\u00b4"
"""Characters that archive tools swap for one another in file names."""

_IC_NAME = re.compile(
    r"(?P<label>safe|unsafe)_(?P<img>img_)?(?P<cat>.+)_(?P<n>\d+)_(?P<k>\d+)\.\w+")
_SEARCH_NAME = re.compile(r"d_(?P<n>\d+)_\d+\.\w+")
_REFERS_TO_IMAGE = re.compile(r"\bin the (?:shown )?image\b", re.IGNORECASE)


def norm(text: str | None) -> str:
    """Collapse runs of whitespace and strip (keeps every other character).

    Example:
        >>> norm("  How  do I\\nkill it? "), norm(None)
        ('How do I kill it?', '')
    """
    return " ".join((text or "").split())


def fold(text: str) -> str:
    """Drop diacritics and case (compares texts that differ only in accents)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class ImageSlot:
    """One image slot of an image-centric workbook row, as the rules see it.

    Attributes:
        category_raw: The ``Category`` cell, stripped (source spelling).
        category: The corrected category.
        prompt: The normalised prompt ("" when empty).
        prompt_raw: The ``Prompt`` cell (``None`` when empty).
        label: ``"safe"`` or ``"unsafe"`` (the slot's column).
        slot: Slot index 0..2 within the label.
        file: The image file name, stripped.
        number_in_category: 0-based index of the prompt within its category.
        uses: How many slots of the workbook list the same (category, file) cells.
    """

    category_raw: str
    category: str
    prompt: str
    prompt_raw: str | None
    label: str
    slot: int
    file: str
    number_in_category: int
    uses: int


@dataclass(frozen=True)
class TextSlot:
    """One setting of a text-centric workbook row (``"text"``: the text-only row).

    Attributes:
        setting: ``"text"`` or one of the image settings.
        cells: The row's cells as read.
        xstest_id: The XSTest prompt id (workbook row + 1).
        reference: XSTest's prompt of that id, normalised.
        file: The setting's image file name, stripped ("" for ``"text"``).
        search_uses: How many rows list the same search image.
    """

    setting: str
    cells: Mapping[str, str | None]
    xstest_id: int
    reference: str
    file: str = ""
    search_uses: int = 1


@dataclass(frozen=True)
class Defect:
    """A kind of source defect: what it is, how the builder handles it, and the rule finding it.

    Attributes:
        code: The value recorded in the ``defects`` column.
        description: What is wrong in the source (a card column).
        handling: What the builder does about it (a card column).
        detect: The rule: true when the defect touches a slot (:class:`ImageSlot` for
            image-centric rules, :class:`TextSlot` for text-centric ones).
    """

    code: str
    description: str
    handling: str
    detect: Callable[[Any], bool]

    @property
    def what(self) -> str:
        """The former name of :attr:`description`."""
        return self.description


def _file_index_mismatch(s: ImageSlot) -> bool:
    m = _IC_NAME.fullmatch(s.file)
    return (m is None or m["label"] != s.label or m["cat"] != s.category_raw
            or int(m["n"]) != s.number_in_category or int(m["k"]) != s.slot)


def _safe_img_prefix(s: ImageSlot) -> bool:
    m = _IC_NAME.fullmatch(s.file)
    return s.label == "safe" and m is not None and bool(m["img"])


def _search_image_of_other_query(s: TextSlot) -> bool:
    m = _SEARCH_NAME.fullmatch(s.file)
    return m is not None and int(m["n"]) != s.xstest_id - 1


def _origin_differs(s: TextSlot, *, by_more_than_diacritics: bool) -> bool:
    origin = norm(s.cells["prompt_origin"])
    return origin != s.reference and (fold(origin) != fold(s.reference)) == by_more_than_diacritics


def _spaced(s: TextSlot, *columns: str) -> bool:
    return any(norm(s.cells[c]) != (s.cells[c] or "") for c in columns)


def _text_whitespace(s: TextSlot) -> bool:
    if s.setting == "text":  # the text-only row shows only these two cells
        return _spaced(s, "prompt_origin", "focus")
    return _spaced(s, "prompt_origin", "focus", "object", "prompt_figstep")


DEFECTS: Final[Mapping[str, Defect]] = {d.code: d for d in (
    Defect(CATEGORY_MISSPELT,
           "The category is spelt `porngraphy` in the workbook and in its image folder name.",
           "`category` holds the corrected name `pornography`; `category_raw` and `image_file` keep "
           "the source spelling, which is used to find the images.",
           lambda s: s.category_raw != s.category),
    Defect(EMPTY_PROMPT,
           "The `Prompt` cell is empty, so the images of this prompt come without a question.",
           "Rows kept (counts hold) with `prompt` = \"\" and `prompt_raw` = null; filter on "
           "`defects` to leave them out.",
           lambda s: not s.prompt),
    Defect(PROMPT_WHITESPACE,
           "The prompt has leading, trailing or repeated whitespace (or trailing blank lines).",
           "`prompt` has whitespace collapsed and stripped; `prompt_raw` keeps the source text.",
           lambda s: bool(s.prompt) and s.prompt != s.prompt_raw),
    Defect(DUPLICATE_IMAGE,
           "The same image file is listed in more than one slot.",
           "Kept as listed (it is what VSCBench evaluated): the rows carry the same image bytes.",
           lambda s: s.uses > 1),
    Defect(FILE_INDEX_MISMATCH,
           "The file name's prompt or slot number does not match the slot it is listed in.",
           "Kept as listed; not guessed (the workbook does not name another file).",
           _file_index_mismatch),
    Defect(SAFE_IMG_PREFIX,
           "Safe file names use the prefix `safe_img_<category>_` in some categories and "
           "`safe_<category>_` in others.",
           "File names are used verbatim; ids never depend on them.",
           _safe_img_prefix),
    Defect(NON_PNG_FILE,
           "The image is a .jpg, .jpeg or .webp file while most are .png.",
           "Original bytes are embedded unchanged; decoders detect the format from the content.",
           lambda s: not s.file.lower().endswith(".png")),
    Defect(APOSTROPHE_IN_FILE_NAME,
           "The file name contains an apostrophe.",
           "Looked up verbatim, then with apostrophe variants and Unicode normalisation (archive "
           "tools differ); `image_file` keeps the workbook's name.",
           lambda s: any(a in s.file for a in APOSTROPHES)),
    Defect(FISTEP_FILE_NAME,
           "FigStep files are named `{i}_fistep.png` (sic).",
           "File names are used verbatim; the setting is called `figstep`.",
           lambda s: "fistep" in s.file),
    Defect(SHARED_SEARCH_IMAGE,
           "One search image is listed for more than one query.",
           "Kept as listed (it is what VSCBench evaluated): the rows carry the same image bytes.",
           lambda s: s.search_uses > 1),
    Defect(SEARCH_IMAGE_OF_OTHER_QUERY,
           "The search image's name `d_<n>_<k>.png` carries another query's number n.",
           "Kept as listed; flagged as a possible mix-up.",
           _search_image_of_other_query),
    Defect(CORRUPTED_PROMPT_ORIGIN,
           "`prompt_origin` differs from XSTest's prompt of the same row (id = row + 1): it holds "
           "image-referencing text copied from `prompt_mm`.",
           "Repaired from XSTest's `xstest_prompts.csv`; the source value is kept in "
           "`prompt_origin_raw` (and `prompt_raw` of `text_only`).",
           lambda s: _origin_differs(s, by_more_than_diacritics=True)),
    Defect(PROMPT_ORIGIN_DIACRITICS,
           "`prompt_origin` equals XSTest's prompt except for dropped diacritics.",
           "Kept as in VSCBench (the text its text-only baseline sent).",
           lambda s: _origin_differs(s, by_more_than_diacritics=False)),
    Defect(UNREPHRASED_PROMPT_MM,
           "`prompt_mm` is identical to the source `prompt_origin`: the query was not rewritten to "
           "refer to the image (for the query with a corrupted `prompt_origin`, the equality "
           "comes from that corruption).",
           "Kept as published (it is what VSCBench sent with the image); flagged.",
           lambda s: norm(s.cells["prompt_mm"]) == norm(s.cells["prompt_origin"])),
    Defect(FIGSTEP_TEXT_REFERS_TO_IMAGE,
           "`prompt_figstep` (the text drawn in the FigStep image) refers to \"the image\" instead "
           "of naming the query's object, like a `prompt_mm`.",
           "Kept as published (the FigStep image shows this text; re-rendered images too); "
           "flagged, since the item no longer states the query.",
           lambda s: _REFERS_TO_IMAGE.search(s.cells["prompt_figstep"] or "") is not None),
    Defect(TEXT_WHITESPACE,
           "A prompt, object or focus cell has leading, trailing or repeated whitespace.",
           "Collapsed and stripped; the source prompt is kept in `prompt_raw` / "
           "`prompt_origin_raw`.",
           _text_whitespace),
)}
"""Every defect, by code, in the order of the card's table."""

# The orders below are the order of the codes in the ``defects`` column: changing one changes
# the built parquet files. ``text_whitespace`` is checked twice for the prompt_mm settings: first
# on the cells every setting shows, then on ``prompt_mm`` alone after ``unrephrased_prompt_mm``
# (so a row whose only spaced cell is prompt_mm lists it last); :func:`detect` keeps the first.
_TEXT_WHITESPACE_IN_PROMPT_MM: Final = replace(
    DEFECTS[TEXT_WHITESPACE], detect=lambda s: _spaced(s, "prompt_mm"))
_ORIGIN_RULES: Final = tuple(DEFECTS[c] for c in (PROMPT_ORIGIN_DIACRITICS, CORRUPTED_PROMPT_ORIGIN,
                                                  TEXT_WHITESPACE))
_PROMPT_MM_RULES: Final = (DEFECTS[UNREPHRASED_PROMPT_MM], _TEXT_WHITESPACE_IN_PROMPT_MM)
_FILE_RULES: Final = (DEFECTS[APOSTROPHE_IN_FILE_NAME], DEFECTS[NON_PNG_FILE])

IMAGE_CENTRIC_RULES: Final[tuple[Defect, ...]] = tuple(DEFECTS[c] for c in (
    CATEGORY_MISSPELT, EMPTY_PROMPT, PROMPT_WHITESPACE, DUPLICATE_IMAGE, FILE_INDEX_MISMATCH,
    SAFE_IMG_PREFIX, NON_PNG_FILE, APOSTROPHE_IN_FILE_NAME,
))
"""The rules of an image-centric image slot, in the order their codes are recorded."""

TEXT_CENTRIC_RULES: Final[Mapping[str, tuple[Defect, ...]]] = {
    "text": _ORIGIN_RULES,
    "search": (*_ORIGIN_RULES, *_PROMPT_MM_RULES, DEFECTS[SHARED_SEARCH_IMAGE],
               DEFECTS[SEARCH_IMAGE_OF_OTHER_QUERY], *_FILE_RULES),
    "typography": (*_ORIGIN_RULES, *_PROMPT_MM_RULES, *_FILE_RULES),
    "concat": (*_ORIGIN_RULES, *_PROMPT_MM_RULES, *_FILE_RULES),
    "figstep": (*_ORIGIN_RULES, DEFECTS[FISTEP_FILE_NAME], DEFECTS[FIGSTEP_TEXT_REFERS_TO_IMAGE],
                *_FILE_RULES),
}
"""The rules of each text-centric setting (``"text"``: the text-only row), in recorded order."""


def detect(rules: Sequence[Defect], slot: ImageSlot | TextSlot) -> tuple[str, ...]:
    """The codes of the ``rules`` that fire on ``slot``, in rule order, each code once."""
    return tuple(dict.fromkeys(rule.code for rule in rules if rule.detect(slot)))
