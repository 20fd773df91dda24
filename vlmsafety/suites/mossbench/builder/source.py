"""MOSSBench's release files: ``information.csv`` parsed and checked, files read from a local copy
or downloaded from the pinned commit.

Example:
    >>> source_url("information.csv", "http://127.0.0.1:8000/")
    'http://127.0.0.1:8000/xirui-li/MOSSBench/8d68b0614b39d8990a508e03d99975832f399db2/information.csv'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vlmsafety.errors import ScoringInputError, SourceDataError
from vlmsafety.storage.checksums import bytes_sha256
from vlmsafety.suites.mossbench.builder.schema import (
    DEFAULT_BASE_URL,
    INFORMATION_COLUMNS,
    INFORMATION_PATH,
    INFORMATION_SHA256,
    META_RAW,
    SOURCE_COMMIT,
    SOURCE_REPO,
    MossRecord,
)
from vlmsafety.suites.mossbench.scoring import FLAG_RAW, HARM_CODES, N_ITEMS, STIMULUS_RAW, item_id

__all__ = ["Release", "read_information", "source_url"]


def source_url(path: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The download URL of a release file at the pinned commit.

    Example:
        >>> source_url("information.csv", "http://127.0.0.1:8000/")
        'http://127.0.0.1:8000/xirui-li/MOSSBench/8d68b0614b39d8990a508e03d99975832f399db2/information.csv'
    """
    return f"{base_url.rstrip('/')}/{SOURCE_REPO}/{SOURCE_COMMIT}/{path}"



def read_information(
    data: bytes, *, where: str = INFORMATION_PATH, require_all: bool = True
) -> list[MossRecord]:
    """Parse and validate ``information.csv`` (bytes; its checksum is checked by the caller).

    Args:
        data: The file's bytes.
        where: How the file is named in errors.
        require_all: Every pid 1-300 must be present (off for excerpts).

    Raises:
        SourceDataError: a wrong header, a bad cell (named by row and column, with the allowed
            values), repeated or missing pids.

    Example:
        >>> head = ",".join(INFORMATION_COLUMNS)
        >>> row = '1,Q?,images/1.png,s,d,Negated Harm,1,0,0,1,7'
        >>> r = read_information(f"{head}\\n{row}\\n".encode(), require_all=False)
        >>> r[0].id, r[0].stimulus, r[0].flags["human"], r[0].harm
        ('mossbench-001', 'negated_harm', True, 7)
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceDataError(f"{where}: not UTF-8 text ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != INFORMATION_COLUMNS:
        raise SourceDataError(f"{where}: unexpected header {reader.fieldnames}; expected "
                                f"{list(INFORMATION_COLUMNS)}")
    records: list[MossRecord] = []
    seen: dict[int, int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row or any(v is None for v in row.values()):
            raise SourceDataError(f"{where}, line {line}: wrong number of cells")

        def check(ok: bool, column: str, allowed: str, _line: int = line,
                  _row: Mapping[str, str] = row) -> None:
            if not ok:
                raise SourceDataError(f"{where}, line {_line}, column {column!r}: "
                                        f"{_row[column]!r} is not allowed; allowed: {allowed}")

        try:
            item_id(row["pid"])
        except ScoringInputError:
            check(False, "pid", f"1 to {N_ITEMS} in decimal")
        pid = int(row["pid"])
        if pid in seen:
            raise SourceDataError(f"{where}, line {line}: pid {pid} repeats line {seen[pid]}")
        seen[pid] = line
        check(row["meta_data_over"] in STIMULUS_RAW, "meta_data_over",
              ", ".join(map(repr, STIMULUS_RAW)))
        for column in FLAG_RAW.values():
            check(row[column] in ("0", "1"), column, "'0', '1'")
        check(row["meta_data_harm"] in {str(c) for c in HARM_CODES}, "meta_data_harm",
              ", ".join(map(str, HARM_CODES)))
        question = row["question"].strip()
        check(bool(question), "question", "non-empty text")
        image_path = row["image_path"]
        check(bool(image_path) and not Path(image_path).is_absolute()
              and ".." not in Path(image_path).parts, "image_path",
              "a relative path inside the release")
        stimulus = STIMULUS_RAW[row["meta_data_over"]]
        flags = {flag: row[column] == "1" for flag, column in FLAG_RAW.items()}
        records.append(MossRecord(
            pid=pid, question=question, image_path=image_path,
            description=row["description"].strip(),
            short_description=row["short description"].strip(), stimulus=stimulus, flags=flags,
            harm=int(row["meta_data_harm"]), raw={c: row[c] for c in META_RAW},
        ))
    missing = sorted(set(range(1, N_ITEMS + 1)) - set(seen))
    if missing and require_all:
        shown = ", ".join(map(str, missing[:10]))
        raise SourceDataError(f"{where}: {len(missing)} pid(s) missing: {shown}"
                                + (" ..." if len(missing) > 10 else ""))
    return sorted(records, key=lambda r: r.pid)



class Release:
    """Reads release files from a local folder or from the pinned commit over HTTP."""

    def __init__(self, source: Path | None, base_url: str, timeout: float) -> None:
        self.source = source
        self.base_url = base_url
        self.timeout = timeout
        self._client: Any = None

    def _get(self, path: str) -> bytes | None:
        """The file's bytes; ``None`` when the host says 404 (other failures are errors)."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, follow_redirects=True)
        url = source_url(path, self.base_url)
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise SourceDataError(
                f"cannot download {url}: {type(exc).__name__}: {exc} (use --source DIR to build "
                "from a local copy of the release)") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SourceDataError(f"cannot download {url}: HTTP {response.status_code}")
        return bytes(response.content)

    def information(self, allow_unpinned: bool) -> tuple[bytes, str]:
        if self.source is not None:
            path = self.source / INFORMATION_PATH
            if not path.is_file():
                raise SourceDataError(f"input file not found: {path} (expected the release's "
                                        f"{INFORMATION_PATH} at the top of --source)")
            data, where = path.read_bytes(), str(path)
        else:
            where = source_url(INFORMATION_PATH, self.base_url)
            got = self._get(INFORMATION_PATH)
            if got is None:
                raise SourceDataError(f"cannot download {where}: HTTP 404")
            data = got
        actual = bytes_sha256(data)
        if actual != INFORMATION_SHA256 and not allow_unpinned:
            raise SourceDataError(
                f"checksum mismatch for {INFORMATION_PATH} ({where}): expected sha256 "
                f"{INFORMATION_SHA256}, got {actual} (pass allow_unpinned=True / --allow-unpinned "
                "to build from a modified file; the card then says so)")
        return data, where

    def image(self, record: MossRecord) -> tuple[bytes | None, str]:
        """The image's bytes (``None`` if missing) and where it was looked for."""
        release_path = f"data/{record.image_path}"
        if self.source is None:
            return self._get(release_path), release_path
        for candidate in (self.source / release_path, self.source / record.image_path):
            if candidate.is_file():
                return candidate.read_bytes(), str(candidate)
        return None, str(self.source / release_path)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
