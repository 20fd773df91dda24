"""Build the MSTS Hub folder: release read, images fetched and checked, rows and card written."""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from vlmsafety.builders.hubfolder import HubFolderWriter, check_build_folder
from vlmsafety.errors import InvalidArgumentError, LabelError, SourceDataError, UnknownNameError
from vlmsafety.storage.checksums import bytes_sha256, file_sha256
from vlmsafety.suites.msts.builder.card import card_fields
from vlmsafety.suites.msts.builder.fetch import (
    Fetched,
    FetchJob,
    FetchSettings,
    ImageCache,
    fetch_images,
    mirror_urls,
)
from vlmsafety.suites.msts.builder.images import BuiltImage, ImageFolder, check_image
from vlmsafety.suites.msts.builder.schema import (
    DEFAULT_BASE_URL,
    FEATURES,
    MAX_IMAGE_BYTES,
    USER_AGENT,
)
from vlmsafety.suites.msts.builder.source import download_release
from vlmsafety.suites.msts.hazards import msts_hazard
from vlmsafety.suites.msts.release import (
    CONFIGS,
    IMAGES_FILE,
    ImageInfo,
    Prompt,
    prompts_file,
    read_images,
    read_prompts,
)

__all__ = ["build_msts", "default_cache_dir"]


def default_cache_dir() -> Path:
    """``$VLMSAFETY_CACHE_DIR/msts-images``, else ``~/.cache/vlmsafety/msts-images``."""
    root = os.environ.get("VLMSAFETY_CACHE_DIR") or Path.home() / ".cache" / "vlmsafety"
    return Path(root) / "msts-images"


def build_msts(
    out_dir: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
    images: str | os.PathLike[str] | None = None,
    mirror: str | None = None,
    languages: Sequence[str] | None = None,
    placeholders: bool = False,
    overwrite: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 30.0,
    retries: int = 3,
    concurrency: int = 4,
    backoff: float = 1.0,
    max_image_bytes: int = MAX_IMAGE_BYTES,
    user_agent: str = USER_AGENT,
    allow_unpinned: bool = False,
    progress: bool = True,
    max_listed: int = 5,
) -> Path:
    """Build the MSTS Hub folder: one config per language (400 rows in ``en``, 200 in each of
    the 10 others) and ``en_textonly`` (400 rows, no image).

    Args:
        out_dir: Output folder; must not exist unless ``overwrite``.
        source: A local clone of the release. Default: download the prompt and image CSVs from
            the pinned commit (``base_url``), each checked against its sha256.
        images: A folder of ``<image id>.<ext>`` files (png, jpg, jpeg, webp) used instead of
            downloading.
        mirror: A server holding ``<image id>.<ext>`` files, used instead of the release's URLs.
        languages: The configs to build (codes of :data:`~vlmsafety.suites.msts.release.CONFIGS`,
            ``en_textonly`` included); default all 12.
        placeholders: Put a grey placeholder (``image_source="placeholder"``) for a missing or
            bad image, with a warning, instead of failing; such rows cannot evaluate a model.
        overwrite: Replace an existing ``out_dir`` (only once the new folder is complete).
        cache_dir: Where downloaded images are kept (default :func:`default_cache_dir`).
        base_url: Raw-file host of the release's CSVs (tests point it at 127.0.0.1).
        timeout: Seconds per request (each download of a CSV or image).
        retries: Extra attempts per image after a timeout, connection error, 429 or 5xx.
        concurrency: Image requests in flight at most.
        backoff: Seconds before the first retry (doubled each time).
        max_image_bytes: Largest image accepted.
        user_agent: The User-Agent of image requests (Wikimedia asks for a name and a contact).
        allow_unpinned: Read ``source`` files whose sha256 differs from the release's (the card
            says so).
        progress: Show tqdm progress bars.
        max_listed: How many bad images the error names (all are counted).

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.

    Raises:
        UnknownNameError: a language not among the configs (the allowed ones named).
        InvalidArgumentError: ``images`` and ``mirror`` together, or a bad number.
        OutputExistsError: an existing ``out_dir`` (without ``overwrite``), or one holding an
            input.
        SourceDataError: a missing or modified release file, a failed CSV download, or missing
            or bad images without ``placeholders`` (one error naming the first few, with the
            count).
    """
    # long: one keyword per CLI option, each documented above; the steps are calls
    configs = _configs(languages)
    if images is not None and mirror is not None:
        raise InvalidArgumentError("give --images DIR or --mirror URL, not both")
    if timeout <= 0 or retries < 0 or concurrency < 1 or max_image_bytes < 1:
        raise InvalidArgumentError(
            f"timeout must be > 0, retries >= 0, concurrency >= 1 and max_image_bytes >= 1; got "
            f"{timeout}, {retries}, {concurrency}, {max_image_bytes}")
    out = Path(out_dir)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    inputs = (source, images, cache)
    check_build_folder(out, overwrite=overwrite, inputs=inputs)  # before any download
    prompts, infos, input_sha = _read_release(source, configs, base_url=base_url,
                                              timeout=timeout, verify=not allow_unpinned)
    needed = _needed_images(prompts, infos)
    settings = FetchSettings(timeout=timeout, retries=retries, concurrency=concurrency,
                             backoff=backoff, max_bytes=max_image_bytes, user_agent=user_agent)
    built = _resolve_images(needed, images=images, mirror=mirror, cache=ImageCache(cache),
                            settings=settings, progress=progress)
    bad = [b for b in built.values() if b.problem is not None]
    if bad and not placeholders:
        raise SourceDataError(_error(bad, len(built), max_listed))
    if bad:
        warnings.warn(_error(bad, len(built), max_listed, placeholders=True), stacklevel=2)
    with HubFolderWriter(out, overwrite=overwrite, inputs=inputs) as folder:
        rows_per_config = {}
        for config in configs:
            with folder.config(config, FEATURES) as writer:
                for row in _rows(prompts[config], built, progress):
                    writer.write(row)
            rows_per_config[config] = writer.num_rows
        folder.write_card(**card_fields(
            rows_per_config, prompts, infos, built, input_sha=input_sha,
            how=_how(source, images, mirror), max_bytes=max_image_bytes))
    return out


