"""Building the VSCBench Hub folder: rows planned from the records, images resolved, card written.

Example:
    >>> recs = VSCRecords([], [], {}, True)
    >>> list(plan_rows(recs, "text_only"))
    []
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlmsafety.builders.hubfolder import ConfigWriter, HubFolderWriter
from vlmsafety.builders.vsc.card import card_body
from vlmsafety.builders.vsc.images import PLACEHOLDER_CAUSES, ImageStore, resolve_image
from vlmsafety.builders.vsc.schema import (
    BUILDER_VERSION,
    CONFIGS,
    DATASET_VERSION,
    DEFAULT_IMAGE_SIZE,
    FEATURES,
    FIGSTEP_INSTRUCTION,
    IMAGE_FOLDERS,
    ITEM_LABELS,
    SETTINGS,
    image_centric_id,
    pair_id,
    text_centric_id,
)
from vlmsafety.builders.vsc.source import (
    DEFAULT_BASE_URL,
    SOURCE_COMMIT,
    SOURCE_REPO,
    XSTEST_COMMIT,
    XSTEST_REPO,
)
from vlmsafety.builders.vsc.workbook import VSCRecords, read_vsc_records
from vlmsafety.errors import (
    InvalidArgumentError,
    SourceDataError,
    UnknownNameError,
)
from vlmsafety.render import RENDER_VERSION
from vlmsafety.storage.files import check_output_folder

__all__ = ["build_vsc", "plan_rows"]


def plan_rows(records: VSCRecords, config: str) -> Iterator[dict[str, Any]]:
    """Yield the rows of one config without images (``image_file`` names the archive path).

    Image rows carry the private keys ``_setting`` and ``_render`` (the text a typography or FigStep
    image shows), which the builder pops before writing.

    Example:
        >>> recs = VSCRecords([], [], {}, True)
        >>> list(plan_rows(recs, "text_only"))
        []
        >>> list(plan_rows(recs, "train"))
        Traceback (most recent call last):
        ...
        vlmsafety.errors.UnknownNameError: unknown config 'train'; allowed: 'image_centric', 'text_centric', 'text_only'
    """
    if config not in CONFIGS:
        raise UnknownNameError(
            f"unknown config {config!r}; allowed: {', '.join(map(repr, CONFIGS))}")
    if config == "image_centric":
        yield from _image_centric_rows(records)
    else:
        yield from _text_rows(records, config)


def _image_centric_rows(records: VSCRecords) -> Iterator[dict[str, Any]]:
    folder = IMAGE_FOLDERS["image_centric"]
    for ic in records.image_centric:
        for lab in ITEM_LABELS:
            for k, file in enumerate(ic.images[lab]):
                yield {
                    "id": image_centric_id(ic.number, lab, k), "prompt_id": ic.prompt_id,
                    "pair_id": pair_id(ic.number, k), "pair_index": k,
                    "source_row": ic.number + 1, "category": ic.category,
                    "category_raw": ic.category_raw, "label": lab, "prompt": ic.prompt,
                    "prompt_raw": ic.prompt_raw,
                    "image_file": f"{folder}/{ic.category_raw}/{file}",
                    "defects": list(ic.defects.get((lab, k), ())),
                    "_setting": "image_centric", "_render": None,
                }


def _text_rows(records: VSCRecords, config: str) -> Iterator[dict[str, Any]]:
    """Rows of ``text_only`` (one per query) or ``text_centric`` (one per query and setting)."""
    for rec in records.text_centric:
        common = {
            "query_id": rec.query_id, "xstest_id": rec.xstest_id, "source_row": rec.xstest_id + 1,
            "label": rec.label, "xstest_type": rec.xstest_type, "focus": rec.focus,
        }
        if config == "text_only":
            yield {"id": text_centric_id(rec.xstest_id, "text"), **common,
                   "prompt": rec.prompt_origin, "prompt_raw": rec.prompt_origin_raw,
                   "defects": list(rec.defects["text"])}
            continue
        for s in SETTINGS:
            figstep = s == "figstep"
            yield {
                "id": text_centric_id(rec.xstest_id, s), **common, "setting": s,
                "object": rec.object,
                "prompt": FIGSTEP_INSTRUCTION if figstep else rec.prompt_mm,
                "prompt_raw": FIGSTEP_INSTRUCTION if figstep else rec.prompt_mm_raw,
                "prompt_origin": rec.prompt_origin, "prompt_origin_raw": rec.prompt_origin_raw,
                "prompt_figstep": rec.prompt_figstep,
                "image_file": f"{IMAGE_FOLDERS['text_centric']}/{s}/{rec.images[s]}",
                "defects": list(rec.defects[s]),
                "_setting": s,
                "_render": rec.object if s == "typography" else
                           (f"{rec.prompt_figstep}\n1.\n2.\n3." if figstep else None),
            }


def _size_category(n: int) -> str:
    return "n<1K" if n < 1_000 else "1K<n<10K" if n < 10_000 else "10K<n<100K"


@dataclass
class _Build:
    """What one build needs while writing rows, and what it has counted for the card."""

    store: ImageStore
    placeholders: bool
    render_missing: bool
    image_size: int
    problems: list[str] = field(default_factory=list)
    stats: dict[str, Counter[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    placeholder_causes: Counter[str] = field(default_factory=Counter)
    defect_ids: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def write_row(self, row: dict[str, Any], config: str, writer: ConfigWriter,
                  counts: Counter[str]) -> None:
        """Record the row's defects, resolve its image, and write it unless a problem was seen."""
        for code in row["defects"]:
            self.defect_ids[code][config].append(row["id"])
        if "image" in FEATURES[config]:
            setting, text = row.pop("_setting"), row.pop("_render")
            image, source_kind = resolve_image(
                self.store, row["image_file"], setting, text, self.problems,
                placeholders=self.placeholders, render_missing=self.render_missing,
                size=self.image_size, causes=self.placeholder_causes)
            if image is None:
                return  # the build fails at the end, listing every problem
            counts[f"{setting}:{source_kind}"] += 1
            row["image"], row["image_source"] = image, source_kind
        if not self.problems:
            writer.write(row)


