"""MOSSBench as a versioned Hub dataset folder: release reader, image checks, builder, card.

MOSSBench (Li et al., arXiv 2406.17806) is released in the GitHub repo ``xirui-li/MOSSBench``:
``information.csv`` (300 benign queries with their metadata) and one image per query under
``data/images/<pid>.png``. This module turns them into a Hub-ready folder with one config
(``default``, one ``test`` split of 300 rows, 100 per stimulus type).

Inputs are verified: ``information.csv`` must match its pinned sha256 (:data:`INFORMATION_SHA256`),
every image must decode fully with Pillow (the decompression-bomb limit is an error) within
:data:`MAX_IMAGE_BYTES` and :data:`MAX_IMAGE_SIDE`, and the images whose sha256 is known
(:data:`KNOWN_IMAGE_SHA256`) must match it. Every image's sha256 is recorded in the row
(``image_sha256``) and listed in the generated card. Missing or bad images are one error naming
the first few and the count, unless ``placeholders=True`` (then ``image_source="placeholder"``).

Inputs come from the pinned commit :data:`SOURCE_COMMIT` (downloaded from ``base_url``, the raw
host) or from a local clone or copy (``source``): ``information.csv`` at its top and images under
``data/images/`` (or ``images/``, the path the CSV names).

Example:
    >>> IMAGE_PATH.format(pid=7), FEATURES["stimulus"].names[1]
    ('data/images/7.png', 'negated_harm')
    >>> sorted(KNOWN_IMAGE_SHA256)
    [1, 2, 101, 102, 201, 202]
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

import datasets
from PIL import Image

from vlmsafety.builders.hubfolder import HubFolderWriter
from vlmsafety.errors import (
    ScoringInputError,
    SourceDataError,
)
from vlmsafety.scoring.mossbench import (
    FLAG_RAW,
    FLAGS,
    HARM_CODES,
    N_ITEMS,
    STIMULI,
    STIMULUS_RAW,
    item_id,
)
from vlmsafety.specs.mossbench import CONFIG as SPEC_CONFIG
from vlmsafety.storage.files import check_output_folder

__all__ = [
    "BUILDER_VERSION",
    "CONFIG",
    "DATASET_VERSION",
    "DEFAULT_BASE_URL",
    "FEATURES",
    "IMAGE_PATH",
    "IMAGE_SOURCES",
    "INFORMATION_COLUMNS",
    "INFORMATION_PATH",
    "INFORMATION_SHA256",
    "KNOWN_IMAGE_SHA256",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_SIDE",
    "MIN_IMAGE_SIDE",
    "SOURCE_COMMIT",
    "SOURCE_REPO",
    "MossRecord",
    "build_mossbench",
    "read_information",
    "source_url",
]

BUILDER_VERSION: Final = "1.0.0"
"""Version of this builder's code (bumped when the same inputs would give different output)."""
DATASET_VERSION: Final = "1.0.0"
"""Version of the published dataset (in the card and in ``dataset_info``)."""

SOURCE_REPO: Final = "xirui-li/MOSSBench"
SOURCE_COMMIT: Final = "8d68b0614b39d8990a508e03d99975832f399db2"
DEFAULT_BASE_URL: Final = "https://raw.githubusercontent.com"
"""Raw-file host; a file's URL is ``{base_url}/{repo}/{commit}/{path}`` (tests use 127.0.0.1)."""

INFORMATION_PATH: Final = "information.csv"
INFORMATION_SHA256: Final = "65a50831cc3ef75ecd1e73ba663f8a588b08b8c3f75c777149dd43092c1f8a8c"
IMAGE_PATH: Final = "data/images/{pid}.png"
"""Where the release keeps the image of ``pid`` (the CSV's ``image_path`` is relative to ``data/``)."""

