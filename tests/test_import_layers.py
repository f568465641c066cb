"""The import layers of app/ and schema/ (docs/architecture.md#layers), read from the
source with `ast`, without importing anything:

* no import cycle among the modules of app/ and schema/;
* app/ never imports schema/ (the GraphQL layer sits on top of the application);
* app/persistence/ imports no domain (no app/<domain>/ module) and not the table registry
  (app.models): domains depend on persistence, never the reverse. What persistence needs
  from the app (audit rows, the outbox, every table mapped) is plugged in by the
  composition roots (app/composition.py).

Every import counts, at module level or inside a function (an import in a function runs
too: deferring it only hides a cycle), except those under `if TYPE_CHECKING:`, which never
run (annotations only). A module importing itself is not a cycle. `from package import
name` counts as an import of `package.name` when that is a module, else of `package`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "schema")
PERSISTENCE = "app.persistence"
# app/ modules that are no domain: persistence may use them
SHARED = frozenset({"app", "app.config", "app.errors", "app.ids"})


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path
            for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import under `node`, the bodies of `if TYPE_CHECKING:` left out."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports_in(other)
        else:
            yield from _imports(child)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def _targets(name: str, path: Path, node: ast.Import | ast.ImportFrom,
             modules: dict[str, Path]) -> set[str]:
    """The modules of app/ and schema/ that `node`, in module `name`, imports."""
    if isinstance(node, ast.Import):
        found = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:  # relative: from the importing module's package
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        found = set()
        for alias in node.names:
            full = f"{base}.{alias.name}"
            found.add(full if full in modules else base)
    return {target for target in found if target in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        edges: set[str] = set()
        for node in _imports(tree):
            edges |= _targets(name, path, node, modules)
        edges.discard(name)
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(root: str) -> None:
        # iterative: the import chains are deeper than is wise for recursion
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return sorted(found)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return _graph()


def _is_under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_the_graph_sees_imports_inside_functions_but_not_type_checking_ones():
    tree = ast.parse(
        "import app.config\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import app.errors\nelse:\n    import app.ids\n"
        "def f():\n    from app.persistence import db\n")
    modules = _modules()
    path = ROOT / "app" / "persistence" / "uow.py"
    seen = set().union(*(_targets("app.persistence.uow", path, node, modules)
                         for node in _imports(tree)))
    assert seen == {"app.config", "app.ids", "app.persistence.db"}


def test_no_persistence_module_is_in_an_import_cycle(graph):
    """The persistence ring (db <-> sqlite/process <-> uow) is gone for good: this holds
    even if the test below is ever marked to let a cycle elsewhere through for a while."""
    rings = [c for c in _cycles(graph) if any(_is_under(m, PERSISTENCE) for m in c)]
    assert rings == [], "import cycles through app/persistence:\n" + "\n".join(
        " <-> ".join(c) for c in rings)


def test_no_import_cycles(graph):
    cycles = _cycles(graph)
    assert cycles == [], "import cycles (strongly connected components):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_app_never_imports_schema(graph):
    wrong = sorted((name, target) for name, targets in graph.items() if _is_under(name, "app")
                   for target in targets if _is_under(target, "schema"))
    assert wrong == [], f"app/ imports schema/: {wrong}"


def test_persistence_imports_no_domain_and_not_the_table_registry(graph):
    wrong = sorted(
        (name, target) for name, targets in graph.items() if _is_under(name, PERSISTENCE)
        for target in targets
        if _is_under(target, "app") and not _is_under(target, PERSISTENCE)
        and target not in SHARED)
    assert wrong == [], f"app/persistence imports domains or app.models: {wrong}"