def _check_arguments(out: Path, image_size: int, overwrite: bool,
                     inputs: tuple[str | os.PathLike[str] | None, ...]) -> None:
    if not isinstance(image_size, int) or image_size < 32:
        raise InvalidArgumentError(f"image_size must be an int >= 32, got {image_size!r}")
    # fail before any download or image work; never replace (or hold) an input
    check_output_folder(out, overwrite=overwrite, inputs=inputs)


def _write_configs(folder: HubFolderWriter, records: VSCRecords, build: _Build,
                   progress: bool) -> None:
    from tqdm.auto import tqdm

    for config in CONFIGS:
        counts: Counter[str] = Counter()
        with folder.config(config, FEATURES[config]) as writer:
            total = {"image_centric": 6 * len(records.image_centric),
                     "text_centric": 4 * len(records.text_centric)}.get(
                         config, len(records.text_centric))
            for row in tqdm(plan_rows(records, config), total=total, unit="row",
                            desc=f"vsc {config}", disable=not progress):
                build.write_row(row, config, writer, counts)
        build.stats[config] = counts
        build.rows[config] = writer.num_rows


_SHOWN_PROBLEMS = 10
"""Image problems listed by name in the error; the rest are counted (a wrong --images folder
would otherwise print one line per image)."""


def _raise_image_problems(build: _Build, images: Any) -> None:
    if build.problems:
        hint = "pass --placeholders to use placeholders"
        if not build.render_missing:
            hint += " or --render-missing to re-render typography/FigStep images"
        kinds = Counter(p.split(":", 1)[0].split(" (", 1)[0] for p in build.problems)
        total = sum(sum(c.values()) for c in build.stats.values()) + len(build.problems)
        head = (f"{len(build.problems)} of {total} image(s) missing or unreadable in {images} "
                f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}; {hint})")
        if kinds.get("missing") == total:
            head += ("; none was found: --images must be the release's image folder or zip "
                     "(with vscbench_image_centric_images/ and vscbench_text_centric_images/ "
                     "inside)")
        shown = build.problems[:_SHOWN_PROBLEMS]
        more = len(build.problems) - len(shown)
        raise SourceDataError(head + ":\n  " + "\n  ".join(shown)
                              + (f"\n  ... and {more} more" if more else ""))


