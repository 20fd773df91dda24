"""The benchmark registry: name -> :class:`~vlmsafety.specs.base.BenchmarkSpec`, in registration
order. A store and nothing else (it loads no benchmark): :mod:`vlmsafety.specs` looks names up
here after loading the built-in suites and the plugins (:mod:`vlmsafety.suites`).

Example:
    >>> from vlmsafety.specs.registry import registered
    >>> isinstance(registered(), tuple)
    True
"""

from __future__ import annotations

from vlmsafety.errors import InvalidArgumentError
from vlmsafety.specs.base import BenchmarkSpec

__all__ = ["register_benchmark", "registered"]

_SPECS: dict[str, BenchmarkSpec] = {}


def register_benchmark(spec: BenchmarkSpec, *, replace: bool = False) -> BenchmarkSpec:
    """Make ``spec`` a benchmark of vlmsafety under ``spec.name``: ``get_spec``, evaluation, the
    report, ``vlmsafety build``/``evaluate``/``annotate`` and the metric registration find it.

    :mod:`vlmsafety.suites` registers the built-in suites' specs this way too. See
    ``docs/adding-a-benchmark.md``.

    Args:
        spec: The benchmark's spec, holding its parts (scorer, builder, report, CLI, metrics).
        replace: Replace a benchmark registered under the same name; registering the same spec
            object twice is always allowed (a module imported twice).

    Returns:
        ``spec`` (so that a suite can write ``SPEC = register_benchmark(BenchmarkSpec(...))``).

    Raises:
        InvalidArgumentError: ``spec`` is no ``BenchmarkSpec``, or its name is taken by another
            spec and ``replace`` is false.
    """
    if not isinstance(spec, BenchmarkSpec):
        raise InvalidArgumentError(
            f"register_benchmark takes a BenchmarkSpec, got {type(spec).__name__}")
    taken = _SPECS.get(spec.name)
    if taken is not None and taken is not spec and not replace:
        raise InvalidArgumentError(f"a benchmark named {spec.name!r} is registered; "
                                   "pass replace=True to replace it")
    _SPECS[spec.name] = spec
    return spec


def registered() -> tuple[BenchmarkSpec, ...]:
    """The specs registered so far, in registration order (loads nothing)."""
    return tuple(_SPECS.values())
