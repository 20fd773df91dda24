"""Build the MOSSBench Hub folder: release read, images checked, rows and card written."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlmsafety.builders.hubfolder import HubFolderWriter, check_build_folder
from vlmsafety.errors import SourceDataError
from vlmsafety.storage.checksums import bytes_sha256
from vlmsafety.suites.mossbench.builder.card import card_body
from vlmsafety.suites.mossbench.builder.images import image_problem, placeholder_png
from vlmsafety.suites.mossbench.builder.schema import (
    BUILDER_VERSION,
    CONFIG,
    DATASET_VERSION,
    DEFAULT_BASE_URL,
    FEATURES,
    INFORMATION_PATH,
    INFORMATION_SHA256,
    SOURCE_COMMIT,
    SOURCE_REPO,
    ImageSource,
    MossRecord,
)
from vlmsafety.suites.mossbench.builder.source import Release, read_information

__all__ = ["build_mossbench"]


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
    out = Path(out_dir)
    # fail before any download or image work; never replace (or hold) the source
    check_build_folder(out, overwrite=overwrite, inputs=(source,))
    src = Path(source) if source is not None else None
    if src is not None and not src.is_dir():
        raise SourceDataError(f"--source {src} is not a folder (expected a clone or copy of "
                              f"{SOURCE_REPO})")
    release = Release(src, base_url, timeout)
    try:
        info, _ = release.information(allow_unpinned)
        records = read_information(info)
        with HubFolderWriter(out, overwrite=overwrite, inputs=(source,)) as folder:
            images = _Images()
            with folder.config(CONFIG, FEATURES) as writer:
                for row in images.rows(release, records, placeholders, progress):
                    writer.write(row)
            if images.problems and not placeholders:
                raise SourceDataError(images.error(len(records), max_listed))
            folder.write_card(**_card(records, images, info, downloaded=src is None))
    finally:
        release.close()
    return out


@dataclass
class _Images:
    """What the images of one build turned out to be."""

    problems: list[str] = field(default_factory=list)
    shas: dict[int, str] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    placeholder_pids: set[int] = field(default_factory=set)

    def rows(self, release: Release, records: list[MossRecord], placeholders: bool,
             progress: bool) -> Any:
        """The dataset rows; once an image is bad (without ``placeholders``) the rest are only
        checked, so that the error names every bad image."""
        from tqdm.auto import tqdm

        for rec in tqdm(records, unit="image", desc="mossbench", disable=not progress):
            data, where = release.image(rec)
            problem = "missing" if data is None else image_problem(data, rec.pid)
            kind: ImageSource = "original"
            if problem is not None:
                self.problems.append(f"pid {rec.pid}: {problem}: {where}")
                if not placeholders:
                    continue  # the build fails, naming the bad images
                kind = "placeholder"
                self.placeholder_pids.add(rec.pid)
            image = placeholder_png() if data is None or kind == "placeholder" else data
            self.shas[rec.pid] = bytes_sha256(image)
            self.kinds[kind] += 1
            if not self.problems or placeholders:
                yield _row(rec, image, self.shas[rec.pid], kind)

    def error(self, n_records: int, max_listed: int) -> str:
        shown = "\n  ".join(self.problems[:max_listed])
        more = (f"\n  ... and {len(self.problems) - max_listed} more"
                if len(self.problems) > max_listed else "")
        return (f"{len(self.problems)} of {n_records} image(s) missing or unusable (pass "
                f"--placeholders to build anyway):\n  {shown}{more}")


def _card(records: list[MossRecord], images: _Images, info: bytes, *,
          downloaded: bool) -> dict[str, Any]:
    """The arguments of :meth:`HubFolderWriter.write_card`."""
    info_sha = bytes_sha256(info)
    pinned = info_sha == INFORMATION_SHA256
    return {
        "body": card_body(records, images.shas, images.kinds, placeholders=images.problems,
                          placeholder_pids=images.placeholder_pids, downloaded=downloaded,
                          pinned=pinned, info_sha=info_sha),
        "version": DATASET_VERSION, "default_config": CONFIG, "pretty_name": "MOSSBench",
        "license": "cc-by-sa-4.0", "language": ["en"],
        "task_categories": ["visual-question-answering"],
        "tags": ["safety", "over-refusal", "oversensitivity", "vision-language", "mossbench"],
        "size_categories": ["n<1K"],
        "source_datasets": [f"https://github.com/{SOURCE_REPO}/tree/{SOURCE_COMMIT}"],
        "builder": {"name": "vlmsafety.suites.mossbench.builder", "version": BUILDER_VERSION,
                    "source_commit": SOURCE_COMMIT,
                    "input_sha256": {INFORMATION_PATH: info_sha},
                    "pinned_inputs": pinned},
    }


def _row(rec: MossRecord, data: bytes, sha: str, kind: str) -> dict[str, Any]:
    return {
        "id": rec.id, "pid": str(rec.pid), "question": rec.question,
        "image": {"bytes": data, "path": f"{rec.pid}.png" if kind == "original" else None},
        "stimulus": rec.stimulus, **rec.flags, "harm": rec.harm, "metadata_raw": dict(rec.raw),
        "description": rec.description, "short_description": rec.short_description,
        "image_file": f"data/{rec.image_path}",
        "image_sha256": sha, "image_source": kind,
    }
