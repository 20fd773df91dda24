"""`__all__` is the public surface: every name in it exists, and public modules declare one."""

from __future__ import annotations

import importlib
import pkgutil

import vlmsafety


def test_all_names_exist() -> None:
    for name in vlmsafety.__all__:
        assert hasattr(vlmsafety, name), name


def test_every_public_module_has_a_consistent_all() -> None:
    for info in pkgutil.walk_packages(vlmsafety.__path__, "vlmsafety."):
        if any(part.startswith("_") for part in info.name.split(".")) or ".cli" in info.name:
            continue
        module = importlib.import_module(info.name)
        assert hasattr(module, "__all__"), f"{info.name} has no __all__"
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.__all__ lists missing {name!r}"


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("vlmsafety").joinpath("py.typed").is_file()
