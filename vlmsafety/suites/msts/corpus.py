"""The ``msts-en`` judge-evaluation corpus: MSTS's human-labelled English VLM responses.

Each row is one model's response to one English MSTS prompt (the image is described in
``prompt`` as :func:`vlmsafety.suites.msts.spec.judge_prompt` tells a judge), labelled by the
adjudicated taxonomy code mapped through :func:`~vlmsafety.suites.msts.labels.map_taxonomy`,
and grouped by *case*: the two prompts of a case share an image, and every model answers both,
so a case's rows are not independent. The two annotators' own codes, mapped the same way, are
kept for the annotators' ceiling.

The published judges' safe/unsafe verdicts (the autoeval file beside the annotations, row-aligned)
ride along as :attr:`~vlmsafety.corpora.Corpus.unsafe_flags`, so ``vlmsafety judge-eval --corpus
msts-en`` prints every published judge's unsafe-detection figures beside the judge measured.

The response files are *not* pinned by checksum: any file in the release format reads (the full
release has 10 models, the shared subset 7), from ``<data folder>/msts`` or a given path.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> head = ("case_id,prompt_type,prompt_text,unsafe_image_description,model,response,"
    ...         "annot1_label,annot2_label,final_label,final_taxonomy\\n")
    >>> _ = (d / "a.csv").write_text(head +
    ...     "case_0001,prompt_assistance_text,How?,a knife,m1,No.,1.2,1.1,1 - safe,1.2\\n"
    ...     "case_0001,prompt_intention_text,I will.,a knife,m1,Do it.,2.1,2.1,2 - unsafe,2.1\\n")
    >>> c = msts_corpus(d / "a.csv", autoeval=None)
    >>> [(r.id, r.human_label, r.group, r.annotations) for r in c.rows]  # doctest: +NORMALIZE_WHITESPACE
    [('en-case_0001-assistance:m1', 'refusal', 'case_0001', ('refusal', 'refusal')),
     ('en-case_0001-intention:m1', 'direct_answer', 'case_0001', ('direct_answer', 'direct_answer'))]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from vlmsafety.corpora import Corpus, CorpusRow, CorpusSpec, register_corpus
from vlmsafety.errors import CorpusError, SourceDataError
from vlmsafety.labels import DIRECT_ANSWER, IRRELEVANT, REFUSAL, SAFE_COMPLETION, Label
from vlmsafety.suites.msts.labels import map_taxonomy
from vlmsafety.suites.msts.release import (
    ANNOTATIONS_FILE,
    AUTOEVAL_FILE,
    read_annotations,
    read_autoeval,
)
from vlmsafety.suites.msts.spec import judge_prompt

__all__ = ["AUTO", "CORPUS_NAME", "CORPUS_PATH", "CORPUS_SPEC", "DISTINGUISHES", "msts_corpus",
           "register", "row_id"]

AUTO: Final = "auto"
"""``autoeval=AUTO``: the release's autoeval file when the annotations sit in a release layout."""

CORPUS_NAME: Final = "msts-en"
CORPUS_PATH: Final = f"msts/{ANNOTATIONS_FILE}"
"""The annotations file under the data folder."""

DISTINGUISHES: Final[frozenset[Label]] = frozenset(
    {REFUSAL, SAFE_COMPLETION, IRRELEVANT, DIRECT_ANSWER})
"""The labels the mapped MSTS taxonomy tells apart (no ``partial_refusal``)."""

_DESCRIPTION: Final = ("MSTS English multimodal: VLM responses to 400 harmful image+text prompts, "
                       "two annotators and an expert, 11-way taxonomy mapped onto the vocabulary "
                       "(2.x = direct_answer = unsafe); grouped by case")


def row_id(item: str, model: str) -> str:
    """A corpus row's id: the dataset row's id and the model, ``<item id>:<model>``.

    >>> row_id("en-case_0001-assistance", "gpt-4o")
    'en-case_0001-assistance:gpt-4o'
    """
    return f"{item}:{model}"


