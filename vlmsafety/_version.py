"""The installed package's version (a leaf: every module that records it imports it from here, so
that none imports the package's ``__init__``, which reaches the benchmark registry).

Example:
    >>> isinstance(__version__, str)
    True
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("vlmsafety")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+unknown"
