"""No import cycles anywhere: every module of app/, bench/ and tests/ can be read without its importers.
And no module imports a test module: what tests share lives in tests/support/, fixtures in tests/conftest.py."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOPS = ("app", "bench", "tests")


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, wherever the import statement is (functions and
    TYPE_CHECKING blocks included: a cycle hidden in a function is a cycle all the same)."""
    paths = {_module(p): p for top in TOPS for p in (REPO / top).rglob("*.py") if "django_project" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _is_test_module(name: str) -> bool:
    last = name.rpartition(".")[2]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def imported_test_modules(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """Module -> the test modules (or conftest) it imports."""
    found = {name: sorted(m for m in imported if _is_test_module(m)) for name, imported in graph.items()}
    return {name: modules for name, modules in found.items() if modules}


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 100  # the walk really saw the project
    assert cycles(graph) == []


def test_the_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_a_test_module() -> None:
    graph = import_graph()
    assert sum(_is_test_module(name) for name in graph) > 40  # the walk really saw the test modules
    assert imported_test_modules(graph) == {}


def test_the_check_finds_a_test_module_imported() -> None:
    graph = {
        "tests.test_a": {"tests.support.gui"},
        "tests.test_b": {"tests.test_a", "tests.conftest", "app.cli"},
        "bench.run": {"tests.test_a"},
        "tests.support.gui": {"app.ui.main_window"},
    }
    assert imported_test_modules(graph) == {
        "tests.test_b": ["tests.conftest", "tests.test_a"],
        "bench.run": ["tests.test_a"],
    }
