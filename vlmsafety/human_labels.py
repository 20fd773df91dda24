"""Human labels as an append-only JSON Lines file: write one record, read the current labels.

``vlmsafety annotate`` writes one JSON object per answer (format: docs/human-labels.md)::

    {"id": "dual-0001", "model": "my-vlm", "label": "refusal", "annotator": "ann",
     "benchmark": "dual", "dataset_revision": "sha256:...", "response_sha256": "...",
     "stratum": "harmful", "sampling_prob": 0.05, "draw": 3, "time": "2026-12-03T14:00:00Z",
     "note": "", "action": "label"}

The file is never rewritten: a correction is a new record, an undo is a ``retract`` record, a
skip is a ``skip`` record. When read, the last record of each (id, model, annotator) wins; a
retraction leaves that item unlabelled; skips are left out and counted.

Example:
    >>> import tempfile, pathlib
    >>> from dataclasses import replace
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "human.jsonl"
    >>> rec = HumanLabel("a", "m", "refusal", "ann", "dual", "sha256:0", response_sha256("No."),
    ...                  "harmful", 0.5, 0, "2026-12-03T14:00:00Z")
    >>> append_record(p, rec)
    >>> append_record(p, replace(rec, label="direct_answer"))   # a correction: the last one wins
    >>> append_record(p, replace(rec, id="b", label=None, action="skip"))
    >>> got = read_human_labels([p])
    >>> [(r.id, r.label) for r in got], got.n_skipped
    ([('a', 'direct_answer')], 1)
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Literal, get_args

from vlmsafety.errors import HumanLabelsFormatError, InvalidArgumentError, UnknownNameError
from vlmsafety.specs import get_spec
from vlmsafety.storage.checksums import response_sha256
from vlmsafety.storage.jsonl import jsonl_line
from vlmsafety.storage.splits import dataset_revision

__all__ = [
    "Action",
    "ACTIONS",
    "FIELDS",
    "HumanLabel",
    "HumanLabels",
    "CombineRule",
    "COMBINE_RULES",
    "append_record",
    "read_human_labels",
    "iter_records",
    "combine_annotators",
    "response_sha256",
    "dataset_revision",
]

Action = Literal["label", "skip", "retract"]
ACTIONS: Final[tuple[Action, ...]] = get_args(Action)
"""``label``: the annotator's answer; ``skip``: not labelled (recorded, counted); ``retract``: an
undo of the key's previous record."""

CombineRule = Literal["majority"]
COMBINE_RULES: Final[tuple[CombineRule, ...]] = get_args(CombineRule)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_Key = tuple[str, str, str]


@dataclass(frozen=True)
class HumanLabel:
    """One record of a human-labels file.

    Attributes:
        id: The dataset row id.
        model: The model whose response was labelled (the name evaluation gives it).
        label: A label of the benchmark's spec (``get_spec(benchmark).labels``); ``None`` for a
            skip or a retraction.
        annotator: Who labelled it.
        benchmark: The benchmark's name (its spec gives the label set).
        dataset_revision: What the dataset was (:func:`dataset_revision`).
        response_sha256: sha256 of the response text shown (:func:`response_sha256`).
        stratum: The sampling stratum of the item (``"all"`` when not stratified).
        sampling_prob: The item's probability of being drawn, in (0, 1].
        draw: Its position in the seeded draw order (0-based; reserve items come later).
        time: When it was recorded (ISO 8601, UTC).
        note: The annotator's free-text note.
        action: ``label``, ``skip`` or ``retract``.
    """

    id: str
    model: str
    label: str | None
    annotator: str
    benchmark: str
    dataset_revision: str
    response_sha256: str
    stratum: str
    sampling_prob: float
    draw: int
    time: str
    note: str = ""
    action: Action = "label"

    @property
    def key(self) -> _Key:
        """``(id, model, annotator)``: a later record with this key replaces this one."""
        return (self.id, self.model, self.annotator)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to the file (every field, in declaration order)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> HumanLabel:
        """Check one decoded JSON object and build the record.

        Raises:
            HumanLabelsFormatError: a missing or mistyped field, an unknown action or benchmark,
                or a label outside the benchmark's label set (the message names the field, the
                value and the allowed set; the caller adds file and line).
        """
        return _parse(obj)


FIELDS: Final[tuple[str, ...]] = tuple(HumanLabel.__dataclass_fields__)
"""The keys of every record, in file order."""


def _bad(msg: str) -> HumanLabelsFormatError:
    return HumanLabelsFormatError(msg)


