"""Dataset-card templates shipped as package data in ``vlmsafety/builders/templates/``.

Each builder keeps its card's prose in a markdown template with ``${name}`` placeholders
(:class:`string.Template`, so the braces of BibTeX and of id patterns stay as written) and fills
it with the figures of one build.

Example:
    >>> sorted(p for p in template_names())
    ['dual_card.md', 'mossbench_card.md', 'vsc_card.md']
    >>> "${pretty_name}" in load_template("dual_card.md").template
    True
"""

from __future__ import annotations

from importlib.resources import files
from string import Template
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Traversable

__all__ = ["load_template", "template_names"]


def _folder() -> Traversable:
    return files("vlmsafety.builders").joinpath("templates")


def template_names() -> list[str]:
    """File names of the shipped templates."""
    return sorted(p.name for p in _folder().iterdir() if p.name.endswith(".md"))


def load_template(name: str) -> Template:
    """The card template ``name`` (a file name from :func:`template_names`).

    Raises:
        FileNotFoundError: no template of that name is shipped.
    """
    return Template(_folder().joinpath(name).read_text(encoding="utf-8"))
