"""``merge_build``: the K part folders of a sharded build joined into the folder one build writes.

Each part names its builder in its manifest (see :mod:`vlmsafety.builders.shards`); the registered
benchmark whose :class:`~vlmsafety.specs.Builder` has that name supplies the card merger that turns
the parts' card states into the card.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vlmsafety.builders.shards import merge_parts, read_parts
from vlmsafety.errors import UnknownNameError

__all__ = ["card_mergers", "merge_build"]


def card_mergers() -> dict[str, Callable[[list[dict[str, Any]]], dict[str, Any]]]:
    """Card merger per builder name (a part manifest's ``builder``), from the registered specs.

    Example:
        >>> "vlmsafety.suites.vsc.builder" in card_mergers()
        True
    """
    from vlmsafety.specs import specs

    return {s.builder.name: s.builder.merge_card for s in specs()
            if s.builder is not None and s.builder.merge_card is not None}


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
        UnknownNameError: no registered builder of the parts' name makes sharded builds.
    """
    builder = read_parts(parts)[0][1]["builder"]
    mergers = card_mergers()
    if builder not in mergers:
        raise UnknownNameError(f"parts of builder {builder!r} cannot be merged; known builders: "
                               f"{', '.join(sorted(mergers))}")
    return merge_parts(parts, out_dir, card=mergers[builder], overwrite=overwrite,
                       progress=progress)