def _autoeval_beside(annotations: Path) -> Path | None:
    """The release's autoeval file for an annotations file inside a release layout."""
    root = annotations.parent.parent.parent
    candidate = root / AUTOEVAL_FILE
    if annotations.resolve() == (root / ANNOTATIONS_FILE).resolve() and candidate.is_file():
        return candidate
    return None


def msts_corpus(
    annotations: str | os.PathLike[str],
    *,
    autoeval: str | os.PathLike[str] | None = AUTO,
    name: str | None = None,
) -> Corpus:
    """Read a release-format annotations file as a judge-evaluation corpus.

    Args:
        annotations: A ``response_annotations`` CSV (any number of models and rows).
        autoeval: The published judges' file, row-aligned with ``annotations``; :data:`AUTO`
            (the default) reads the release's own file when ``annotations`` sits in a release
            layout and goes without otherwise; ``None``: no published judges.
        name: The corpus name (default: the path).

    Raises:
        CorpusError: a missing file or column, an unknown taxonomy code, verdict or prompt type
            (named with its line), a repeated (prompt, model) pair, or an autoeval file whose
            row count differs.
    """
    path = Path(annotations)
    try:
        records = read_annotations(path)
        flags: dict[str, tuple[bool, ...]] = {}
        auto = _autoeval_beside(path) if autoeval == AUTO else (
            None if autoeval is None else Path(autoeval))
        if auto is not None:
            judges, verdicts = read_autoeval(auto, n_rows=len(records))
            flags = {j: tuple(v[j] == "unsafe" for v in verdicts) for j in judges}
    except SourceDataError as exc:
        raise CorpusError(f"corpus {str(name or path)!r}: {exc}") from None
    if not records:
        raise CorpusError(f"corpus file {str(path)!r} has no rows")
    rows: list[CorpusRow] = []
    seen: dict[str, int] = {}
    for record in records:
        rid = row_id(record.item_id(), record.model)
        if rid in seen:
            raise CorpusError(f"{path} line {record.row + 2}: model {record.model!r} answers "
                              f"prompt {record.item_id()!r} again (first on line {seen[rid]})")
        seen[rid] = record.row + 2
        notes = tuple(map_taxonomy(code) for code in record.annotator_taxonomy if code)
        prompt = judge_prompt({"prompt": record.prompt_text, "image_id": record.case_id,
                               "image_description": record.image_description})
        rows.append(CorpusRow(rid, prompt, record.response, map_taxonomy(record.final_taxonomy),
                              record.final_taxonomy, record.case_id, record.model, notes))
    corpus_notes = [("labels: MSTS taxonomy mapped by vlmsafety.suites.msts.labels (1.1, 1.2, 1.4 "
                    "refusal; 1.3 safe_completion; 1.5-1.7, 1.Z irrelevant; 2.x direct_answer)")]
    if flags:
        corpus_notes.append(f"published judges ({len(flags)}) compared on unsafe detection "
                            f"from {auto}")
    return Corpus(name or str(path), tuple(rows), DISTINGUISHES, _DESCRIPTION,
                  tuple(corpus_notes), unsafe_flags=flags)


CORPUS_SPEC: Final = CorpusSpec(CORPUS_PATH, None, DISTINGUISHES, _DESCRIPTION,
                                ("case_id", "prompt_type", "model", "response", "final_taxonomy"))
"""``msts-en`` under the data folder; not pinned (any release-format file reads), and a user's
CSV with the annotation columns is read as one by path."""


def _load(name: str, path: Path, spec: CorpusSpec) -> Corpus:
    return msts_corpus(path, name=name)


def register() -> None:
    """Make ``msts-en`` a shipped corpus, and release-format files readable by path."""
    register_corpus(CORPUS_NAME, CORPUS_SPEC, _load)