def _field(obj: Mapping[str, Any], name: str, kind: type | tuple[type, ...], what: str) -> Any:
    if name not in obj:
        raise _bad(f"missing field {name!r}; a record has: {', '.join(FIELDS)}")
    value = obj[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _bad(f"{name!r} must be {what}, got {value!r}")
    return value


def _parse(obj: Mapping[str, Any]) -> HumanLabel:
    strings = {name: _field(obj, name, str, "a string")
               for name in ("id", "model", "annotator", "benchmark", "dataset_revision",
                            "response_sha256", "stratum", "time")}
    for name in ("id", "model", "annotator"):
        if not strings[name]:
            raise _bad(f"{name!r} must be a non-empty string")
    if not _HEX64.fullmatch(strings["response_sha256"]):
        raise _bad(f"'response_sha256' must be 64 lower-case hex digits, got "
                   f"{strings['response_sha256']!r}")
    prob = _field(obj, "sampling_prob", (int, float), "a number in (0, 1]")
    if not 0.0 < prob <= 1.0:
        raise _bad(f"'sampling_prob' must be in (0, 1], got {prob!r}")
    draw = _field(obj, "draw", int, "an integer >= 0")
    if draw < 0:
        raise _bad(f"'draw' must be >= 0, got {draw}")
    note = obj.get("note", "")
    if not isinstance(note, str):
        raise _bad(f"'note' must be a string, got {note!r}")
    action = obj.get("action")
    if action not in ACTIONS:
        raise _bad(f"'action' {action!r} is not one of: {', '.join(ACTIONS)}")
    try:
        allowed = get_spec(strings["benchmark"]).labels
    except UnknownNameError as exc:
        raise _bad(str(exc)) from None
    label = obj.get("label")
    if action == "label" and label not in allowed:
        raise _bad(f"'label' {label!r} is not a {strings['benchmark']} label; allowed: "
                   + ", ".join(allowed))
    if action != "label" and label is not None:
        raise _bad(f"a {action!r} record has \"label\": null, got {label!r}")
    return HumanLabel(label=label, sampling_prob=float(prob), draw=draw, note=note,
                      action=action, **strings)


def append_record(path: str | os.PathLike[str], record: HumanLabel) -> None:
    """Append ``record`` as one JSON line, then flush and fsync at once.

    A line left half-written by a killed process (no final newline) is cut off first: it is the
    answer that was being written, and the file stays valid JSON Lines.

    Raises:
        HumanLabelsFormatError: the record itself is invalid (checked as the reader checks it).
    """
    _parse(record.to_dict())
    data = jsonl_line(record.to_dict()).encode("utf-8")  # a lone surrogate becomes U+FFFD
    p = Path(path)
    with p.open("a+b") as fh:
        if fh.seek(0, os.SEEK_END):
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":  # a half-written line: cut it off
                fh.seek(0)
                fh.truncate(fh.read().rfind(b"\n") + 1)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True)
class HumanLabels:
    """The current human labels read from one or more files.

    Attributes:
        labels: The final ``label`` record of each key, in the order their records were read.
        skipped: The final record of each key whose last action was ``skip``.
        n_retracted: Keys whose last record is a retraction (left unlabelled).
        n_records: Records read.
        n_truncated: Half-written last lines ignored (a killed writer).
        n_ties: Items left out by :func:`combine_annotators` for a tie (0 before combining).
        rule: The combining rule, or ``None`` for per-annotator labels.
    """

    labels: tuple[HumanLabel, ...]
    skipped: tuple[HumanLabel, ...] = ()
    n_retracted: int = 0
    n_records: int = 0
    n_truncated: int = 0
    n_ties: int = 0
    rule: str | None = None
    files: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.labels)

    def __iter__(self) -> Iterator[HumanLabel]:
        return iter(self.labels)

    @property
    def n_skipped(self) -> int:
        """Keys whose last record is a skip."""
        return len(self.skipped)

    @property
    def annotators(self) -> tuple[str, ...]:
        """Annotators with at least one label, sorted."""
        return tuple(sorted({r.annotator for r in self.labels}))

    @property
    def models(self) -> tuple[str, ...]:
        """Models with at least one label, sorted."""
        return tuple(sorted({r.model for r in self.labels}))

    def for_model(self, model: str) -> dict[str, HumanLabel]:
        """id -> label record of ``model`` (one annotator's, or combined ones).

        Raises:
            InvalidArgumentError: several annotators label one id (combine them first).
        """
        out: dict[str, HumanLabel] = {}
        for r in self.labels:
            if r.model == model:
                if r.id in out:
                    raise InvalidArgumentError(
                        f"id {r.id!r} of model {model!r} has labels from several annotators "
                        f"({out[r.id].annotator}, {r.annotator}); combine_annotators() first")
                out[r.id] = r
        return out


def _lines(p: Path) -> Iterator[tuple[int, bytes, bool]]:
    """``(line number, bytes, complete)``: the last line is incomplete without a final newline."""
    data = p.read_bytes().removeprefix(codecs.BOM_UTF8)
    parts = data.split(b"\n")
    for i, raw in enumerate(parts):
        if raw.strip():
            yield i + 1, raw, i < len(parts) - 1


