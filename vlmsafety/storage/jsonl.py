"""JSON Lines read and written in one place: one JSON object per line, UTF-8, written atomically.

Every JSONL reader in vlmsafety (predictions and judgements, corpora, lmms-eval sample logs,
DUAL-Bench instruction lists and the packaged sample, the evaluation's model-name peek) goes
through :func:`iter_jsonl` / :func:`parse_jsonl`, so they agree on the rules: blank lines are
skipped, a leading byte-order mark is accepted, and a line that is not UTF-8, not JSON or not an
object is an error naming the line. A lone surrogate (``"\\ud800"``: legal JSON, but not text
that UTF-8 can hold) is replaced by U+FFFD, the replacement character, and counted: one
``UnicodeWarning`` per file says how many; every writer (:func:`jsonl_line`, the SQLite cache)
and the chat client's reply parsing apply the same rule (:func:`scrub_surrogates`), so such a
character never crashes a run nor makes it impossible to finish. What error is raised is the
caller's choice (``error``: a function of the message and the line number), so a predictions
file fails with
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
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from vlmsafety.errors import InputDataError

__all__ = ["MAX_LINE_BYTES", "ErrorFactory", "iter_jsonl", "jsonl_line", "parse_jsonl",
           "scrub_surrogates", "write_jsonl"]

MAX_LINE_BYTES = 256 << 20
"""The longest line :func:`iter_jsonl` reads (a reply of 256 MiB is no predictions line)."""

_BLOCK = 1 << 20
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def scrub_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` (a string, or lists and dicts of them) with every lone surrogate replaced by
    U+FFFD, and how many were replaced.

    Example:
        >>> scrub_surrogates({"r": "a\\ud800b", "n": [1, "\\udfff"]}) == (
        ...     {"r": "a\\ufffdb", "n": [1, "\\ufffd"]}, 2)
        True
        >>> scrub_surrogates("fine \\U0001F600") == ("fine \\U0001F600", 0)
        True
    """
    if isinstance(value, str):
        return _SURROGATE.subn("\ufffd", value)
    if isinstance(value, dict):
        out, total = {}, 0
        for k, v in value.items():
            (k2, a), (v2, b) = scrub_surrogates(k), scrub_surrogates(v)
            out[k2], total = v2, total + a + b
        return out, total
    if isinstance(value, list):
        pairs = [scrub_surrogates(v) for v in value]
        return [v for v, _ in pairs], sum(n for _, n in pairs)
    return value, 0

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
    yield from _parse_numbered(enumerate(lines, start=1), error or _default_error(None),
                               first_line_hint)


def _parse_numbered(
    lines: Iterable[tuple[int, bytes | str]], fail: ErrorFactory,
    first_line_hint: Callable[[str], str] | None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """:func:`parse_jsonl` over ``(line_number, line)`` pairs."""
    first = True  # the first non-blank line
    replaced = first_bad = 0
    for lineno, raw in lines:
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
        if _SURROGATE_ESCAPE.search(line):  # "\ud800" escapes: a pair is fine, a lone one not
            obj, n = scrub_surrogates(obj)
            first_bad = first_bad or (lineno if n else 0)
            replaced += n
        yield lineno, obj
    if replaced:
        warnings.warn(str(fail(f"{replaced} lone surrogate(s) (\\ud800-\\udfff escapes, first "
                               f"on line {first_bad}: not text) replaced by U+FFFD", None)),
                      UnicodeWarning, stacklevel=3)


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
    if p.is_dir():
        raise fail("is a folder, not a JSONL file", None)
    if not p.is_file():
        raise fail("file not found", None)
    with p.open("rb") as fh:
        yield from _parse_numbered(_numbered_lines(fh, fail), fail, first_line_hint)


def _numbered_lines(fh: IO[bytes], fail: ErrorFactory) -> Iterator[tuple[int, bytes]]:
    """The non-blank lines of a binary file with their numbers, read a block at a time: a NUL
    byte (a binary file) is refused at the block that holds it, a line longer than
    :data:`MAX_LINE_BYTES` when it passes the limit, and runs of blank lines are counted without
    being split, so neither a huge binary nor a file of blank lines takes long to refuse."""
    lineno, buf = 0, bytearray()
    while block := fh.read(_BLOCK):
        if b"\x00" in block:
            raise fail("a NUL byte: this is a binary file, not JSON Lines text",
                       lineno + buf.count(b"\n") + block[:block.index(b"\x00")].count(b"\n") + 1)
        if not buf and not block.strip():  # blank lines only
            lineno += block.count(b"\n")
            continue
        buf += block
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) > MAX_LINE_BYTES:
                raise fail(f"a line longer than {MAX_LINE_BYTES >> 20} MiB: not a JSON Lines "
                           "file of records", lineno + 1)
            continue
        for raw in bytes(buf[:cut]).split(b"\n"):
            lineno += 1
            if raw.strip():
                yield lineno, raw
        del buf[:cut + 1]
    if buf.strip():
        yield lineno + 1, bytes(buf)


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

    A lone surrogate, which UTF-8 cannot hold, is written as U+FFFD (:func:`scrub_surrogates`).

    Example:
        >>> jsonl_line({"id": "é", "n": None})
        '{"id": "é", "n": null}\\n'
        >>> jsonl_line({"r": "\\ud800"}) == '{"r": "\\ufffd"}\\n'
        True
    """
    text = json.dumps(dict(record), ensure_ascii=False)
    return (_SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text) + "\n"
