"""Building the DUAL-Bench Hub folder: rows planned per item, images rendered or read and
perturbed one at a time, the card written.

Example:
    >>> from vlmsafety.suites.dual.builder import sample_items
    >>> [r["id"] for r in plan_rows(sample_items()[:1], configs=["clean"])]
    ['violent_crimes-01-harmful']
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from vlmsafety.builders.hubfolder import HubFolderWriter
from vlmsafety.builders.parallel import check_num_proc, ordered_map
from vlmsafety.builders.shards import fingerprint, parse_shard, shard_range, write_part
from vlmsafety.errors import (
    InvalidArgumentError,
    SourceDataError,
    UnknownNameError,
)
from vlmsafety.perturb import (
    PERTURBATIONS,
    PerturbationError,
    check_perturbations,
    check_severities,
    list_perturbations,
    perturb,
)
from vlmsafety.storage.checksums import bytes_sha256, file_sha256
from vlmsafety.storage.images import png_bytes
from vlmsafety.suites.dual.builder.card import card_body
from vlmsafety.suites.dual.builder.images import (
    check_legible,
    load_release_image,
    render_instruction,
)
from vlmsafety.suites.dual.builder.inputs import (
    read_instruction_list,
    read_release_manifest,
    sample_items,
    validate_items,
)
from vlmsafety.suites.dual.builder.schema import (
    CLEAN,
    CONFIGS,
    DEFAULT_IMAGE_SIZE,
    DUAL_BUILDER_VERSION,
    DUAL_DATASET_VERSION,
    DUAL_FEATURES,
    SAMPLE_IMAGE_SIZE,
    SAMPLE_PERTURBATIONS,
    SAMPLE_SEVERITIES,
    DualItem,
    perturbed_id,
)

__all__ = [
    "PNG_COMPRESS_LEVEL",
    "build_dual",
    "build_from_instructions",
    "build_from_release",
    "build_sample",
    "merge_card",
    "plan_rows",
]

_BUILDER: Final = "vlmsafety.suites.dual.builder"

PNG_COMPRESS_LEVEL: Final = 1
"""zlib level of rendered and perturbed images: noise images encode 5x faster than at the
default level for about 10% more bytes, and parquet compresses again."""


def plan_rows(
    items: Sequence[DualItem],
    *,
    perturbations: Sequence[str] = (),
    severities: Sequence[int] = (),
    configs: Sequence[str] = CONFIGS,
) -> Iterator[dict[str, Any]]:
    """Every row's metadata (no image) in build order, with an extra ``config`` key.

    Example:
        >>> rows = list(plan_rows(sample_items()[:1], perturbations=["jpeg"], severities=[1, 5]))
        >>> [(r["config"], r["id"], r["severity"]) for r in rows]
        [('clean', 'violent_crimes-01-harmful', 0), ('perturbed',
        'violent_crimes-01-harmful-jpeg-s1', 1), ('perturbed', 'violent_crimes-01-harmful-jpeg-s5',
        5)]
    """
    for item in items:
        base = {
            "pair_id": item.pair_id,
            "category": item.category,
            "instruction_type": item.instruction_type,
            "instruction": item.instruction,
            "prompt": item.prompt,
            "source_id": item.id,
        }
        if "clean" in configs:
            yield {"config": "clean", "id": item.id, **base, "perturbation": CLEAN, "severity": 0}
        if "perturbed" in configs:
            for name in perturbations:
                for sev in severities:
                    yield {"config": "perturbed", "id": perturbed_id(item.id, name, sev), **base,
                           "perturbation": name, "severity": sev}


def _check_options(
    perturbations: Sequence[str], severities: Sequence[int], configs: Sequence[str]
) -> tuple[tuple[str, ...], tuple[int, ...], tuple[str, ...]]:
    bad = [c for c in configs if c not in CONFIGS]
    if bad or not configs:
        raise UnknownNameError(
            f"unknown configs {bad or list(configs)}; allowed: {', '.join(CONFIGS)}")
    try:
        names = check_perturbations(perturbations)
        sevs = check_severities(severities) if "perturbed" in configs else tuple(severities)
    except PerturbationError as exc:
        raise SourceDataError(str(exc)) from None
    if "perturbed" in configs and not names:
        raise InvalidArgumentError(
            "config 'perturbed' needs at least one perturbation; allowed: "
            + ", ".join(list_perturbations())
        )
    return names, sevs, tuple(c for c in CONFIGS if c in configs)


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def _check_no_id_collision(items: Sequence[DualItem], names: Sequence[str], severity: int) -> None:
    clean_ids = {i.id for i in items}
    for item in items:
        for name in names:
            pid = perturbed_id(item.id, name, severity)
            if pid in clean_ids:
                raise SourceDataError(
                    f"{item.where}: perturbed id {pid!r} collides with a clean id")


@dataclass(frozen=True)
class _ImageJob:
    """What a worker needs to make an item's images (sent once to each worker)."""

    perturbations: tuple[str, ...]
    severities: tuple[int, ...]
    configs: tuple[str, ...]
    image_size: tuple[int, int]
    seed: int
    max_image_pixels: int | None


