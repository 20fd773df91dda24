"""Building the DUAL-Bench Hub folder: rows planned per item, images rendered or read and
perturbed one at a time, the card written.

Example:
    >>> from vlmsafety.builders.dual import sample_items
    >>> [r["id"] for r in plan_rows(sample_items()[:1], configs=["clean"])]
    ['violent_crimes-01-harmful']
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from vlmsafety.builders.dual.card import card_body
from vlmsafety.builders.dual.images import (
    check_legible,
    load_release_image,
    render_instruction,
)
from vlmsafety.builders.dual.inputs import (
    read_instruction_list,
    read_release_manifest,
    sample_items,
    validate_items,
)
from vlmsafety.builders.dual.schema import (
    CLEAN,
    CONFIGS,
    DEFAULT_IMAGE_SIZE,
    DUAL_DATASET_VERSION,
    DUAL_FEATURES,
    SAMPLE_IMAGE_SIZE,
    SAMPLE_PERTURBATIONS,
    SAMPLE_SEVERITIES,
    DualItem,
    perturbed_id,
)
from vlmsafety.builders.hubfolder import ConfigWriter, HubFolderWriter
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
from vlmsafety.storage.images import png_bytes

__all__ = [
    "PNG_COMPRESS_LEVEL",
    "build_dual",
    "build_from_instructions",
    "build_from_release",
    "build_sample",
    "plan_rows",
]

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
        [('clean', 'violent_crimes-01-harmful', 0), ('perturbed', 'violent_crimes-01-harmful-jpeg-s1', 1), ('perturbed', 'violent_crimes-01-harmful-jpeg-s5', 5)]
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


def _write_item(
    item: DualItem, writers: dict[str, ConfigWriter], *, perturbations: Sequence[str],
    severities: Sequence[int], image_size: tuple[int, int], seed: int,
    max_image_pixels: int | None,
) -> None:
    """Write one item's clean row and its perturbed rows (images made one at a time)."""
    if item.image is not None:
        raw, pixels = load_release_image(item, max_image_pixels)
        clean_image: dict[str, Any] = {"bytes": raw, "path": item.image.name}
    else:
        pixels = render_instruction(item, image_size)
        clean_image = {"bytes": png_bytes(pixels, compress_level=PNG_COMPRESS_LEVEL),
                       "path": f"{item.id}.png"}
    for meta in plan_rows([item], perturbations=perturbations, severities=severities,
                          configs=tuple(writers)):
        config = meta.pop("config")
        if config == "clean":
            meta["image"] = clean_image
        else:
            img = perturb(pixels, meta["perturbation"], meta["severity"], seed=seed)
            meta["image"] = {"bytes": png_bytes(img, compress_level=PNG_COMPRESS_LEVEL),
                             "path": f"{meta['id']}.png"}
        writers[config].write(meta)


def build_dual(
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
) -> Path:
    """Write validated items as a Hub-ready folder (configs ``clean`` and/or ``perturbed``).

    Items with an ``image`` path take their image from that file (the clean row keeps the original
    bytes); the others are rendered from ``instruction`` at ``image_size``. Perturbed images are
    made one at a time while writing and stored as PNG.

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

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    from tqdm.auto import tqdm

    items = validate_items(items, allow_unpaired=True)  # pairing was checked when reading
    names, sevs, cfgs = _check_options(perturbations, severities, configs)
    check_legible(items, image_size)
    if "perturbed" in cfgs:
        _check_no_id_collision(items, names, sevs[0])
    out = Path(out_dir)
    with HubFolderWriter(out, overwrite=overwrite) as folder:
        writers = {c: folder.config(c, DUAL_FEATURES) for c in cfgs}
        for item in tqdm(items, desc=f"dual -> {out.name}", unit="item", disable=not progress):
            _write_item(item, writers, perturbations=names, severities=sevs,
                        image_size=image_size, seed=seed, max_image_pixels=max_image_pixels)
        for w in writers.values():
            w.close()
        counts = {c: w.num_rows for c, w in writers.items()}
        body = card_body(items, counts=counts, perturbations=names, severities=sevs,
                         image_size=image_size, seed=seed, pretty_name=pretty_name,
                         license=license, source_note=source_note,
                         rendered=any(i.image is None for i in items))
        folder.write_card(
            body=body,
            version=DUAL_DATASET_VERSION,
            default_config="clean" if "clean" in cfgs else cfgs[0],
            pretty_name=pretty_name,
            license=license,
            language=["en"],
            task_categories=["visual-question-answering"],
            tags=["safety", "over-refusal", "safe-completion", "vision-language", "dual-bench"],
            size_categories=[_size_category(sum(counts.values()))],
        )
    return out


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
) -> Path:
    """Build the embedded sample (48 items, 12 categories) as a Hub-ready folder.

    With the defaults: ``clean`` has 48 rows and ``perturbed`` 48 × 5 × 3 = 720 rows; the row ids
    match ``vlmsafety/data/dual_sample_responses*.jsonl`` (the demo's canned responses).
    """
    return build_dual(
        sample_items(),
        out_dir,
        perturbations=perturbations,
        severities=severities,
        image_size=image_size,
        overwrite=overwrite,
        progress=progress,
        pretty_name="DUAL-Bench sample (vlmsafety)",
        license="apache-2.0",
        source_note=(
            "The 24 instruction pairs were written by the vlmsafety project to exercise the "
            "software. They are worded mildly and non-operationally; this is **not** a hazard set "
            "and not the DUAL-Bench data."
        ),
    )
