"""``merge_build``: the K part folders of a sharded build joined into the folder one build writes.

Each part names its builder in its manifest (see :mod:`vlmsafety.builders.shards`); the builder's
card merger turns the parts' card states into the card.

Example:
    >>> sorted(MERGERS)
    ['vlmsafety.builders.dual', 'vlmsafety.builders.vsc']
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vlmsafety.builders.dual.build import merge_card as merge_dual_card
from vlmsafety.builders.shards import merge_parts, read_parts
from vlmsafety.builders.vsc.build import merge_card as merge_vsc_card
from vlmsafety.errors import UnknownNameError

__all__ = ["MERGERS", "merge_build"]

MERGERS: dict[str, Callable[[list[dict[str, Any]]], dict[str, Any]]] = {
    "vlmsafety.builders.dual": merge_dual_card,
    "vlmsafety.builders.vsc": merge_vsc_card,
}
"""Card merger per builder module (the ``builder`` field of a part manifest)."""


def merge_build(
    parts: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> Path:
    """Join the part folders of one sharded build (any order) into ``out_dir``.

    The result is byte for byte the folder the same build writes without ``shard``.

    Raises:
        SourceDataError: parts of different builds (the differing fingerprint fields named), a
            part missing or given twice, a folder that is no part.
        OutputExistsError: ``out_dir`` exists (without ``overwrite``) or is one of the parts.
    """
    builder = read_parts(parts)[0][1]["builder"]
    if builder not in MERGERS:
        raise UnknownNameError(f"parts of builder {builder!r} cannot be merged; known builders: "
                               f"{', '.join(sorted(MERGERS))}")
    return merge_parts(parts, out_dir, card=MERGERS[builder], overwrite=overwrite,
                       progress=progress)
