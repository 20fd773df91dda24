"""The MSTS dataset card (``card.md`` beside this module, filled for one build) and the build
manifest in its YAML header (``builder``: inputs' sha256, every image's sha256, URL and licence,
and the warnings ``vlmsafety push`` shows).

Example:
    >>> template().template.splitlines()[0]
    '# MSTS (vlmsafety build)'
    >>> _cell("a|b\\nc")
    'a\\\\|b c'
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from typing import Any, Final
from urllib.parse import urlsplit

from vlmsafety.builders.cards import load_template
from vlmsafety.errors import DatasetNotFoundError
from vlmsafety.suites.msts.builder.images import BuiltImage
from vlmsafety.suites.msts.builder.schema import (
    BUILDER_NAME,
    BUILDER_VERSION,
    DATASET_VERSION,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    SOURCE_COMMIT,
    SOURCE_REPO,
    UNCLEAR_LICENCES,
)
from vlmsafety.suites.msts.hazards import MSTS_HAZARD_SLUGS, msts_hazard
from vlmsafety.suites.msts.release import LANGUAGES, SHA256, TEXTONLY_CONFIG, ImageInfo, Prompt

__all__ = ["TEMPLATE", "card_fields", "compare_images", "image_manifest", "push_warnings", "read_image_manifest",
           "template"]


TEMPLATE: Final = Path(__file__).with_name("card.md")
"""The card's template, package data beside this module."""


def template() -> Template:
    """The card's template (:data:`TEMPLATE`)."""
    return load_template(TEMPLATE)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def image_manifest(built: Mapping[str, BuiltImage]) -> dict[str, dict[str, Any]]:
    """Per image id: sha256 (``None`` for a placeholder), source URL, licence, content warning,
    where the bytes came from and, for a placeholder, the problem."""
    out: dict[str, dict[str, Any]] = {}
    for image_id, b in built.items():
        entry: dict[str, Any] = {"sha256": b.sha256, "url": b.info.url,
                                 "licence": b.info.licence,
                                 "content_warning": b.info.content_warning,
                                 "fetched_from": b.fetched_from}
        if b.problem is not None:
            entry["problem"] = b.problem
        out[image_id] = entry
    return out


