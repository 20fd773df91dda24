"""The shape of the package, checked: one room per concept, one folder per benchmark (issue 21).

* A benchmark lives in ``vlmsafety/suites/<name>/``: no module outside ``suites/`` spells a
  registered benchmark's name, metric name or reference-class set, or imports a suite (the core
  reaches a benchmark only through the registry, :mod:`vlmsafety.specs`, which loads
  :mod:`vlmsafety.suites`); a suite imports no other suite.
* No import cycle under ``vlmsafety/`` (function-level imports included).
* Modules under 500 lines; functions under 80 lines unless a ``# long:`` comment says why.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import vlmsafety
from vlmsafety.labels import LABELS
from vlmsafety.specs import specs

PACKAGE = Path(vlmsafety.__file__).parent
SUITES = PACKAGE / "suites"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
SHIPPED = ("dual", "vsc", "mossbench", "msts")
LOADER = "vlmsafety.specs"
"""The one core module that imports the suites (it loads them on first use)."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "metric" in path.relative_to(PACKAGE).parts:
            continue  # a suite's evaluate modules (evaluate's folders, loaded by path)
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _core() -> Iterator[tuple[str, ast.Module]]:
    for name, path in MODULES.items():
        if SUITES != path and SUITES not in path.parents:
            yield name, ast.parse(path.read_text(encoding="utf-8"))


def _strings(node: ast.AST) -> set[str]:
    elts = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def _docstrings(tree: ast.Module) -> set[int]:
    """Ids of the string expressions standing alone (docstrings, attribute docstrings)."""
    return {id(st.value) for node in ast.walk(tree) for body in (getattr(node, "body", None),)
            if isinstance(body, list) for st in body
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)}


def _names() -> set[str]:
    """Every registered benchmark's name and metric names (a metric named like a label of the
    vocabulary, ``safe_completion``, is a shared word and not counted)."""
    out = set()
    for spec in specs():
        out |= {spec.name, spec.metric, *(m.name for m in spec.metric_modules)}
    return out - set(LABELS)


def test_the_shipped_suites_are_registered() -> None:
    assert set(SHIPPED) <= {s.name for s in specs()}
    for spec in specs():
        if spec.name in SHIPPED:
            assert spec.builder is not None and spec.report is not None
            assert spec.build_command is not None


def test_no_module_outside_suites_spells_a_benchmark_or_metric_name() -> None:
    names = _names()
    assert set(SHIPPED) <= names and "safety_calibration" in names
    offenders = []
    for module, tree in _core():
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and node.value in names and id(node) not in skip):
                offenders.append(f"{module}:{node.lineno}: {node.value!r}")
    assert offenders == [], "read it from the spec (vlmsafety.specs):\n" + "\n".join(offenders)


def test_no_module_outside_suites_spells_a_reference_class_set() -> None:
    sets = [frozenset(s.reference_classes) for s in specs() if len(s.reference_classes) > 1]
    assert sets
    offenders = []
    for module, tree in _core():
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


def test_the_core_reaches_a_suite_only_through_the_registry() -> None:
    offenders = []
    for module, tree in _core():
        for dep in _imports(module, tree, everything=True):
            inside = dep == "vlmsafety.suites" or dep.startswith("vlmsafety.suites.")
            if inside and not (module == LOADER and dep == "vlmsafety.suites"):
                offenders.append(f"{module} imports {dep}")
    assert offenders == [], "go through vlmsafety.specs.get_spec:\n" + "\n".join(offenders)


def test_a_suite_imports_no_other_suite() -> None:
    offenders = []
    for module, path in MODULES.items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] != "suites":
            continue
        own = ".".join(parts[:3])
        for dep in _imports(module, ast.parse(path.read_text(encoding="utf-8")), everything=True):
            if dep.startswith("vlmsafety.suites.") and not (dep == own or dep.startswith(own + ".")):
                offenders.append(f"{module} imports {dep}")
    assert offenders == []


def _imports(module: str, tree: ast.Module, *, everything: bool = False) -> set[str]:
    """The vlmsafety modules ``module`` imports (``everything``: names outside the package too)."""
    out = set()
    for node in ast.walk(tree):  # function-level imports count: they are still dependencies
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                out.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return {m for m in out if (everything or m in MODULES) and m != module}


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


def test_no_module_imports_the_package_init() -> None:
    """``vlmsafety/__init__`` reaches the registry and so every suite: a module importing it
    (``from vlmsafety import __version__``; the version is in ``vlmsafety._version``) would close
    a cycle through any suite that reaches that module."""
    offenders = [m for m, p in MODULES.items() if m != "vlmsafety"
                 and "vlmsafety" in _imports(m, ast.parse(p.read_text(encoding="utf-8")))]
    assert offenders == []


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
