"""Benchmark specs: one module per benchmark, the only place that knows its shape.

``get_spec(name)`` returns a :class:`~vlmsafety.specs.base.BenchmarkSpec`. Spec modules are
imported on first use, so that the scoring core can read :mod:`vlmsafety.specs.classes` (a leaf)
without importing the specs that call it. ``register_spec`` adds a benchmark of your own.

Example:
    >>> from vlmsafety.specs import BENCHMARKS, get_spec
    >>> BENCHMARKS
    ('dual', 'vsc', 'mossbench', 'msts')
    >>> get_spec("vsc").config_names
    ('image_centric', 'text_centric', 'text_only')
    >>> get_spec("duel")
    Traceback (most recent call last):
    ...
    vlmsafety.errors.UnknownNameError: unknown benchmark 'duel'; allowed: dual, vsc, mossbench, msts
"""

from __future__ import annotations

import importlib

from vlmsafety.errors import InvalidArgumentError, UnknownNameError
from vlmsafety.specs.base import BenchmarkSpec, ConfigSpec, Headline

__all__ = ["BENCHMARKS", "BenchmarkSpec", "ConfigSpec", "Headline", "get_spec", "register_spec"]

_MODULES: dict[str, str] = {
    "dual": "vlmsafety.specs.dual",
    "vsc": "vlmsafety.specs.vsc",
    "mossbench": "vlmsafety.specs.mossbench",
    "msts": "vlmsafety.suites.msts.spec",
}
_REGISTERED: dict[str, BenchmarkSpec] = {}

BENCHMARKS: tuple[str, ...] = tuple(_MODULES)
"""The benchmarks vlmsafety ships, in display order."""


def get_spec(name: str | BenchmarkSpec) -> BenchmarkSpec:
    """The spec of benchmark ``name`` (a spec passes through unchanged).

    Raises:
        UnknownNameError: no benchmark of that name (the message lists the known ones).
    """
    if isinstance(name, BenchmarkSpec):
        return name
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in _MODULES:
        known = [*_MODULES, *(n for n in _REGISTERED if n not in _MODULES)]
        raise UnknownNameError(f"unknown benchmark {name!r}; allowed: {', '.join(known)}")
    spec = importlib.import_module(_MODULES[name]).SPEC
    if not isinstance(spec, BenchmarkSpec):  # pragma: no cover - a broken spec module
        raise TypeError(f"{_MODULES[name]}.SPEC is not a BenchmarkSpec")
    return spec


def register_spec(spec: BenchmarkSpec, *, replace: bool = False) -> None:
    """Make ``spec`` available to :func:`get_spec` (and so to evaluation) under ``spec.name``.

    Raises:
        InvalidArgumentError: the name is taken (shipped or registered) and ``replace`` is false.
    """
    if not replace and (spec.name in _MODULES or spec.name in _REGISTERED):
        raise InvalidArgumentError(f"a benchmark named {spec.name!r} exists; pass replace=True")
    _REGISTERED[spec.name] = spec