def _read_release(source: str | os.PathLike[str] | None, configs: list[str], *, base_url: str,
                  timeout: float, verify: bool
                  ) -> tuple[dict[str, list[Prompt]], dict[str, ImageInfo], dict[str, str]]:
    """The configs' prompts, the images file's rows by id and the inputs' sha256, from the
    clone ``source`` or downloaded from the pinned commit."""
    paths = [*map(prompts_file, configs), IMAGES_FILE]
    with tempfile.TemporaryDirectory(prefix="msts-release-") as tmp:
        root = Path(source) if source is not None else Path(tmp)
        if source is None:
            download_release(root, paths, base_url=base_url, timeout=timeout)
        elif not root.is_dir():
            raise SourceDataError(f"--source {root} is not a folder (a clone of the release)")
        prompts = {c: read_prompts(root, c, verify=verify) for c in configs}
        infos = {i.image_id: i for i in read_images(root, verify=verify)}
        return prompts, infos, {p: file_sha256(root / p) for p in paths}


def _configs(languages: Sequence[str] | None) -> list[str]:
    if languages is None:
        return list(CONFIGS)
    wanted = [str(code).strip() for code in languages]
    unknown = [code for code in wanted if code not in CONFIGS]
    if unknown or not wanted:
        raise UnknownNameError(f"unknown MSTS language/config {', '.join(map(repr, unknown))}; "
                               f"allowed: {', '.join(CONFIGS)}" if unknown else
                               f"no language given; allowed: {', '.join(CONFIGS)}")
    return [c for c in CONFIGS if c in wanted]  # release order, each once


def _needed_images(prompts: dict[str, list[Prompt]], infos: dict[str, ImageInfo]
                   ) -> list[ImageInfo]:
    """The images the chosen configs show, in the images file's order (each once)."""
    used = {p.image_id for rows in prompts.values() for p in rows if p.image_id is not None}
    unknown = sorted(used - set(infos))
    if unknown:
        raise SourceDataError(f"{IMAGES_FILE}: no row for image id(s) {', '.join(unknown[:5])}"
                              f"{' ...' if len(unknown) > 5 else ''} used by the prompt files")
    return [info for image_id, info in infos.items() if image_id in used]


