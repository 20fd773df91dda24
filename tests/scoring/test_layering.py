"""The scoring core's shape: imports point one way, modules and functions stay small.

Layers, bottom first: ``inputs`` (validation, encoding) <- ``stats`` (intervals, bootstrap, tests)
<- ``core`` (rates, result types) <- ``dual_result`` <- the per-benchmark metrics <- the package.
Function-level imports count too (they once hid a cycle between ``core`` and ``stats``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vlmsafety.scoring

SCORING = Path(vlmsafety.scoring.__file__).parent
LAYER = {"inputs": 0, "stats": 1, "core": 2, "dual_result": 3, "dual": 4, "vsc": 4, "xstest": 4,
         "mossbench": 4, "agreement": 4, "sampling": 1, "planning": 2, "ppi": 2, "corrected": 3,
         "__init__": 5}
# Outside the scoring package, the pure layer may use only these vlmsafety modules.
ALLOWED_VLMSAFETY = {"vlmsafety.errors", "vlmsafety.labels",
                     "vlmsafety.specs.classes"}  # specs.classes: a leaf of constants
FORBIDDEN = {"logging", "os", "pathlib", "random", "io", "shutil", "socket", "urllib", "httpx",
             "aiohttp", "requests", "datasets", "huggingface_hub"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

MODULES = sorted(p.stem for p in SCORING.glob("*.py"))


def imported_modules(tree: ast.AST) -> list[str]:
    """Every module an import statement names, at any depth (function-level imports included)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
            # ``from vlmsafety.scoring import core`` imports the submodule
            if node.module == "vlmsafety.scoring":
                out += [f"vlmsafety.scoring.{a.name}" for a in node.names
                        if (SCORING / f"{a.name}.py").is_file()]
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"relative import at line {node.lineno}; use absolute imports")
    return out


def test_every_module_has_a_layer() -> None:
    assert set(MODULES) == set(LAYER), "give a new scoring module its place in LAYER"


@pytest.mark.parametrize("name", MODULES)
def test_imports_point_down(name: str) -> None:
    tree = ast.parse((SCORING / f"{name}.py").read_text(encoding="utf-8"))
    for mod in imported_modules(tree):
        top = mod.split(".")[0]
        assert top not in FORBIDDEN, f"scoring.{name} imports {mod}: the scoring core is pure"
        if mod.startswith("vlmsafety.scoring."):
            dep = mod.split(".")[2]
            assert LAYER[dep] < LAYER[name], (
                f"scoring.{name} (layer {LAYER[name]}) imports scoring.{dep} (layer {LAYER[dep]})")
        elif mod.startswith("vlmsafety"):
            assert mod in ALLOWED_VLMSAFETY, f"scoring.{name} imports {mod}"


@pytest.mark.parametrize("name", MODULES)
def test_modules_and_functions_are_small(name: str) -> None:
    path = SCORING / f"{name}.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) < MAX_MODULE_LINES, f"{path.name}: {len(lines)} lines"
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            where = f"{path.name}:{node.lineno} {node.name}"
            assert size <= MAX_FUNCTION_LINES, f"{where}: {size} lines"


def test_the_checks_catch_an_upward_and_a_lazy_import() -> None:
    src = "def f():\n    from vlmsafety.scoring.core import encode\n"
    assert imported_modules(ast.parse(src)) == ["vlmsafety.scoring.core"]
    assert imported_modules(ast.parse("from vlmsafety.scoring import dual, Rate")) == [
        "vlmsafety.scoring", "vlmsafety.scoring.dual"]
