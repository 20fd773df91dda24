"""The scoring core's shape: imports point one way, modules and functions stay small.

Layers, bottom first: ``inputs`` (validation, encoding) <- ``stats`` (intervals, bootstrap, tests)
<- ``core`` (rates, result types) <- ``corrected``, ``agreement`` <- the package; above them each
suite's scorers (``vlmsafety/suites/<name>/scoring.py`` and its result types), as pure as the core.
Function-level imports count too (they once hid a cycle between ``core`` and ``stats``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import vlmsafety.scoring

SCORING = Path(vlmsafety.scoring.__file__).parent
LAYER = {"inputs": 0, "binomial": 0.5, "stats": 1, "core": 2, "agreement": 4, "sampling": 1,
         "planning": 3, "ppi": 2, "edges": 2.5, "corrected": 3, "simulation": 3, "__init__": 5}
# Outside the scoring package, the pure layer may use only these vlmsafety modules.
ALLOWED_VLMSAFETY = {"vlmsafety.errors", "vlmsafety.labels"}
SUITES = Path(vlmsafety.scoring.__file__).parents[1] / "suites"
SUITE_SCORERS = sorted(p.relative_to(SUITES).as_posix() for name in
                       ("scoring.py", "result.py", "over_refusal.py", "classes.py")
                       for p in SUITES.glob(f"*/{name}"))
"""Each suite's pure modules: its scorers, their result types and its reference classes."""
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


@pytest.mark.parametrize("path", SUITE_SCORERS)
def test_suite_scorers_are_pure_and_read_only_the_core_below(path: str) -> None:
    suite = path.split("/")[0]
    tree = ast.parse((SUITES / path).read_text(encoding="utf-8"))
    for mod in imported_modules(tree):
        assert mod.split(".")[0] not in FORBIDDEN, f"{path} imports {mod}: scorers are pure"
        if mod.startswith("vlmsafety"):
            assert (mod in ALLOWED_VLMSAFETY or mod.startswith("vlmsafety.scoring.")
                    or mod in {f"vlmsafety.suites.{suite}.{m}"
                               for m in ("scoring", "result", "classes")}), f"{path} imports {mod}"


def test_suite_scorers_are_found() -> None:
    assert {"dual/scoring.py", "vsc/scoring.py", "mossbench/scoring.py"} <= set(SUITE_SCORERS)


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
    assert imported_modules(ast.parse("from vlmsafety.scoring import core, Rate")) == [
        "vlmsafety.scoring", "vlmsafety.scoring.core"]
