"""The benchmarks vlmsafety ships, one folder each, and the loading of benchmark plugins.

Each suite's package assembles its :class:`~vlmsafety.specs.BenchmarkSpec` (``SPEC``) from its
parts; importing this package registers them with :func:`~vlmsafety.specs.register_benchmark`, the
call a benchmark of your own makes, in display order (:data:`BUILTIN`), and then loads every
installed plugin (:mod:`vlmsafety.suites.plugins`). :func:`vlmsafety.specs.get_spec` imports it on
first use; see ``docs/adding-a-benchmark.md``.

Example:
    >>> import vlmsafety.suites
    >>> from vlmsafety.specs import benchmarks
    >>> benchmarks()[:3]
    ('dual', 'vsc', 'mossbench')
"""

from __future__ import annotations

from typing import Final

from vlmsafety.specs.base import BenchmarkSpec
from vlmsafety.specs.registry import register_benchmark
from vlmsafety.suites import dual, mossbench, msts, vsc
from vlmsafety.suites.plugins import ENTRY_POINT_GROUP, load_plugins

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "load_plugins"]

BUILTIN: Final[tuple[BenchmarkSpec, ...]] = (dual.SPEC, vsc.SPEC, mossbench.SPEC, msts.SPEC)
"""The benchmarks vlmsafety ships, in display order."""

for _spec in BUILTIN:
    register_benchmark(_spec)
load_plugins()