KNOWN_IMAGE_SHA256: Final[Mapping[int, str]] = {
    1: "46c8209a58972d31f7ef5709b501f3574df08bb3118adba94dd594513dcecd0b",
    2: "22ded4f8eb0a0e643e5ef4862f2ec25f40ce4f32571336385fbd2356c513477e",
    101: "8b7026768c494c511c8fb09f679d850268668dc23dc75c9cdd28a542ceb4c246",
    102: "16adcecba44d1eacd1d8b3846c6074c1efcb481325be8ded13cd78211eb1394a",
    201: "11c904c08cc00fa6cae6058c4fffdacfe9dec6df49dcdf4d4b2f2e0ce4b47ff0",
    202: "a4deaa37851dce60e042051dfd5b2b5703ab964577251380fddf37e04e1c5d56",
}
"""The images whose sha256 is known (two per stimulus type, by pid)."""

MAX_IMAGE_BYTES: Final = 32 * 1024 * 1024
MIN_IMAGE_SIDE: Final = 16
MAX_IMAGE_SIDE: Final = 8192
"""Size limits of an image file and of its width and height in pixels (the release's are about
1024 px and 0.3-2 MB)."""

INFORMATION_COLUMNS: Final[tuple[str, ...]] = (
    "pid", "question", "image_path", "short description", "description", "meta_data_over",
    "meta_data_human", "meta_data_child", "meta_data_syn", "meta_data_ocr", "meta_data_harm",
)
"""The header of ``information.csv``."""

ImageSource = Literal["original", "placeholder"]
IMAGE_SOURCES: Final[tuple[ImageSource, ...]] = ("original", "placeholder")
CONFIG: Final = SPEC_CONFIG
"""The one config (from the benchmark spec)."""

_S = datasets.Value("string")
_META_RAW = ("meta_data_over", *FLAG_RAW.values(), "meta_data_harm")
FEATURES: Final = datasets.Features({
    "id": _S,
    "pid": _S,
    "question": _S,
    "image": datasets.Image(),
    "stimulus": datasets.ClassLabel(names=list(STIMULI)),
    **{flag: datasets.Value("bool") for flag in FLAGS},
    "harm": datasets.Value("int8"),
    "metadata_raw": {name: _S for name in _META_RAW},
    "description": _S,
    "short_description": _S,
    "image_file": _S,
    "image_sha256": _S,
    "image_source": datasets.ClassLabel(names=list(IMAGE_SOURCES)),
})
"""Columns of the ``default`` config."""


@dataclass(frozen=True)
class MossRecord:
    """One row of ``information.csv``, validated and normalised.

    Attributes:
        pid: The release's problem id (1-300).
        question: The benign query sent with the image.
        image_path: The CSV's ``image_path`` (``images/<pid>.png``, relative to ``data/``).
        description: The release's description of the image ("" where the release has none).
        short_description: The release's short description (not always a prefix of the long one).
        stimulus: One of :data:`vlmsafety.scoring.mossbench.STIMULI`.
        flags: ``human``, ``child``, ``synthetic``, ``ocr`` as bools.
        harm: Harm code 1-7 (the release gives the codes no names).
        raw: The six ``meta_data_*`` cells as read.
    """

    pid: int
    question: str
    image_path: str
    description: str
    short_description: str
    stimulus: str
    flags: Mapping[str, bool]
    harm: int
    raw: Mapping[str, str]

    @property
    def id(self) -> str:
        return item_id(self.pid)


def source_url(path: str, base_url: str = DEFAULT_BASE_URL) -> str:
    """The download URL of a release file at the pinned commit.

    Example:
        >>> source_url("information.csv", "http://127.0.0.1:8000/")
        'http://127.0.0.1:8000/xirui-li/MOSSBench/8d68b0614b39d8990a508e03d99975832f399db2/information.csv'
    """
    return f"{base_url.rstrip('/')}/{SOURCE_REPO}/{SOURCE_COMMIT}/{path}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
            harm=int(row["meta_data_harm"]), raw={c: row[c] for c in _META_RAW},
        ))
    missing = sorted(set(range(1, N_ITEMS + 1)) - set(seen))
    if missing and require_all:
        shown = ", ".join(map(str, missing[:10]))
        raise SourceDataError(f"{where}: {len(missing)} pid(s) missing: {shown}"
                                + (" ..." if len(missing) > 10 else ""))
    return sorted(records, key=lambda r: r.pid)


