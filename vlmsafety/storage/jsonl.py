"""JSON Lines read and written in one place: one JSON object per line, UTF-8, written atomically.

Every JSONL reader in vlmsafety (predictions and judgements, corpora, lmms-eval sample logs,
DUAL-Bench instruction lists and the packaged sample, the evaluation's model-name peek) goes
through :func:`iter_jsonl` / :func:`parse_jsonl`, so they agree on the rules: blank lines are
skipped, a leading byte-order mark is accepted, and a line that is not UTF-8, not JSON or not an
object is an error naming the line. What error is raised is the caller's choice (``error``: a
function of the message and the line number), so a predictions file fails with
:class:`~vlmsafety.errors.PredictionsFormatError` and a release file with
:class:`~vlmsafety.errors.SourceDataError`; by default it is
:class:`~vlmsafety.errors.InputDataError` naming the file and the line.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> write_jsonl(p, [{"id": "a", "n": 1}, {"id": "é"}])
    >>> list(iter_jsonl(p))
    [(1, {'id': 'a', 'n': 1}), (2, {'id': 'é'})]
    >>> list(parse_jsonl(['{"a": 1}', "", "[1]"]))
    Traceback (most recent call last):
    ...
    vlmsafety.errors.InputDataError: line 3: expected a JSON object, got list
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from vlmsafety.errors import InputDataError

__all__ = ["ErrorFactory", "iter_jsonl", "jsonl_line", "parse_jsonl", "write_jsonl"]

ErrorFactory = Callable[[str, int | None], Exception]
"""Makes the exception to raise from a message and a 1-based line number (``None``: the file)."""


def _default_error(where: str | None) -> ErrorFactory:
    def make(message: str, line: int | None) -> Exception:
        if where is None:
            return InputDataError(message if line is None else f"line {line}: {message}")
        return InputDataError(f"{where}: {message}" if line is None else
                              f"{where}:{line}: {message}")

    return make


def parse_jsonl(
    lines: Iterable[bytes | str],
    *,
    error: ErrorFactory | None = None,
    first_line_hint: Callable[[str], str] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line_number, object)`` for each non-blank line of ``lines`` (bytes or text).

    Args:
        lines: The lines, e.g. a file opened in binary mode or ``text.splitlines()``.
        error: Makes the exception for a bad line (default: :class:`InputDataError`).
        first_line_hint: Text appended to the error when the *first* non-blank line is bad
            (e.g. "the file looks like a CSV table").

    Raises:
        The ``error`` of the first line that is not UTF-8, not JSON, or not a JSON object.
    """
    fail = error or _default_error(None)
    first = True  # the first non-blank line
    for lineno, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise fail(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column "
                           f"{exc.start + 1}; save the file as UTF-8 (e.g. `iconv -f latin1 -t "
                           "utf-8 IN > OUT` for Latin-1)", lineno) from None
        else:
            line = raw.removeprefix("\ufeff") if lineno == 1 else raw
        if not line.strip():
            continue
        hint = first_line_hint(line) if first and first_line_hint is not None else ""
        first = False
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise fail(f"invalid JSON: {exc.msg} (column {exc.colno}){hint}", lineno) from None
        if not isinstance(obj, dict):
            raise fail(f"expected a JSON object, got {type(obj).__name__}{hint}", lineno)
        yield lineno, obj


def iter_jsonl(
    path: str | os.PathLike[str],
    *,
    error: ErrorFactory | None = None,
    first_line_hint: Callable[[str], str] | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line_number, object)`` for each non-blank line of the file (see :func:`parse_jsonl`).

    The file is read line by line (memory stays flat in its size).

    Raises:
        The ``error`` (default :class:`InputDataError` naming the file and line): the file does
        not exist (line ``None``), or a line is not UTF-8, not JSON or not a JSON object.
    """
    p = Path(path)
    fail = error or _default_error(str(p))
    if not p.is_file():
        raise fail("file not found", None)
    with p.open("rb") as fh:
        yield from parse_jsonl(fh, error=fail, first_line_hint=first_line_hint)


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any] | Any]) -> None:
    """Write records (dicts, or objects with ``to_dict()``) as JSONL, atomically (temp + rename,
    see :func:`vlmsafety.storage.files.atomic_write`); checking ``overwrite`` is the caller's.

    Records are written as they come, so a generator keeps memory flat.
    """
    from vlmsafety.storage.files import atomic_write

    with atomic_write(path) as fh:
        for rec in records:
            fh.write(jsonl_line(rec.to_dict() if hasattr(rec, "to_dict") else rec))


def jsonl_line(record: Mapping[str, Any]) -> str:
    """One record as a JSONL line (UTF-8 text kept as is, newline included).

    Example:
        >>> jsonl_line({"id": "é", "n": None})
        '{"id": "é", "n": null}\\n'
    """
    return json.dumps(dict(record), ensure_ascii=False) + "\n"
