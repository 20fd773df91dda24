"""Benchmark plugins: installed packages that register a benchmark through an entry point.

A package declares, in its ``pyproject.toml``::

    [project.entry-points."vlmsafety.benchmarks"]
    my_bench = "my_package.my_bench"        # a module whose import registers the benchmark

(or an object path to a :class:`~vlmsafety.specs.BenchmarkSpec`, registered here).
:mod:`vlmsafety.suites` calls :func:`load_plugins` after registering the built-in suites, so a
plugin's benchmark is in ``vlmsafety build``/``evaluate``/``annotate`` like a built-in one.

Example:
    >>> ENTRY_POINT_GROUP
    'vlmsafety.benchmarks'
"""

from __future__ import annotations

from importlib.metadata import entry_points

from vlmsafety.errors import InvalidArgumentError
from vlmsafety.specs.base import BenchmarkSpec
from vlmsafety.specs.registry import register_benchmark

__all__ = ["ENTRY_POINT_GROUP", "load_plugins"]

ENTRY_POINT_GROUP = "vlmsafety.benchmarks"
"""The entry point group of benchmark plugins (``[project.entry-points."vlmsafety.benchmarks"]``)."""


def load_plugins() -> list[str]:
    """Import every installed benchmark plugin (entry point group :data:`ENTRY_POINT_GROUP`).

    An entry point's object is a module (its import registers the benchmark) or a
    :class:`~vlmsafety.specs.BenchmarkSpec` (registered here).

    Returns:
        The entry points' names, in the order loaded.

    Raises:
        InvalidArgumentError: an entry point's object is neither.
    """
    names = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        obj = ep.load()
        if isinstance(obj, BenchmarkSpec):
            register_benchmark(obj)
        elif not hasattr(obj, "__path__") and not hasattr(obj, "__file__"):
            raise InvalidArgumentError(
                f"benchmark plugin {ep.name!r} ({ep.value}) is neither a module nor a "
                f"BenchmarkSpec but a {type(obj).__name__}")
        names.append(ep.name)
    return names
