"""Building the VSCBench Hub folder: rows planned from the records, images resolved, card written.

Example:
    >>> recs = VSCRecords([], [], {}, True)
    >>> list(plan_rows(recs, "text_only"))
    []
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlmsafety.builders.hubfolder import ConfigWriter, HubFolderWriter, check_build_folder
from vlmsafety.builders.parallel import check_num_proc, ordered_map
from vlmsafety.builders.shards import fingerprint, parse_shard, shard_range, write_part
from vlmsafety.errors import (
    InvalidArgumentError,
    SourceDataError,
    UnknownNameError,
)
from vlmsafety.render import RENDER_VERSION
from vlmsafety.storage.checksums import file_sha256
from vlmsafety.suites.vsc.builder.card import card_body, card_facts
from vlmsafety.suites.vsc.builder.images import (
    PLACEHOLDER_CAUSES,
    ImageJob,
    ImageStore,
    resolve_task,
)
from vlmsafety.suites.vsc.builder.schema import (
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
from vlmsafety.suites.vsc.builder.source import (
    DEFAULT_BASE_URL,
    SOURCE_COMMIT,
    SOURCE_REPO,
    XSTEST_COMMIT,
    XSTEST_REPO,
)
from vlmsafety.suites.vsc.builder.workbook import VSCRecords, read_vsc_records

__all__ = ["build_vsc", "merge_card", "plan_rows"]

_BUILDER = "vlmsafety.suites.vsc.builder"


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

    job: ImageJob
    problems: list[str] = field(default_factory=list)
    stats: dict[str, Counter[str]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    placeholder_causes: Counter[str] = field(default_factory=Counter)
    defect_ids: dict[str, dict[str, list[str]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def write_row(self, row: dict[str, Any], config: str, writer: ConfigWriter,
                  resolved: tuple[dict[str, Any] | None, str, list[str], str | None] | None
                  ) -> None:
        """Record the row's defects and image, and write it unless a problem was seen."""
        for code in row["defects"]:
            self.defect_ids[code][config].append(row["id"])
        if resolved is not None:
            setting = row.pop("_setting")
            del row["_render"]
            image, source_kind, problems, cause = resolved
            self.problems += problems
            if cause is not None:
                self.placeholder_causes[cause] += 1
            if image is None:
                return  # the build fails at the end, listing every problem
            self.stats[config][f"{setting}:{source_kind}"] += 1
            row["image"], row["image_source"] = image, source_kind
        if not self.problems:
            writer.write(row)


def _image_task(config_row: tuple[str, dict[str, Any]]) -> tuple[str, str, str | None] | None:
    config, row = config_row
    return (row["image_file"], row["_setting"], row["_render"]) if "image" in FEATURES[config] \
        else None


def _check_arguments(out: Path, image_size: int, overwrite: bool,
                     inputs: tuple[str | os.PathLike[str] | None, ...]) -> None:
    if not isinstance(image_size, int) or image_size < 32:
        raise InvalidArgumentError(f"image_size must be an int >= 32, got {image_size!r}")
    # fail before any download or image work; never replace (or hold) an input
    check_build_folder(out, overwrite=overwrite, inputs=inputs)


def _write_configs(folder: HubFolderWriter, records: VSCRecords, build: _Build, *,
                   progress: bool, num_proc: int, part: tuple[int, int] | None) -> None:
    """Write the rows (of one part) in order; images are resolved in ``num_proc`` workers."""
    from tqdm.auto import tqdm

    planned = [(config, row) for config in CONFIGS for row in plan_rows(records, config)]
    if part is not None:
        r = shard_range(len(planned), *part)
        planned = planned[r.start:r.stop]
    writers = {c: folder.config(c, FEATURES[c]) for c in CONFIGS}
    build.stats = {c: Counter() for c in CONFIGS}
    results = ordered_map(resolve_task, map(_image_task, planned), num_proc=num_proc,
                          context=build.job, chunk_size=16)
    for (config, row), resolved in tqdm(zip(planned, results, strict=True), total=len(planned),
                                        unit="row", desc="vsc", disable=not progress):
        build.write_row(row, config, writers[config], resolved)
    for config, writer in writers.items():
        writer.close()
        build.rows[config] = writer.num_rows


_SHOWN_PROBLEMS = 10
"""Image problems listed by name in the error; the rest are counted (a wrong --images folder
would otherwise print one line per image)."""


def _raise_image_problems(build: _Build, images: Any) -> None:
    if build.problems:
        hint = "pass --placeholders to use placeholders"
        if not build.job.render_missing:
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


def _card_state(records: VSCRecords, build: _Build, images: Any) -> dict[str, Any]:
    """Everything the card needs, JSON-ready: what the rows add up, and the build's facts."""
    return {"facts": card_facts(records), "rows": dict(build.rows),
            "stats": {c: dict(n) for c, n in build.stats.items()},
            "defect_ids": {code: dict(per) for code, per in build.defect_ids.items()},
            "image_size": build.job.size, "placeholders": build.job.placeholders,
            "render_missing": build.job.render_missing,
            "images": None if images is None else Path(images).name,
            "placeholder_causes": dict(build.placeholder_causes)}


