"""The MOSSBench dataset card: ``suites/mossbench/builder/card.md`` filled for one build.

Example:
    >>> from vlmsafety.suites.mossbench.builder.source import read_information
    >>> from vlmsafety.suites.mossbench.builder.schema import INFORMATION_COLUMNS
    >>> head = ",".join(INFORMATION_COLUMNS)
    >>> recs = read_information(f"{head}\\n1,Q?,images/1.png,s,,Negated Harm,1,0,0,1,7\\n".encode(),
    ...                         require_all=False)
    >>> body = card_body(recs, {1: "ab"}, Counter(original=1), placeholders=[],
    ...                  placeholder_pids=set(), downloaded=False, pinned=True, info_sha="cd")
    >>> body.splitlines()[0], "| `negated_harm` | Negated Harm | 1 |" in body
    ('# MOSSBench (vlmsafety build)', True)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from vlmsafety.builders.cards import load_template
from vlmsafety.suites.mossbench.builder.schema import (
    BUILDER_VERSION,
    DATASET_VERSION,
    INFORMATION_PATH,
    KNOWN_IMAGE_SHA256,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MIN_IMAGE_SIDE,
    SOURCE_COMMIT,
    SOURCE_REPO,
    MossRecord,
)
from vlmsafety.suites.mossbench.scoring import FLAGS, HARM_CODES, STIMULUS_RAW

__all__ = ["TEMPLATE", "card_body"]

TEMPLATE: Final = Path(__file__).with_name("card.md")
"""The card template (package data beside this module)."""


def _sha_note(pid: int, placeholder: bool) -> str:
    if placeholder:
        return "placeholder (the release's image was missing or unusable)"
    return "known checksum, checked" if pid in KNOWN_IMAGE_SHA256 else ""


def _notes(placeholders: Sequence[str], downloaded: bool, pinned: bool) -> dict[str, str]:
    how = ("downloaded from the pinned commit" if downloaded else
           "read from a local copy of the release")
    pin_note = (f"`{INFORMATION_PATH}` matches its pinned sha256." if pinned else
                f"**Warning: built from an `{INFORMATION_PATH}` that differs from the pinned "
                "release** (`allow_unpinned`).")
    placeholder_note = ""
    if placeholders:
        placeholder_note = (f"\n**{len(placeholders)} image(s) are placeholders** (`image_source` "
                            "= `placeholder`, a grey 64x64 image): those rows cannot be used to "
                            "evaluate a model.\n")
    return {"how": how, "pin_note": pin_note, "placeholder_note": placeholder_note}


def card_body(
    records: Sequence[MossRecord], shas: Mapping[int, str], kinds: Counter[str], *,
    placeholders: Sequence[str], placeholder_pids: set[int], downloaded: bool, pinned: bool,
    info_sha: str,
) -> str:
    """The card's markdown body (everything below the generated YAML header).

    Args:
        records: The rows of ``information.csv``.
        shas: sha256 of every image written, by pid.
        kinds: Images written per ``image_source``.
        placeholders: The problems that placeholders stand in for (one line each).
        placeholder_pids: The pids whose image is a placeholder.
        downloaded: Whether the release was downloaded (else read from a local copy).
        pinned: Whether ``information.csv`` matched its pinned sha256.
        info_sha: The sha256 of the ``information.csv`` read.
    """
    per_stimulus = Counter(r.stimulus for r in records)
    flag_counts = {f: sum(r.flags[f] for r in records) for f in FLAGS}
    harm_counts = Counter(r.harm for r in records)
    return load_template(TEMPLATE).substitute(
        source_repo=SOURCE_REPO,
        source_commit=SOURCE_COMMIT,
        stimulus_rows="\n".join(f"| `{s}` | {raw} | {per_stimulus[s]} |"
                                for raw, s in STIMULUS_RAW.items()),
        n_no_description=sum(not r.description for r in records),
        n_no_short_description=sum(not r.short_description for r in records),
        **{f"n_{flag}": flag_counts[flag] for flag in FLAGS},
        harm_counts=", ".join(f"{h}: {harm_counts[h]}" for h in HARM_CODES),
        information_path=INFORMATION_PATH,
        n_original=kinds["original"],
        n_placeholder=kinds["placeholder"],
        min_side=MIN_IMAGE_SIDE,
        max_side=MAX_IMAGE_SIDE,
        max_mib=MAX_IMAGE_BYTES // (1024 * 1024),
        n_known=len(KNOWN_IMAGE_SHA256),
        information_sha256=info_sha,
        builder_version=BUILDER_VERSION,
        dataset_version=DATASET_VERSION,
        sha_rows="\n".join(f"| {pid} | `{sha}` | {_sha_note(pid, pid in placeholder_pids)} |"
                           for pid, sha in sorted(shas.items())),
        **_notes(placeholders, downloaded, pinned),
    )