def _item_rows(job: _ImageJob, item: DualItem) -> list[tuple[str, dict[str, Any]]]:
    """One item's clean row and its perturbed rows with their images (run in a worker)."""
    if item.image is not None:
        raw, pixels = load_release_image(item, job.max_image_pixels)
        clean_image: dict[str, Any] = {"bytes": raw, "path": item.image.name}
    else:
        pixels = render_instruction(item, job.image_size)
        clean_image = {"bytes": png_bytes(pixels, compress_level=PNG_COMPRESS_LEVEL),
                       "path": f"{item.id}.png"}
    rows = []
    for meta in plan_rows([item], perturbations=job.perturbations, severities=job.severities,
                          configs=job.configs):
        config = meta.pop("config")
        if config == "clean":
            meta["image"] = clean_image
        else:
            img = perturb(pixels, meta["perturbation"], meta["severity"], seed=job.seed)
            meta["image"] = {"bytes": png_bytes(img, compress_level=PNG_COMPRESS_LEVEL),
                             "path": f"{meta['id']}.png"}
        rows.append((config, meta))
    return rows


def _sources(items: Sequence[DualItem]) -> dict[str, str]:
    """Checksums of the items (every field) and of the release images they read."""
    listing = [[i.id, i.pair_id, i.category, i.instruction_type, i.instruction, i.prompt,
                i.unpaired, None if i.image is None else i.image.name] for i in items]
    images = hashlib.sha256()
    for i in items:
        if i.image is not None:
            images.update(f"{i.id}\0{file_sha256(i.image)}\n".encode())
    return {"items_sha256": bytes_sha256(json.dumps(listing).encode()),
            "images_sha256": images.hexdigest()}


def _card(items: Sequence[DualItem], job: _ImageJob, *, pretty_name: str, license: str,
          source_note: str) -> dict[str, Any]:
    """The keyword arguments of ``write_card`` for the whole build (rows counted from the plan)."""
    counts = dict.fromkeys(job.configs, 0)
    for meta in plan_rows(items, perturbations=job.perturbations, severities=job.severities,
                          configs=job.configs):
        counts[meta["config"]] += 1
    body = card_body(items, counts=counts, perturbations=job.perturbations,
                     severities=job.severities, image_size=job.image_size, seed=job.seed,
                     pretty_name=pretty_name, license=license, source_note=source_note,
                     rendered=any(i.image is None for i in items))
    return {"body": body, "version": DUAL_DATASET_VERSION,
            "default_config": "clean" if "clean" in job.configs else job.configs[0],
            "pretty_name": pretty_name, "license": license, "language": ["en"],
            "task_categories": ["visual-question-answering"],
            "tags": ["safety", "over-refusal", "safe-completion", "vision-language", "dual-bench"],
            "size_categories": [_size_category(sum(counts.values()))]}


