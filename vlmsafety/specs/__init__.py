"""Benchmark specs: the registry every part of vlmsafety reaches a benchmark through.

A benchmark lives in one folder (``vlmsafety/suites/<name>/`` for the built-in ones) whose package
builds a :class:`~vlmsafety.specs.base.BenchmarkSpec` and hands it to :func:`register_benchmark`.
:func:`get_spec` and :func:`benchmarks` load the built-in suites and the installed plugins (entry
point group ``vlmsafety.benchmarks``) on first use; nothing else lists benchmarks.

Example:
    >>> from vlmsafety.specs import benchmarks, get_spec
    >>> benchmarks()[:3]
    ('dual', 'vsc', 'mossbench')
    >>> get_spec("vsc").config_names
    ('image_centric', 'text_centric', 'text_only')
    >>> get_spec("duel")
    Traceback (most recent call last):
    ...
    vlmsafety.errors.UnknownNameError: unknown benchmark 'duel'; allowed: dual, vsc, mossbench...
"""

from __future__ import annotations

from vlmsafety.errors import UnknownNameError
from vlmsafety.specs.base import (
    BenchmarkSpec,
    Builder,
    ConfigSpec,
    Demo,
    Headline,
    MetricModule,
    Outcomes,
    Report,
    Scoring,
    SettingOption,
)
from vlmsafety.specs.registry import register_benchmark, registered

__all__ = [
    "BenchmarkSpec",
    "Builder",
    "ConfigSpec",
    "Demo",
    "Headline",
    "MetricModule",
    "Outcomes",
    "Report",
    "Scoring",
    "SettingOption",
    "benchmarks",
    "get_spec",
    "register_benchmark",
    "specs",
]


def specs() -> tuple[BenchmarkSpec, ...]:
    """Every registered benchmark's spec: the built-in suites first (in their display order),
    then plugins and your own, in the order registered."""
    import vlmsafety.suites  # registers the built-in suites and the plugins, once

    first = [s.name for s in vlmsafety.suites.BUILTIN]
    order = {name: k for k, name in enumerate(first)}
    found = registered()
    return tuple(sorted(found, key=lambda s: (order.get(s.name, len(first)), found.index(s))))


def benchmarks() -> tuple[str, ...]:
    """The registered benchmarks' names, in display order."""
    return tuple(s.name for s in specs())


def get_spec(name: str | BenchmarkSpec) -> BenchmarkSpec:
    """The spec of benchmark ``name`` (a spec passes through unchanged).

    Raises:
        UnknownNameError: no benchmark of that name (the message lists the registered ones).
    """
    if isinstance(name, BenchmarkSpec):
        return name
    for spec in specs():
        if spec.name == name:
            return spec
    raise UnknownNameError(f"unknown benchmark {name!r}; allowed: {', '.join(benchmarks())}")