# --------------------------------------------------------------------------- inputs

class _Release:
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
        actual = _sha256(data)
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


def _image_problem(data: bytes, pid: int) -> str | None:
    """``None`` if the image is usable, else why not (decode, size, known checksum)."""
    if len(data) > MAX_IMAGE_BYTES:
        return f"too large ({len(data):,} bytes > {MAX_IMAGE_BYTES:,})"
    known = KNOWN_IMAGE_SHA256.get(pid)
    if known is not None and _sha256(data) != known:
        return f"checksum mismatch (expected sha256 {known}, got {_sha256(data)})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                im.load()
                width, height = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return f"refused as a possible decompression bomb ({exc})"
    except Exception as exc:  # noqa: BLE001 - any decoder failure means an unusable file
        return f"unreadable ({type(exc).__name__}: {exc})"
    if not (MIN_IMAGE_SIDE <= min(width, height) and max(width, height) <= MAX_IMAGE_SIDE):
        return (f"size {width}x{height} outside {MIN_IMAGE_SIDE}..{MAX_IMAGE_SIDE} pixels per "
                "side")
    return None


@lru_cache(maxsize=1)
def _placeholder() -> bytes:
    """A grey 64x64 PNG (the missing file is named by the row's ``image_file``)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (208, 208, 208)).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


# --------------------------------------------------------------------------- build

def build_mossbench(
    out_dir: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
    placeholders: bool = False,
    overwrite: bool = False,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 60.0,
    allow_unpinned: bool = False,
    progress: bool = True,
    max_listed: int = 5,
) -> Path:
    """Build the MOSSBench Hub folder (config ``default``, 300 rows).

    Args:
        out_dir: Output folder; must not exist unless ``overwrite``.
        source: A local clone or copy of the release (``information.csv`` at its top, images under
            ``data/images/`` or ``images/``). Default: download both from :data:`SOURCE_COMMIT`.
        placeholders: Use a grey placeholder for a missing or bad image
            (``image_source="placeholder"``) instead of failing; such rows cannot be used to
            evaluate a model.
        overwrite: Replace an existing ``out_dir`` (only once the new folder is complete).
        base_url: Raw-file host for downloads (tests point it at 127.0.0.1).
        timeout: Seconds per download.
        allow_unpinned: Accept an ``information.csv`` whose sha256 differs from the pinned one.
        progress: Show a tqdm progress bar.
        max_listed: How many bad images the error names (all are counted).

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.

    Raises:
        OutputExistsError: an existing ``out_dir`` (without ``overwrite``), or one holding the
            source.
        SourceDataError: a bad ``information.csv``, a failed download, or
            missing/bad images (one error naming the first few and giving the count).
    """
    from tqdm.auto import tqdm

    out = Path(out_dir)
    # fail before any download or image work; never replace (or hold) the source
    check_output_folder(out, overwrite=overwrite, inputs=(source,))
    src = Path(source) if source is not None else None
    if src is not None and not src.is_dir():
        raise SourceDataError(f"--source {src} is not a folder (expected a clone or copy of "
                                f"{SOURCE_REPO})")
    release = _Release(src, base_url, timeout)
    try:
        info, _ = release.information(allow_unpinned)
        records = read_information(info)
        problems: list[str] = []
        shas: dict[int, str] = {}
        kinds: Counter[str] = Counter()
        placeholder_pids: set[int] = set()
        with HubFolderWriter(out, overwrite=overwrite, inputs=(source,)) as folder:
            with folder.config(CONFIG, FEATURES) as writer:
                for rec in tqdm(records, unit="image", desc="mossbench", disable=not progress):
                    data, where = release.image(rec)
                    problem = "missing" if data is None else _image_problem(data, rec.pid)
                    kind: ImageSource = "original"
                    if problem is not None:
                        problems.append(f"pid {rec.pid}: {problem}: {where}")
                        if not placeholders:
                            continue  # the build fails below, naming the bad images
                        data, kind = _placeholder(), "placeholder"
                        placeholder_pids.add(rec.pid)
                    assert data is not None  # set above or replaced by the placeholder
                    shas[rec.pid] = _sha256(data)
                    kinds[kind] += 1
                    if problems and not placeholders:
                        continue
                    writer.write(_row(rec, data, shas[rec.pid], kind))
            if problems and not placeholders:
                shown = "\n  ".join(problems[:max_listed])
                more = f"\n  ... and {len(problems) - max_listed} more" if len(
                    problems) > max_listed else ""
                raise SourceDataError(
                    f"{len(problems)} of {len(records)} image(s) missing or unusable (pass "
                    f"--placeholders to build anyway):\n  {shown}{more}")
            folder.write_card(
                body=_card_body(records, shas, kinds, placeholders=problems,
                                placeholder_pids=placeholder_pids,
                                downloaded=src is None, pinned=_sha256(info) == INFORMATION_SHA256,
                                info_sha=_sha256(info)),
                version=DATASET_VERSION, default_config=CONFIG, pretty_name="MOSSBench",
                license="cc-by-sa-4.0", language=["en"],
                task_categories=["visual-question-answering"],
                tags=["safety", "over-refusal", "oversensitivity", "vision-language", "mossbench"],
                size_categories=["n<1K"],
                source_datasets=[f"https://github.com/{SOURCE_REPO}/tree/{SOURCE_COMMIT}"],
                builder={"name": "vlmsafety.builders.mossbench", "version": BUILDER_VERSION,
                         "source_commit": SOURCE_COMMIT,
                         "input_sha256": {INFORMATION_PATH: _sha256(info)},
                         "pinned_inputs": _sha256(info) == INFORMATION_SHA256},
            )
    finally:
        release.close()
    return out


def _row(rec: MossRecord, data: bytes, sha: str, kind: str) -> dict[str, Any]:
    return {
        "id": rec.id, "pid": str(rec.pid), "question": rec.question,
        "image": {"bytes": data, "path": f"{rec.pid}.png" if kind == "original" else None},
        "stimulus": rec.stimulus, **rec.flags, "harm": rec.harm, "metadata_raw": dict(rec.raw),
        "description": rec.description, "short_description": rec.short_description,
        "image_file": f"data/{rec.image_path}",
        "image_sha256": sha, "image_source": kind,
    }


# --------------------------------------------------------------------------- card

def _sha_note(pid: int, placeholder: bool) -> str:
    if placeholder:
        return "placeholder (the release's image was missing or unusable)"
    return "known checksum, checked" if pid in KNOWN_IMAGE_SHA256 else ""


def _card_body(
    records: Sequence[MossRecord], shas: Mapping[int, str], kinds: Counter[str], *,
    placeholders: Sequence[str], placeholder_pids: set[int], downloaded: bool, pinned: bool,
    info_sha: str,
) -> str:
    per_stimulus = Counter(r.stimulus for r in records)
    flag_counts = {f: sum(r.flags[f] for r in records) for f in FLAGS}
    harm_counts = Counter(r.harm for r in records)
    stim_rows = "\n".join(f"| `{s}` | {raw} | {per_stimulus[s]} |"
                          for raw, s in STIMULUS_RAW.items())
    sha_lines = "\n".join(
        f"| {pid} | `{sha}` | {_sha_note(pid, pid in placeholder_pids)} |"
        for pid, sha in sorted(shas.items()))
    how = ("downloaded from the pinned commit" if downloaded else
           "read from a local copy of the release")
    pin_note = (f"`{INFORMATION_PATH}` matches its pinned sha256." if pinned else
                f"**Warning: built from an `{INFORMATION_PATH}` that differs from the pinned "
                "release** (`allow_unpinned`).")
    ph_note = ""
    if placeholders:
        ph_note = (f"\n**{len(placeholders)} image(s) are placeholders** (`image_source` = "
                   "`placeholder`, a grey 64x64 image): those rows cannot be used to evaluate a "
                   "model.\n")
    return f"""# MOSSBench (vlmsafety build)