def read_image_manifest(folder: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The image manifest of a built folder (its card's ``builder.image_manifest``).

    Raises:
        DatasetNotFoundError: no README.md, or one without an MSTS image manifest.
    """
    from huggingface_hub import DatasetCard

    readme = Path(folder) / "README.md"
    if not readme.is_file():
        raise DatasetNotFoundError(f"{readme}: no such file (a folder built by build msts)")
    builder = DatasetCard.load(readme).data.to_dict().get("builder") or {}
    manifest = builder.get("image_manifest") if isinstance(builder, dict) else None
    if not isinstance(manifest, dict):
        raise DatasetNotFoundError(f"{readme}: no builder.image_manifest in its YAML header "
                                   "(not a folder built by `vlmsafety build msts`)")
    return manifest


def compare_images(a: str | os.PathLike[str], b: str | os.PathLike[str]
                   ) -> dict[str, tuple[str | None, str | None]]:
    """The images whose bytes differ between two builds: image id -> (sha256 in ``a``, in ``b``);
    ``None`` for a placeholder or an image the build does not have.

    Example:
        >>> import tempfile, pathlib
        >>> def folder(sha):
        ...     d = pathlib.Path(tempfile.mkdtemp())
        ...     _ = (d / "README.md").write_text("---\\nbuilder:\\n  image_manifest:\\n"
        ...         f"    img_1:\\n      sha256: {sha}\\n---\\n", encoding="utf-8")
        ...     return d
        >>> compare_images(folder("aa"), folder("aa")), compare_images(folder("aa"), folder("bb"))
        ({}, {'img_1': ('aa', 'bb')})
    """
    left, right = read_image_manifest(a), read_image_manifest(b)
    out: dict[str, tuple[str | None, str | None]] = {}
    for image_id in sorted(set(left) | set(right)):
        sha_a = (left.get(image_id) or {}).get("sha256")
        sha_b = (right.get(image_id) or {}).get("sha256")
        if sha_a != sha_b or sha_a is None:
            out[image_id] = (sha_a, sha_b)
    return out


def push_warnings(built: Mapping[str, BuiltImage]) -> list[str]:
    """What ``vlmsafety push`` must show: images whose licence may not allow redistribution."""
    unclear = [b.info for b in built.values() if b.info.licence in UNCLEAR_LICENCES]
    if not unclear:
        return []
    counts = Counter(i.licence for i in unclear)
    return [f"{len(unclear)} image(s) carry a licence that may not allow redistribution ("
            + ", ".join(f"{n} {lic!r}" for lic, n in sorted(counts.items())) + "): "
            + ", ".join(i.image_id for i in unclear)
            + "; check their terms before publishing, or rebuild without them"]


def _config_rows(rows: Mapping[str, int], prompts: Mapping[str, Sequence[Prompt]]) -> str:
    lines = []
    for config, n in rows.items():
        kinds = Counter(p.prompt_type for p in prompts[config])
        textonly = config == TEXTONLY_CONFIG
        name = LANGUAGES.get(config, LANGUAGES["en"]).capitalize()
        lines.append(f"| `{config}` | {name} | {n} | "
                     + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
                     + f" | {'none (described in the prompt)' if textonly else 'yes'} |")
    return "\n".join(lines)


def _hazard_rows(prompts: Mapping[str, Sequence[Prompt]]) -> str:
    cases: dict[str, set[str]] = {}
    raw: dict[str, str] = {}
    for rows in prompts.values():
        for p in rows:
            slug = msts_hazard(p.hazard_category)
            cases.setdefault(slug, set()).add(p.case_id)
            raw[slug] = p.hazard_category
    return "\n".join(f"| `{s}` | {raw[s]} | {len(cases[s])} |" for s in MSTS_HAZARD_SLUGS
                     if s in cases)


def _image_fields(built: Mapping[str, BuiltImage]) -> dict[str, Any]:
    infos = [b.info for b in built.values()]
    warned = Counter(i.content_warning for i in infos if i.content_warning not in ("", "NA"))
    licences = Counter(i.licence for i in infos)
    unclear = {lic: n for lic, n in licences.items() if lic in UNCLEAR_LICENCES}
    unclear_note = (
        "**" + ", ".join(f"{n} image(s) under {lic!r}" for lic, n in sorted(unclear.items()))
        + " may not allow redistribution** (`vlmsafety push` warns about them); check their "
        "terms before publishing." if unclear else "")
    image_rows = [
        f"| `{b.info.image_id}` | {_cell(b.info.description)} | {_cell(b.info.licence)} | "
        f"{_cell(b.info.content_warning)} | "
        + (f"`{b.sha256}`" if b.sha256 else f"placeholder ({_cell(b.problem or '')})")
        + f" | <{b.info.url}> |" for b in built.values()]
    placeholders = [b for b in built.values() if b.path is None]
    placeholder_note = (
        f"\n**{len(placeholders)} image(s) are placeholders** (`image_source` = `placeholder`, a "
        "grey 64x64 image; the problem of each is in the table below): those rows cannot be used "
        "to evaluate a model.\n" if placeholders else "")
    return {
        "n_images": len(infos), "n_warned": sum(warned.values()),
        "warning_counts": ", ".join(f"{w} {n}" for w, n in warned.most_common()) or "none",
        "n_wikimedia": sum(urlsplit(i.url).hostname == "upload.wikimedia.org" for i in infos),
        "licence_rows": "\n".join(f"| {_cell(lic)} | {n} |" for lic, n in licences.most_common()),
        "unclear_note": unclear_note, "image_rows": "\n".join(image_rows),
        "n_original": len(infos) - len(placeholders), "n_placeholder": len(placeholders),
        "placeholder_note": placeholder_note,
    }


def card_fields(rows: Mapping[str, int], prompts: Mapping[str, Sequence[Prompt]],
                infos: Mapping[str, ImageInfo], built: Mapping[str, BuiltImage], *,
                input_sha: Mapping[str, str], how: str, max_bytes: int = MAX_IMAGE_BYTES
                ) -> dict[str, Any]:
    """The arguments of :meth:`~vlmsafety.builders.hubfolder.HubFolderWriter.write_card`.

    ``infos`` are all the release's images; ``built`` those the built configs show.
    """
    pinned = all(SHA256.get(path) == sha for path, sha in input_sha.items())
    pin_note = ("Every input CSV matches its pinned sha256." if pinned else
                "**Warning: built from input files that differ from the pinned release** "
                "(`--allow-unpinned`).")
    body = template().substitute(
        how=how, source_repo=SOURCE_REPO, source_commit=SOURCE_COMMIT,
        config_rows=_config_rows(rows, prompts), hazard_rows=_hazard_rows(prompts),
        pin_note=pin_note, min_side=MIN_IMAGE_SIDE, max_side=MAX_IMAGE_SIDE,
        max_mib=f"{max_bytes / (1024 * 1024):g}",
        input_rows="\n".join(f"| `{p}` | `{s}` |" for p, s in sorted(input_sha.items())),
        builder_name=BUILDER_NAME, builder_version=BUILDER_VERSION,
        dataset_version=DATASET_VERSION, **_image_fields(built))
    placeholders = Counter(b.cause for b in built.values() if b.path is None)
    languages = sorted({p.language for ps in prompts.values() for p in ps})
    return {
        "body": body, "version": DATASET_VERSION, "default_config": next(iter(rows), None),
        "pretty_name": "MSTS", "license": "cc-by-4.0", "language": languages,
        "task_categories": ["visual-question-answering"],
        "tags": ["safety", "vision-language", "multilingual", "msts", "red-teaming"],
        "size_categories": ["1K<n<10K"],
        "source_datasets": [f"https://github.com/{SOURCE_REPO}/tree/{SOURCE_COMMIT}"],
        "builder": {"name": BUILDER_NAME, "version": BUILDER_VERSION,
                    "source_commit": SOURCE_COMMIT, "input_sha256": dict(input_sha),
                    "pinned_inputs": pinned, "release_images": len(infos),
                    "images": {"total": len(built), "placeholder": dict(placeholders)},
                    "image_manifest": image_manifest(built),
                    "push_warnings": push_warnings(built)},
    }
