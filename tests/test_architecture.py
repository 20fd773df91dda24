"""The shape of the package, checked: one room per concept (issue "One room per concept").

* Only ``vlmsafety/specs/`` knows a benchmark by name or spells its reference classes.
* No import cycle under ``vlmsafety/`` (function-level imports included).
* Modules under 500 lines; functions under 80 lines unless a ``# long:`` comment says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import vlmsafety
from vlmsafety.specs import BENCHMARKS, get_spec

PACKAGE = Path(vlmsafety.__file__).parent
SPECS = PACKAGE / "specs"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "_metrics" in path.relative_to(PACKAGE).parts:
            continue  # the metric modules' folder (a symlink to metrics/), checked elsewhere
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _outside_specs() -> Iterator[tuple[str, ast.Module]]:
    for name, path in MODULES.items():
        if SPECS not in path.parents and PACKAGE / "suites" not in path.parents:
            yield name, ast.parse(path.read_text(encoding="utf-8"))


def _strings(node: ast.AST) -> set[str]:
    elts = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def test_no_module_outside_specs_compares_against_a_benchmark_name() -> None:
    names = set(BENCHMARKS)
    offenders = []
    for module, tree in _outside_specs():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                found = set().union(*(_strings(x) for x in (node.left, *node.comparators)))
                if found & names:
                    offenders.append(f"{module}:{node.lineno}: compares with {sorted(found & names)}")
    assert offenders == [], "branch on the spec's attributes instead:\n" + "\n".join(offenders)


def test_no_module_outside_specs_spells_a_reference_class_set() -> None:
    sets = [frozenset(get_spec(b).reference_classes) for b in BENCHMARKS]
    offenders = []
    for module, tree in _outside_specs():
        for node in ast.walk(tree):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                found = _strings(node)
            elif isinstance(node, ast.Dict):
                found = {k.value for k in node.keys
                         if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            else:
                continue
            for classes in sets:
                if len(found & classes) >= 2:
                    offenders.append(f"{module}:{node.lineno}: spells {sorted(found & classes)}")
    assert offenders == [], "read them from vlmsafety.specs:\n" + "\n".join(offenders)


def _imports(module: str, tree: ast.Module) -> set[str]:
    out = set()
    for node in ast.walk(tree):  # function-level imports count: they are still dependencies
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if m in MODULES and m != module}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_under_the_package() -> None:
    graph = {m: _imports(m, ast.parse(p.read_text(encoding="utf-8"))) for m, p in MODULES.items()}
    assert _cycles(graph) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_and_function_sizes(module: str) -> None:
    text = MODULES[module].read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) < MAX_MODULE_LINES, f"{module} has {len(lines)} lines: split it by job"
    long = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            body = lines[node.lineno - 1: node.end_lineno]
            if size > MAX_FUNCTION_LINES and not any(ln.strip().startswith("# long:")
                                                     for ln in body):
                long.append(f"{node.name} ({size} lines)")
    assert long == [], f"{module}: split these, or say why in a '# long:' comment: {long}"
