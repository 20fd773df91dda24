"""Dataset-card templates: markdown with ``${name}`` placeholders, one per builder.

Each builder keeps its card's prose in a template beside its code (``card.md`` in its suite's
builder package, shipped as package data) and fills it with the figures of one build
(:class:`string.Template`, so the braces of BibTeX and of id patterns stay as written).

Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "card.md"
    >>> _ = path.write_text("# ${pretty_name} {braces stay}", encoding="utf-8")
    >>> load_template(path).substitute(pretty_name="Toy")
    '# Toy {braces stay}'
"""

from __future__ import annotations

import os
from pathlib import Path
from string import Template

__all__ = ["load_template"]


def load_template(path: str | os.PathLike[str]) -> Template:
    """The card template at ``path``.

    Raises:
        FileNotFoundError: no such file.
    """
    return Template(Path(path).read_text(encoding="utf-8"))