def _card(state: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``write_card`` from a build's (or merged parts') card state."""
    facts, rows = state["facts"], state["rows"]
    body = card_body(facts, rows=rows, stats={c: Counter(n) for c, n in state["stats"].items()},
                     defect_ids=state["defect_ids"], image_size=state["image_size"],
                     images=state["images"], placeholders=state["placeholders"],
                     render_missing=state["render_missing"])
    return {
        "body": body, "version": DATASET_VERSION, "default_config": "image_centric",
        "pretty_name": "VSCBench", "license": "other", "language": ["en"],
        "task_categories": ["visual-question-answering"],
        "tags": ["safety", "over-refusal", "safety-calibration", "vision-language", "vscbench",
              "xstest"],
        "size_categories": [_size_category(max(rows.values()))],
        "source_datasets": [f"https://github.com/{SOURCE_REPO}/tree/{SOURCE_COMMIT}",
                         f"https://github.com/{XSTEST_REPO}/tree/{XSTEST_COMMIT}"],
        "builder": {"name": _BUILDER, "version": BUILDER_VERSION,
                 "render_version": RENDER_VERSION, "source_commit": SOURCE_COMMIT,
                 "input_sha256": facts["sha256"], "pinned_inputs": facts["pinned"],
                 "images": {"total": sum(sum(c.values()) for c in state["stats"].values()),
                            "placeholder": {c: state["placeholder_causes"].get(c, 0)
                                            for c in PLACEHOLDER_CAUSES}}},
    }


def merge_card(states: list[dict[str, Any]]) -> dict[str, Any]:
    """The card of a sharded VSCBench build: the parts' counts added up, row ids concatenated."""
    merged = {k: v for k, v in states[0].items()
              if k not in ("rows", "stats", "defect_ids", "placeholder_causes")}
    rows: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    stats: dict[str, Counter[str]] = defaultdict(Counter)
    defect_ids: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for state in states:
        if {k: v for k, v in state.items() if k in merged} != merged:
            raise SourceDataError("the parts' card facts differ although their fingerprints agree")
        rows.update(state["rows"])
        causes.update(state.get("placeholder_causes", {}))
        for config, counts in state["stats"].items():
            stats[config].update(counts)
        for code, per in state["defect_ids"].items():
            for config, ids in per.items():
                defect_ids[code][config] += ids
    return _card({**merged, "rows": {c: rows[c] for c in CONFIGS}, "stats": stats,
                  "defect_ids": defect_ids, "placeholder_causes": dict(causes)})


def _images_sha256(images: str | os.PathLike[str] | None) -> str | None:
    """sha256 of the zip, or of a folder's file names and contents (sorted)."""
    if images is None:
        return None
    path = Path(images)
    if path.is_file():
        return file_sha256(path)
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(path).as_posix()}\0{file_sha256(f)}\n".encode())
    return h.hexdigest()


def _no_images(records: VSCRecords, render_missing: bool) -> None:
    """Refuse a build with neither an image archive nor placeholders, naming what is needed."""
    n_images = 6 * len(records.image_centric) + 4 * len(records.text_centric)
    raise SourceDataError(
        f"no image archive given: {n_images} images are needed; pass --images "
        "(folder or zip of the release), or --placeholders"
        + ("" if render_missing else " (with --render-missing for typography/FigStep)"))


def _write_part(folder: HubFolderWriter, part: Any, state: dict[str, Any], images: Any) -> None:
    """A shard's part files: its card state and the fingerprint that merge checks."""
    settings = {k: state[k] for k in ("image_size", "placeholders", "render_missing", "images")}
    sources = {**state["facts"]["sha256"], "images": _images_sha256(images)}
    write_part(folder, builder=_BUILDER, shard=part, card=state,
               fingerprint=fingerprint(_BUILDER, settings=settings, seed=None, sources=sources,
                                       builder_version=BUILDER_VERSION))


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
    num_proc: int = 1,
    shard: str | tuple[int, int] | None = None,
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
        num_proc: Worker processes that read and decode (check) the images, or render them
            (1: none). The output does not depend on it.
        shard: ``"I/K"``: write only the I-th of K contiguous parts of the rows into a part
            folder, to be joined by :func:`vlmsafety.builders.merge.merge_build`.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.

    Raises:
        SourceDataError: bad inputs; missing or corrupt images (one error listing them all)
            unless ``placeholders``/``render_missing`` cover them.
    """
    out = Path(out_dir)
    inputs = (source, images, xstest)
    num_proc = check_num_proc(num_proc)
    part = None if shard is None else parse_shard(shard)
    _check_arguments(out, image_size, overwrite, inputs)
    records = read_vsc_records(source, xstest=xstest, base_url=base_url, timeout=timeout,
                               allow_unpinned=allow_unpinned)
    if images is None and not placeholders:
        _no_images(records, render_missing)
    store = ImageStore(Path(images) if images is not None else None)
    build = _Build(ImageJob(store, placeholders=placeholders, render_missing=render_missing,
                            size=image_size))
    try:
        with HubFolderWriter(out, overwrite=overwrite, inputs=inputs) as folder:
            _write_configs(folder, records, build, progress=progress, num_proc=num_proc,
                           part=part)
            _raise_image_problems(build, images)
            state = _card_state(records, build, images)
            if part is None:
                folder.write_card(**_card(state))
            else:
                _write_part(folder, part, state, images)
    finally:
        store.close()
    return out