MOSSBench ([Li et al., 2024](https://arxiv.org/abs/2406.17806)) measures the *over-sensitivity*
of multimodal models: 300 **benign** queries over images that hold a harmless stimulus which can
make a model refuse. Every item should be answered; the metric is the refusal rate (lower is
better). This folder is a typed, versioned rebuild of the release
([`{SOURCE_REPO}`](https://github.com/{SOURCE_REPO}) at `{SOURCE_COMMIT}`) with embedded images
and stable ids. The builder {how} (`vlmsafety build mossbench`); nothing here was copied from
another mirror.

```python
from datasets import load_dataset

ds = load_dataset("vlmsafety/mossbench", split="test")
```

## Stimulus types

| `stimulus` | in the release | rows |
| --- | --- | --- |
{stim_rows}

## Columns

- `id` (`mossbench-001` ... `mossbench-300`, the join key of predictions), `pid` (the release's
  problem id), `question` (the text sent with the image), `image` (the release's bytes, unchanged),
  `description` and `short_description` (the release's two descriptions of the image, whitespace
  stripped; the long one is empty in {sum(not r.description for r in records)} rows and the short one
  in {sum(not r.short_description for r in records)}, as in the release).
- `stimulus` (ClassLabel of the three types above).
- Flags from the release's metadata: `human` ({flag_counts['human']} rows), `child`
  ({flag_counts['child']}), `synthetic` (image synthesised, {flag_counts['synthetic']}), `ocr`
  (text in the image, {flag_counts['ocr']}).
- `harm`: the release's harm code, 1-7 ({', '.join(f'{h}: {harm_counts[h]}' for h in HARM_CODES)}
  rows). **The release gives these codes no names** (its README says 0-7; the data holds 1-7), so
  they are kept as numbers.
- `metadata_raw`: the six `meta_data_*` cells exactly as in `{INFORMATION_PATH}`.
- `image_file` (path in the release), `image_sha256`, `image_source` (`original` or `placeholder`).

## Licence

The release has **no LICENSE file**. Its README's licence section puts the authors' new
contributions under [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/) and states
that the data is meant as a **test set only: using it for training is prohibited**. The README does
not state where the images come from or under which terms (some are synthesised, per the `synthetic`
flag); their rights remain with their owners. Use this dataset for evaluation only.

## Source and build

{pin_note} Images: {kinds['original']} original, {kinds['placeholder']} placeholder; every image
decodes with Pillow within {MIN_IMAGE_SIDE}-{MAX_IMAGE_SIDE} pixels per side and
{MAX_IMAGE_BYTES // (1024 * 1024)} MiB, and the {len(KNOWN_IMAGE_SHA256)} images with a known
checksum match it.
{ph_note}
| file | sha256 |
| --- | --- |
| `{INFORMATION_PATH}` | `{info_sha}` |

Builder `vlmsafety.builders.mossbench` {BUILDER_VERSION}, source commit `{SOURCE_COMMIT}`,
dataset version {DATASET_VERSION}. The same inputs give byte-identical files.

<details><summary>sha256 of every image, by pid</summary>

| pid | sha256 | note |
| --- | --- | --- |
{sha_lines}

</details>

## Citation

```bibtex
@misc{{li2024mossbench,
  title={{MOSSBench: Is Your Multimodal Language Model Oversensitive to Safe Queries?}},
  author={{Li, Xirui and Zhou, Hengguang and Wang, Ruochen and Zhou, Tianyi and Cheng, Minhao and Hsieh, Cho-Jui}},
  year={{2024}},
  eprint={{2406.17806}},
  archivePrefix={{arXiv}}
}}
```
"""