def _write_card(folder: HubFolderWriter, records: VSCRecords, build: _Build, images: Any) -> None:
    body = card_body(records, rows=build.rows, stats=build.stats, defect_ids=build.defect_ids,
                     image_size=build.image_size, images=images,
                     placeholders=build.placeholders, render_missing=build.render_missing)
    folder.write_card(
        body=body, version=DATASET_VERSION, default_config="image_centric",
        pretty_name="VSCBench", license="other", language=["en"],
        task_categories=["visual-question-answering"],
        tags=["safety", "over-refusal", "safety-calibration", "vision-language", "vscbench",
              "xstest"],
        size_categories=[_size_category(max(build.rows.values()))],
        source_datasets=[f"https://github.com/{SOURCE_REPO}/tree/{SOURCE_COMMIT}",
                         f"https://github.com/{XSTEST_REPO}/tree/{XSTEST_COMMIT}"],
        builder={"name": "vlmsafety.builders.vsc", "version": BUILDER_VERSION,
                 "render_version": RENDER_VERSION, "source_commit": SOURCE_COMMIT,
                 "input_sha256": dict(sorted(records.sha256.items())),
                 "pinned_inputs": records.pinned,
                 "images": {"total": sum(sum(c.values()) for c in build.stats.values()),
                            "placeholder": {c: build.placeholder_causes[c]
                                            for c in PLACEHOLDER_CAUSES}}},
    )


def build_vsc(
    out_dir: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
    images: str | os.PathLike[str] | None = None,
    xstest: str | os.PathLike[str] | None = None,
    placeholders: bool = False,
    render_missing: bool = False,
    image_size: int = DEFAULT_IMAGE_SIZE,
    overwrite: bool = False,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 60.0,
    allow_unpinned: bool = False,
    progress: bool = True,
) -> Path:
    """Build the VSCBench Hub folder (configs image_centric, text_centric, text_only + card).

    Args:
        out_dir: Output folder; written to a temporary sibling and renamed at the end, so a failed
            build leaves nothing behind.
        source: Folder with the two workbooks (see :func:`read_vsc_records`); ``None`` downloads
            them from the pinned commit and verifies their sha256.
        images: The release's image folder or zip (``vscbench_image_centric_images/...`` and
            ``vscbench_text_centric_images/...`` anywhere inside).
        xstest: XSTest's ``xstest_prompts.csv`` (for the repair of the corrupted row).
        placeholders: Replace missing/corrupt images by a generated grey placeholder
            (``image_source="placeholder"``) instead of failing.
        render_missing: Re-render missing/corrupt typography and FigStep images from the workbook
            text with :func:`vlmsafety.render.render_text` (``image_source="rendered"``).
        image_size: Side in pixels of rendered images and placeholders (default 512).
        overwrite: Replace an existing ``out_dir``.
        base_url: Raw-file host for downloads (tests point it at 127.0.0.1).
        timeout: Seconds per download.
        allow_unpinned: Accept inputs whose sha256 differs from the pinned one.
        progress: Show tqdm progress bars.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.

    Raises:
        SourceDataError: bad inputs; missing or corrupt images (one error listing them all)
            unless ``placeholders``/``render_missing`` cover them.
    """
    out = Path(out_dir)
    inputs = (source, images, xstest)
    _check_arguments(out, image_size, overwrite, inputs)
    records = read_vsc_records(source, xstest=xstest, base_url=base_url, timeout=timeout,
                               allow_unpinned=allow_unpinned)
    store = ImageStore(Path(images) if images is not None else None)
    if images is None and not placeholders:
        store.close()
        n_images = 6 * len(records.image_centric) + 4 * len(records.text_centric)
        raise SourceDataError(
            f"no image archive given: {n_images} images are needed; pass --images "
            "(folder or zip of the release), or --placeholders"
            + ("" if render_missing else " (with --render-missing for typography/FigStep)")
        )
    build = _Build(store, placeholders=placeholders, render_missing=render_missing,
                   image_size=image_size)
    try:
        with HubFolderWriter(out, overwrite=overwrite, inputs=inputs) as folder:
            _write_configs(folder, records, build, progress)
            _raise_image_problems(build, images)
            _write_card(folder, records, build, images)
    finally:
        store.close()
    return out
