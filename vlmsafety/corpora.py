"""Human-labelled corpora for measuring judges: one row format, the shipped corpora, your own file.

A corpus is a list of :class:`CorpusRow` (a response, its prompt, the human label in the
:mod:`vlmsafety.labels` vocabulary, the raw label it came from, and the *group* that clusters rows
for the bootstrap) plus the set of labels the corpus can tell apart (:attr:`Corpus.distinguishes`).
A judge is measured only on the distinctions a corpus makes: XSTest separates refusal, partial
refusal and compliance; GPTFuzz separates refusal from a direct answer; neither separates a safe
completion from a direct answer.

Shipped corpora (read in place from the data folder; nothing is downloaded; each file's sha256 is
checked against :data:`SHIPPED_CORPORA` where it pins one):

* ``xstest-gpt4``: ``xstest/xstest_v2_completions_gpt4.csv``, 450 rows, grouped by prompt;
* ``xstest-llama2new``: ``xstest/xstest_v2_completions_llama2new.csv``, 450 rows, by prompt;
* ``gptfuzz``: ``judges/gptfuzz.csv``, 6,574 rows (after de-duplication), grouped by question id;
* those a benchmark's suite registers (:func:`register_corpus`), e.g. ``msts-en`` (not pinned).

XSTest rows keep both annotators' labels (:attr:`CorpusRow.annotations`) so their own agreement
can be computed. GPTFuzz repeats 1,126 earlier (question, response) pairs, always with the same
label; they are dropped (first occurrence kept, 7,700 -> 6,574 rows, noted in
:attr:`Corpus.notes`): a judge is deterministic, so a repeated pair adds no evidence about it and
would only give the repeated (mostly one-line refusal) responses extra weight.

The data folder is ``data_dir`` if given, else ``$VLMSAFETY_DATA_DIR``, else ``../shared/data``
beside a source checkout; a folder that does not exist is an error naming the variable.

Your own corpus: a CSV in XSTest's format (e.g. another model's completions, read by
:func:`read_xstest`), or a ``.csv`` or ``.jsonl`` file with a ``response`` column and a label column
(``label``, or ``human_label``), optionally ``id``, ``prompt``, ``group`` and ``source``. Labels
must be vocabulary labels unless a ``label_map`` maps your raw values onto them.

Example:
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "mine.csv").write_text("id,response,label\\na,I can't.,1\\nb,Sure: ...,0\\n")
    >>> c = load_corpus(d / "mine.csv", label_map={"1": "refusal", "0": "direct_answer"})
    >>> [(r.id, r.human_label, r.raw_label, r.group) for r in c.rows]
    [('a', 'refusal', '1', 'a'), ('b', 'direct_answer', '0', 'b')]
    >>> sorted(c.distinguishes)
    ['direct_answer', 'refusal']
    >>> load_corpus(d / "mine.csv", label_map={"1": "refusal"})
    Traceback (most recent call last):
    ...
    vlmsafety.errors.CorpusError: ...mine.csv line 3 (id 'b'): label '0' is not in the label map; allowed: '1'
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from vlmsafety.errors import CorpusError, LabelError
from vlmsafety.labels import (
    DIRECT_ANSWER,
    PARTIAL_REFUSAL,
    REFUSAL,
    SCORED_LABELS,
    Label,
    LabelScheme,
    map_label,
)

__all__ = [
    "DATA_DIR_ENV",
    "SHIPPED_CORPORA",
    "Loader",
    "Corpus",
    "CorpusRow",
    "CorpusSpec",
    "load_corpus",
    "register_corpus",
    "read_xstest",
    "resolve_data_dir",
    "XSTEST_SCHEME",
    "XSTEST_TO_LABEL",
    "XSTEST_TYPES",
    "xstest_is_unsafe",
]

DATA_DIR_ENV: Final = "VLMSAFETY_DATA_DIR"
"""Environment variable naming the data folder that holds the shipped corpora."""


@dataclass(frozen=True)
class CorpusRow:
    """One human-labelled response.

    Attributes:
        id: Stable string id within the corpus.
        prompt: The prompt the model answered (``None`` when the corpus has none).
        response: The model's response ("" for an empty one).
        human_label: The human label, a :data:`vlmsafety.labels.SCORED_LABELS` label.
        raw_label: The corpus's own label the human label was mapped from.
        group: The cluster for bootstrap intervals (GPTFuzz: question id; XSTest: prompt).
        source: Where the row comes from (corpus name or file name).
        annotations: Each annotator's own label in the vocabulary, when the corpus has several
            (XSTest: annotation_1, annotation_2); empty otherwise.
    """

    id: str
    prompt: str | None
    response: str
    human_label: Label
    raw_label: str
    group: str
    source: str
    annotations: tuple[Label, ...] = ()


@dataclass(frozen=True)
class Corpus:
    """A named list of human-labelled rows and the labels it can tell apart.

    Attributes:
        name: Shipped name, or the file's path for a user's corpus.
        rows: The rows, in file order.
        distinguishes: The labels the corpus separates (a judge's labels are collapsed onto them).
        description: One line saying what the corpus is.
        notes: How the reader treated the source (e.g. dropped duplicates), one sentence each.
        unsafe_flags: Other raters' verdicts, row-aligned: name -> per row, flagged unsafe
            (MSTS: the published judges; judge-eval compares them with the humans too).
    """

    name: str
    rows: tuple[CorpusRow, ...]
    distinguishes: frozenset[Label]
    description: str
    notes: tuple[str, ...] = field(default=())
    unsafe_flags: Mapping[str, tuple[bool, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class CorpusSpec:
    """A shipped corpus: its file under the data folder, pinned checksum (``None``: not pinned),
    description, and the columns by which a user's ``.csv`` in its format is recognised."""

    path: str
    sha256: str | None
    distinguishes: frozenset[Label]
    description: str
    columns: tuple[str, ...] = ()


_XSTEST_LABELS: Final = frozenset({REFUSAL, PARTIAL_REFUSAL, DIRECT_ANSWER})

XSTEST_TO_LABEL: Final[Mapping[str, Label]] = {
    "1_full_compliance": DIRECT_ANSWER,
    "2_full_refusal": REFUSAL,
    "3_partial_refusal": PARTIAL_REFUSAL,
}
"""XSTest's human labels (``final_label``) -> the vocabulary. XSTest does not separate compliance
with and without warnings, so both land on ``direct_answer``; its partial refusal also covers
"refuses, then answers anyway" (vocabulary 2.0.0: ``direct_answer``), kept ``partial_refusal``
because the rows are not told apart."""

XSTEST_SCHEME: Final = LabelScheme(
    "xstest", XSTEST_TO_LABEL,
    template=Path(__file__).parent / "data" / "judge_templates" / "xstest.txt")
"""XSTest's labels and the chat judge's 3-way rubric asking for them (exaggerated safety on safe
prompts; a benchmark of benign queries may judge with it too)."""

XSTEST_TYPES: Final[tuple[str, ...]] = (
    "homonyms", "figurative_language", "safe_targets", "safe_contexts", "definitions",
    "real_group_nons_discr", "nons_group_real_discr", "historical_events", "privacy_public",
    "privacy_fictional",
    "contrast_homonyms", "contrast_figurative_language", "contrast_safe_targets",
    "contrast_safe_contexts", "contrast_definitions", "contrast_discr", "contrast_historical_events",
    "contrast_privacy",
)
"""XSTest's prompt types (v2, 450 prompts); a type is unsafe when it contains "contrast"."""


def xstest_is_unsafe(xstest_type: str) -> bool:
    """XSTest's rule: a prompt is unsafe when its type contains "contrast".

    Example:
        >>> xstest_is_unsafe("contrast_homonyms"), xstest_is_unsafe("homonyms")
        (True, False)
    """
    return "contrast" in xstest_type


SHIPPED_CORPORA: Final[dict[str, CorpusSpec]] = {
    "xstest-gpt4": CorpusSpec(
        "xstest/xstest_v2_completions_gpt4.csv",
        "71af323af8ecdec0efae23992317721441d2cfedddedeef3248f842f4e15c9ca",
        _XSTEST_LABELS,
        "XSTest v2: GPT-4 on 450 prompts (250 safe, 200 contrast), two annotators; "
        "full compliance / full refusal / partial refusal"),
    "xstest-llama2new": CorpusSpec(
        "xstest/xstest_v2_completions_llama2new.csv",
        "6365cc55ce0a593c7ab8785853d02784be027d97199d4077912b4313cd010099",
        _XSTEST_LABELS,
        "XSTest v2: Llama-2-70b-chat (new system prompt) on 450 prompts, two annotators; "
        "full compliance / full refusal / partial refusal"),
    "gptfuzz": CorpusSpec(
        "judges/gptfuzz.csv",
        "ac7f6843f9f6499362565d3a9687771b271ffa7167eb9d7c016dec3d07199c21",
        frozenset({REFUSAL, DIRECT_ANSWER}),
        "GPTFuzz: gpt-3.5-turbo under 77 jailbreak templates on 100 harmful questions; "
        "jailbroken (direct_answer) or not (refusal)"),
}
"""Shipped corpora by name (read from the data folder, never downloaded), and registered ones."""


def _checkout_data_dir() -> Path:
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data folder: ``data_dir``, else ``$VLMSAFETY_DATA_DIR``, else ``../shared/data``.

    Raises:
        CorpusError: the folder does not exist (the message names :data:`DATA_DIR_ENV`).

    Example:
        >>> resolve_data_dir("/no/such/folder")
        Traceback (most recent call last):
        ...
        vlmsafety.errors.CorpusError: data folder '/no/such/folder' (from data_dir) does not exist;
        pass --data-dir or set VLMSAFETY_DATA_DIR to the folder holding xstest/ and judges/
    """
    if data_dir is not None:
        path, origin = Path(data_dir), "data_dir"
    elif os.environ.get(DATA_DIR_ENV):
        path, origin = Path(os.environ[DATA_DIR_ENV]), f"${DATA_DIR_ENV}"
    else:
        path, origin = _checkout_data_dir(), "the default beside the checkout"
    if not path.is_dir():
        raise CorpusError(
            f"data folder {str(path)!r} (from {origin}) does not exist; pass --data-dir or set "
            f"{DATA_DIR_ENV} to the folder holding xstest/ and judges/")
    return path


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number of the record's start, row)``."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            _ = reader.fieldnames  # reads the header line
            line = reader.line_num + 1
            for row in reader:
                yield line, row
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CorpusError(f"cannot read corpus {str(path)!r}: {exc}") from None


def _read_jsonl(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    from vlmsafety.storage.jsonl import iter_jsonl

    def error(message: str, line: int | None) -> CorpusError:
        where = f"{path}:{line}" if line is not None else str(path)
        return CorpusError(f"cannot read corpus: {where}: {message}")

    try:
        yield from iter_jsonl(path, error=error)
    except OSError as exc:
        raise CorpusError(f"cannot read corpus {str(path)!r}: {exc}") from None


def _need(row: Mapping[str, object], cols: tuple[str, ...], where: str) -> None:
    missing = [c for c in cols if c not in row]
    if missing:
        raise CorpusError(f"{where}: missing column(s) {', '.join(map(repr, missing))}; "
                          f"found {', '.join(map(repr, row))}")


_XSTEST_COLUMNS: Final = ("id", "prompt", "completion", "annotation_1", "annotation_2",
                          "final_label")


def read_xstest(path: str | os.PathLike[str], name: str | None = None) -> Corpus:
    """Read any completions file in XSTest's format (columns ``id, type, prompt, completion,
    annotation_1, annotation_2, agreement, final_label``), e.g. another model's.

    No checksum is checked (use :func:`load_corpus` for the shipped files). Rows are grouped by
    prompt and keep both annotators' labels. :func:`load_corpus` reads a path with these columns
    the same way.

    Args:
        path: The CSV file.
        name: The corpus name (default: the path).
    """
    p = Path(path)
    rows: list[CorpusRow] = []
    label = name or str(p)
    for lineno, r in _read_csv(p):
        where = f"{p} line {lineno}"
        _need(r, _XSTEST_COLUMNS, where)
        try:
            human = map_label(r["final_label"], XSTEST_SCHEME)
            notes = (map_label(r["annotation_1"], XSTEST_SCHEME),
                     map_label(r["annotation_2"], XSTEST_SCHEME))
        except LabelError as exc:
            raise CorpusError(f"{where} (id {r['id']!r}): {exc}") from None
        rows.append(CorpusRow(r["id"], r["prompt"], r["completion"], human, r["final_label"],
                              r["prompt"], label, notes))
    if not rows:
        raise CorpusError(f"corpus file {str(p)!r} has no rows")
    shipped = SHIPPED_CORPORA.get(name or "")
    description = shipped.description if shipped is not None else (
        f"XSTest-format completions {p.name} ({len(rows)} rows)")
    return Corpus(label, tuple(rows), _XSTEST_LABELS, description)


def _load_xstest(name: str, path: Path, spec: CorpusSpec) -> Corpus:
    return read_xstest(path, name)


def _load_gptfuzz(name: str, path: Path, spec: CorpusSpec) -> Corpus:
    rows: list[CorpusRow] = []
    seen: dict[tuple[str, str], str] = {}
    dropped = 0
    cols = ("id", "question_id", "prompt", "response", "human_label", "raw_label")
    for lineno, r in _read_csv(path):
        where = f"{path} line {lineno} (id {r.get('id')!r})"
        _need(r, cols, where)
        if r["human_label"] not in spec.distinguishes:
            allowed = ", ".join(map(repr, sorted(spec.distinguishes)))
            raise CorpusError(f"{where}: label {r['human_label']!r} is not allowed; "
                              f"allowed: {allowed}")
        key = (r["question_id"], r["response"])
        if key in seen:
            if seen[key] != r["human_label"]:
                raise CorpusError(f"{where}: repeats an earlier (question, response) pair "
                                  f"with another label ({seen[key]!r} vs {r['human_label']!r})")
            dropped += 1
            continue
        seen[key] = r["human_label"]
        label: Label = REFUSAL if r["human_label"] == REFUSAL else DIRECT_ANSWER
        rows.append(CorpusRow(r["id"], r["prompt"], r["response"], label, r["raw_label"],
                              r["question_id"], name))
    note = (f"{dropped} rows repeating an earlier (question, response) pair with the same label "
            "were dropped (first occurrence kept)")
    return Corpus(name, tuple(rows), spec.distinguishes, spec.description, (note,))


Loader = Callable[[str, Path, CorpusSpec], Corpus]
"""``loader(name, path, spec) -> Corpus``."""
_LOADERS: Final[dict[str, Loader]] = {
    "xstest-gpt4": _load_xstest, "xstest-llama2new": _load_xstest, "gptfuzz": _load_gptfuzz}


def register_corpus(name: str, spec: CorpusSpec, loader: Loader) -> None:
    """Add a shipped corpus (a suite's own human-labelled responses); a user's ``.csv`` holding
    every one of ``spec.columns`` is read by ``loader`` too. Raises CorpusError on a taken name."""
    if SHIPPED_CORPORA.get(name, spec) != spec:
        raise CorpusError(f"a corpus named {name!r} is registered; choose another name")
    SHIPPED_CORPORA[name], _LOADERS[name] = spec, loader


def _load_shipped(name: str, data_dir: str | os.PathLike[str] | None) -> Corpus:
    spec = SHIPPED_CORPORA[name]
    path = resolve_data_dir(data_dir) / spec.path
    if not path.is_file():
        raise CorpusError(f"corpus {name!r}: file {str(path)!r} not found in the data folder "
                          f"(set --data-dir or {DATA_DIR_ENV})")
    from vlmsafety.storage.checksums import file_sha256

    actual = None if spec.sha256 is None else file_sha256(path)
    if actual != spec.sha256:
        raise CorpusError(f"corpus {name!r}: checksum mismatch for {str(path)!r}: expected sha256 "
                          f"{spec.sha256}, got {actual}")
    return _LOADERS[name](name, path, spec)


def _to_label(raw: str, label_map: Mapping[str, str] | None, where: str) -> Label:
    if label_map is None:
        if raw in SCORED_LABELS:
            return raw
        allowed = ", ".join(map(repr, SCORED_LABELS))
        raise CorpusError(f"{where}: label {raw!r} is not a behaviour label; allowed: {allowed} "
                          "(or pass a label map)")
    if raw not in label_map:
        allowed = ", ".join(map(repr, label_map))
        raise CorpusError(f"{where}: label {raw!r} is not in the label map; allowed: {allowed}")
    return label_map[raw]  # type: ignore[return-value]  # values checked by _check_map


def _check_map(label_map: Mapping[str, str]) -> None:
    for key, value in label_map.items():
        if value not in SCORED_LABELS:
            allowed = ", ".join(map(repr, SCORED_LABELS))
            raise CorpusError(f"label map: {key!r} -> {value!r} is not a behaviour label a human "
                              f"can give; allowed: {allowed}")


def _cell(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _read_records(path: Path) -> Iterator[tuple[int, Mapping[str, object]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path)
    raise CorpusError(f"corpus file {str(path)!r}: unknown format {suffix!r}; "
                      "allowed: '.csv', '.jsonl'")


def _has_columns(path: Path, columns: tuple[str, ...]) -> bool:
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return set(columns) <= set(header)


def _load_user(path: Path, label_map: Mapping[str, str] | None) -> Corpus:
    if label_map is None and _has_columns(path, _XSTEST_COLUMNS):
        return read_xstest(path)
    for name, spec in SHIPPED_CORPORA.items():
        if label_map is None and spec.columns and _has_columns(path, spec.columns):
            return _LOADERS[name](str(path), path, spec)
    records = _read_records(path)
    if label_map is not None:
        label_map = {str(k): v for k, v in label_map.items()}
        _check_map(label_map)
    rows: list[CorpusRow] = []
    ids: dict[str, int] = {}
    for n, (lineno, r) in enumerate(records):
        rid = _cell(r.get("id")) or f"row-{n}"
        where = f"{path} line {lineno} (id {rid!r})"
        label_col = "human_label" if "human_label" in r else "label"
        _need(r, ("response", label_col), where)
        response = r["response"]
        if not isinstance(response, str):
            raise CorpusError(f"{where}: response must be a string, got {response!r}")
        raw = _cell(r[label_col])
        if raw is None:
            raise CorpusError(f"{where}: label is missing (null)")
        if rid in ids:
            raise CorpusError(f"{where}: id {rid!r} repeats line {ids[rid]}")
        ids[rid] = lineno
        label = _to_label(raw, label_map, where)
        prompt = _cell(r.get("prompt"))
        rows.append(CorpusRow(rid, prompt or None, response, label, raw,
                              _cell(r.get("group")) or rid, _cell(r.get("source")) or path.name))
    if not rows:
        raise CorpusError(f"corpus file {str(path)!r} has no rows")
    labels = set(label_map.values()) if label_map is not None else {r.human_label for r in rows}
    return Corpus(str(path), tuple(rows), frozenset(labels),  # type: ignore[arg-type]  # labels were checked against the vocabulary above
                  f"user corpus {path.name} ({len(rows)} rows)")


def load_corpus(
    name_or_path: str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    label_map: Mapping[str, str] | None = None,
) -> Corpus:
    """Load a shipped corpus by name, or a user's CSV/JSONL file.

    Args:
        name_or_path: A key of :data:`SHIPPED_CORPORA`, or the path of a ``.csv``/``.jsonl`` file.
        data_dir: Folder holding the shipped corpora (default: ``$VLMSAFETY_DATA_DIR``, else
            ``../shared/data`` beside a checkout). Ignored for a file.
        label_map: For a user's file, raw label -> vocabulary label (e.g. ``{"1": "refusal"}``);
            without it the file's labels must be vocabulary labels.

    Returns:
        The :class:`Corpus`.

    Raises:
        CorpusError: unknown name and no such file, missing data folder, checksum mismatch,
            missing column, unknown label (naming the value, the row and the allowed set).
    """
    key = os.fspath(name_or_path)
    if key in SHIPPED_CORPORA:
        if label_map is not None:
            raise CorpusError(f"corpus {key!r} is shipped with its own labels; label_map is only "
                              "for a user's file")
        return _load_shipped(key, data_dir)
    path = Path(key)
    if not path.is_file():
        names = ", ".join(map(repr, SHIPPED_CORPORA))
        raise CorpusError(f"corpus {key!r} is neither a shipped corpus ({names}) nor an "
                          "existing .csv/.jsonl file (a benchmark's corpus is registered when "
                          "the benchmarks load: vlmsafety.specs.specs())")
    return _load_user(path, label_map)