def merge_card(cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The card of a sharded DUAL build: every part carries the whole build's card."""
    if any(c != cards[0] for c in cards[1:]):
        raise SourceDataError("the parts' cards differ although their fingerprints agree")
    return cards[0]


def build_dual(  # long: the documented options of the public builder, one per line
    items: Sequence[DualItem],
    out_dir: str | os.PathLike[str],
    *,
    perturbations: Sequence[str] = tuple(PERTURBATIONS),
    severities: Sequence[int] = (1, 2, 3, 4, 5),
    configs: Sequence[str] = CONFIGS,
    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE,
    seed: int = 0,
    max_image_pixels: int | None = None,
    overwrite: bool = False,
    pretty_name: str = "DUAL-Bench (vlmsafety build)",
    license: str = "other",
    source_note: str = "",
    progress: bool = True,
    num_proc: int = 1,
    shard: str | tuple[int, int] | None = None,
) -> Path:
    """Write validated items as a Hub-ready folder (configs ``clean`` and/or ``perturbed``).

    Items with an ``image`` path take their image from that file (the clean row keeps the original
    bytes); the others are rendered from ``instruction`` at ``image_size``. Perturbed images are
    made while writing and stored as PNG. The output does not depend on ``num_proc``.

    Args:
        items: Clean items (see :func:`validate_items`).
        out_dir: Output folder; must not exist unless ``overwrite``.
        perturbations: Perturbations of the ``perturbed`` config (default: all).
        severities: Severities of the ``perturbed`` config (default: 1..5).
        configs: Which configs to write.
        image_size: Canvas ``(width, height)`` of rendered instructions.
        seed: Seed passed to :func:`vlmsafety.perturb.perturb`.
        max_image_pixels: Pixel limit of release images (default: Pillow's
            ``Image.MAX_IMAGE_PIXELS``); larger images are an error, not a warning.
        overwrite: Replace an existing ``out_dir``.
        pretty_name: Card title.
        license: Licence id for the card header (e.g. ``"cc-by-4.0"``).
        source_note: Markdown paragraph about where the items come from (goes into the card).
        progress: Show a tqdm progress bar.
        num_proc: Worker processes that render, perturb and encode images (1: none).
        shard: ``"I/K"``: write only the I-th of K contiguous parts of the items into a part
            folder, to be joined by :func:`vlmsafety.builders.merge.merge_build`.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    from tqdm.auto import tqdm

    num_proc = check_num_proc(num_proc)
    part = None if shard is None else parse_shard(shard)
    items = validate_items(items, allow_unpaired=True)  # pairing was checked when reading
    names, sevs, cfgs = _check_options(perturbations, severities, configs)
    check_legible(items, image_size)
    if "perturbed" in cfgs:
        _check_no_id_collision(items, names, sevs[0])
    job = _ImageJob(names, sevs, cfgs, (image_size[0], image_size[1]), seed, max_image_pixels)
    card = _card(items, job, pretty_name=pretty_name, license=license, source_note=source_note)
    todo = items if part is None else items[slice(*_bounds(len(items), part))]
    out = Path(out_dir)
    image_folders = {i.image.parent for i in items if i.image is not None}  # never replaced
    with HubFolderWriter(out, overwrite=overwrite, inputs=image_folders) as folder:
        writers = {c: folder.config(c, DUAL_FEATURES) for c in cfgs}
        results = ordered_map(_item_rows, todo, num_proc=num_proc, context=job)
        for rows in tqdm(results, total=len(todo), desc=f"dual -> {out.name}", unit="item",
                         disable=not progress):
            for config, row in rows:
                writers[config].write(row)
        if part is not None:
            settings = {k: v for k, v in card.items() if k != "body"}
            settings.update(job.__dict__, source_note=source_note)
            write_part(folder, builder=_BUILDER, shard=part, card=card,
                       fingerprint=fingerprint(_BUILDER, settings=settings, seed=seed,
                                               sources=_sources(items),
                                               builder_version=DUAL_BUILDER_VERSION))
            return out
        for w in writers.values():
            w.close()
        folder.write_card(**card)
    return out


def _bounds(n: int, part: tuple[int, int]) -> tuple[int, int]:
    r = shard_range(n, *part)
    return r.start, r.stop


def build_from_instructions(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    allow_unpaired: bool = False,
    **options: Any,
) -> Path:
    """Instruction list (CSV/JSONL) -> rendered images -> Hub-ready folder.

    ``options`` are those of :func:`build_dual` (``perturbations``, ``severities``, ``configs``,
    ``image_size``, ``seed``, ``overwrite``, ``license``, ...).
    """
    items = read_instruction_list(path, allow_unpaired=allow_unpaired)
    options.setdefault("source_note", f"Instructions read from `{Path(path).name}` and rendered "
                                      "into images by the builder.")
    return build_dual(items, out_dir, **options)


def build_from_release(
    release_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    manifest: str | None = None,
    allow_unpaired: bool = False,
    max_image_pixels: int | None = None,
    **options: Any,
) -> Path:
    """Release folder (manifest + images) -> Hub-ready folder. ``options`` as in :func:`build_dual`."""
    items = read_release_manifest(release_dir, manifest=manifest, allow_unpaired=allow_unpaired,
                                  max_image_pixels=max_image_pixels)
    options.setdefault("source_note", f"Items and images read from the release folder "
                                      f"`{Path(release_dir).name}`.")
    return build_dual(items, out_dir, max_image_pixels=max_image_pixels, **options)


def build_sample(
    out_dir: str | os.PathLike[str],
    *,
    perturbations: Sequence[str] = SAMPLE_PERTURBATIONS,
    severities: Sequence[int] = SAMPLE_SEVERITIES,
    image_size: tuple[int, int] = SAMPLE_IMAGE_SIZE,
    overwrite: bool = False,
    progress: bool = True,
    num_proc: int = 1,
) -> Path:
    """Build the embedded sample (48 items, 12 categories) as a Hub-ready folder.

    With the defaults: ``clean`` has 48 rows and ``perturbed`` 48 × 5 × 3 = 720 rows; the row ids
    match ``vlmsafety/suites/dual/data/dual_sample_responses*.jsonl`` (the demo's canned responses).
    """
    return build_dual(
        sample_items(),
        out_dir,
        perturbations=perturbations,
        severities=severities,
        image_size=image_size,
        overwrite=overwrite,
        progress=progress,
        num_proc=num_proc,
        pretty_name="DUAL-Bench sample (vlmsafety)",
        license="apache-2.0",
        source_note=(
            "The 24 instruction pairs were written by the vlmsafety project to exercise the "
            "software. They are worded mildly and non-operationally; this is **not** a hazard set "
            "and not the DUAL-Bench data."
        ),
    )