def _resolve_images(needed: list[ImageInfo], *, images: str | os.PathLike[str] | None,
                    mirror: str | None, cache: ImageCache, settings: FetchSettings,
                    progress: bool) -> dict[str, BuiltImage]:
    """Every needed image from the folder, the mirror or its URL, checked."""
    if images is not None:
        local = ImageFolder(Path(images))
        out = {}
        for info in needed:
            data, where = local.read(info.image_id)
            checked = check_image(data, max_bytes=settings.max_bytes) if data is not None else None
            if data is None or checked is None or checked.problem is not None:
                problem = where if checked is None else f"{checked.problem}: {where}"
                cause = "missing" if checked is None else "unusable"
                out[info.image_id] = BuiltImage(info, None, "--images", problem=problem,
                                                cause=cause)
            else:
                out[info.image_id] = BuiltImage(info, Path(where), f"--images {Path(where).name}",
                                                bytes_sha256(data), checked.ext)
        return out
    jobs = [FetchJob(i.image_id, f"{mirror.rstrip('/')}/{i.image_id}" if mirror else i.url,
                     tuple(mirror_urls(mirror, i.image_id, i.url)) if mirror else (i.url,))
            for i in needed]
    fetched = fetch_images(jobs, cache, settings, progress=progress)
    return {i.image_id: _built(i, fetched[i.image_id]) for i in needed}


def _built(info: ImageInfo, fetched: Fetched) -> BuiltImage:
    if fetched.path is None:
        return BuiltImage(info, None, fetched.url, problem=fetched.problem, cause=fetched.cause)
    return BuiltImage(info, fetched.path, fetched.url, file_sha256(fetched.path),
                      fetched.path.suffix.lstrip("."))


def _error(bad: list[BuiltImage], total: int, max_listed: int, *,
           placeholders: bool = False) -> str:
    causes = Counter(b.cause for b in bad)
    shown = "\n  ".join(f"{b.info.image_id}: {b.problem}" for b in bad[:max_listed])
    more = f"\n  ... and {len(bad) - max_listed} more" if len(bad) > max_listed else ""
    by_cause = ", ".join(f"{n} {c}" for c, n in sorted(causes.items()))
    if placeholders:
        head = (f"{len(bad)} of {total} MSTS image(s) replaced by grey placeholders ({by_cause}; "
                "image_source=placeholder): those rows cannot evaluate a model, and "
                "`vlmsafety push` refuses the folder unless --allow-placeholders")
    else:
        head = (f"{len(bad)} of {total} MSTS image(s) missing or unusable ({by_cause}); pass "
                "--placeholders to build anyway")
    return f"{head}:\n  {shown}{more}"


def _how(source: Any, images: Any, mirror: str | None) -> str:
    csvs = ("read from a local clone of the release" if source is not None else
            "downloaded from the pinned commit and checked against their sha256")
    where = ("read from a local folder (`--images`)" if images is not None else
             "fetched from a mirror serving `<image id>.<ext>` (`--mirror`)" if mirror else
             "downloaded from the release's URLs")
    return f"The prompt and image CSVs were {csvs}; the images were {where}."


def _rows(prompts: list[Prompt], built: dict[str, BuiltImage], progress: bool
          ) -> Iterator[dict[str, Any]]:
    from tqdm.auto import tqdm

    desc = f"msts {prompts[0].config}" if prompts else "msts"
    for p in tqdm(prompts, unit="row", desc=desc, disable=not progress):
        try:
            hazard = msts_hazard(p.hazard_category)
        except LabelError as exc:
            raise SourceDataError(f"{prompts_file(p.config)}, {p.id}: {exc}") from exc
        image = built.get(p.image_id) if p.image_id is not None else None
        row: dict[str, Any] = {
            "id": p.id, "case_id": p.case_id, "prompt": p.prompt, "prompt_type": p.prompt_type,
            "language": p.language, "hazard_category": hazard,
            "hazard_category_raw": p.hazard_category,
            "hazard_subcategory": p.hazard_subcategory,
            "hazard_subsubcategory": p.hazard_subsubcategory,
            "image": None, "image_id": p.image_id, "image_description": p.image_description,
            "case_text": p.case_text, "prompt_id": p.prompt_id, "image_url": None,
            "image_licence": None, "content_warning": None, "image_sha256": None,
            "image_source": None,
        }
        if image is not None:  # none in en_textonly
            row["image"], row["image_sha256"] = image.row_image()
            row.update(image_url=image.info.url, image_licence=image.info.licence,
                       content_warning=image.info.content_warning,
                       image_source="original" if image.path is not None else "placeholder")
        yield row