def _records(p: Path) -> Iterator[HumanLabel | None]:
    """The file's records; ``None`` for an ignored half-written last line."""
    for lineno, raw, complete in _lines(p):
        try:
            obj = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if not complete:
                yield None
                continue
            raise HumanLabelsFormatError(f"not a JSON line: {exc}", path=str(p),
                                         line=lineno) from None
        if not isinstance(obj, dict):
            raise HumanLabelsFormatError(f"expected a JSON object, got {type(obj).__name__}",
                                         path=str(p), line=lineno)
        try:
            yield _parse(obj)
        except HumanLabelsFormatError as exc:
            raise HumanLabelsFormatError(str(exc), path=str(p), line=lineno) from None


def iter_records(path: str | os.PathLike[str]) -> Iterator[HumanLabel]:
    """Every record of one file in file order (a half-written last line is left out).

    Raises:
        HumanLabelsFormatError: as :func:`read_human_labels`.
    """
    p = Path(path)
    if not p.is_file():
        raise HumanLabelsFormatError("file not found", path=str(p))
    return (r for r in _records(p) if r is not None)


def read_human_labels(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]
                      ) -> HumanLabels:
    """Read human-labels files (in the order given) into the current labels.

    The last record of each (id, model, annotator) wins, across the files too; a ``retract`` as
    the last record leaves the key unlabelled (counted), a ``skip`` leaves it out (counted).

    Raises:
        HumanLabelsFormatError: a missing file, a bad line or record (``file:line`` named), or
            files of several benchmarks.
    """
    files = [Path(paths)] if isinstance(paths, (str, os.PathLike)) else [Path(p) for p in paths]
    if not files:
        raise HumanLabelsFormatError("no human-labels file given")
    last: dict[_Key, HumanLabel] = {}
    n_records = n_truncated = 0
    benchmarks: dict[str, str] = {}
    for p in files:
        if not p.is_file():
            raise HumanLabelsFormatError("file not found", path=str(p))
        for rec in _records(p):
            if rec is None:
                n_truncated += 1
                continue
            n_records += 1
            benchmarks.setdefault(rec.benchmark, str(p))
            last.pop(rec.key, None)  # re-inserted: dict order follows the latest record
            last[rec.key] = rec
    if len(benchmarks) > 1:
        raise HumanLabelsFormatError(
            "the files mix benchmarks: " + ", ".join(f"{b} ({f})" for b, f in benchmarks.items()))
    final = list(last.values())
    return HumanLabels(
        labels=tuple(r for r in final if r.action == "label"),
        skipped=tuple(r for r in final if r.action == "skip"),
        n_retracted=sum(r.action == "retract" for r in final),
        n_records=n_records, n_truncated=n_truncated, files=tuple(map(str, files)))


def combine_annotators(labels: HumanLabels, rule: str = "majority") -> HumanLabels:
    """One label per (id, model) from several annotators' labels.

    ``majority``: the label most annotators gave; a tie for the most is left out and counted in
    ``n_ties``. The combined record's ``annotator`` lists the annotators (``"a+b+c"``); its
    sampling fields are those of the first annotator read.

    Raises:
        InvalidArgumentError: an unknown rule.
        HumanLabelsFormatError: annotators labelled different response texts for one item.

    Example:
        >>> from dataclasses import replace
        >>> base = HumanLabel("x", "m", "refusal", "a", "dual", "r", "0" * 64, "all", 1.0, 0, "t")
        >>> three = HumanLabels((base, replace(base, annotator="b"),
        ...                      replace(base, annotator="c", label="direct_answer"),
        ...                      replace(base, id="y", label="refusal"),
        ...                      replace(base, id="y", annotator="b", label="direct_answer")))
        >>> got = combine_annotators(three)
        >>> [(r.id, r.label, r.annotator) for r in got], got.n_ties
        ([('x', 'refusal', 'a+b+c')], 1)
    """
    if rule not in COMBINE_RULES:
        raise InvalidArgumentError(f"unknown rule {rule!r}; allowed: {', '.join(COMBINE_RULES)}")
    groups: dict[tuple[str, str], list[HumanLabel]] = {}
    for r in labels.labels:
        groups.setdefault((r.id, r.model), []).append(r)
    out: list[HumanLabel] = []
    ties = 0
    for (rid, model), recs in groups.items():
        shas = {r.response_sha256 for r in recs}
        if len(shas) > 1:
            raise HumanLabelsFormatError(
                f"id {rid!r} of model {model!r}: annotators "
                f"{', '.join(sorted(r.annotator for r in recs))} labelled different response "
                "texts (response_sha256 differs)")
        top = Counter(r.label for r in recs).most_common()
        if len(top) > 1 and top[0][1] == top[1][1]:
            ties += 1
            continue
        out.append(replace(recs[0], label=top[0][0], note="",
                           annotator="+".join(sorted(r.annotator for r in recs)),
                           time=max(r.time for r in recs)))
    labelled = {(r.id, r.model) for r in labels.labels}
    return replace(labels, labels=tuple(out), n_ties=ties, rule=rule,
                   skipped=tuple(r for r in labels.skipped if (r.id, r.model) not in labelled))
