"""SQL lives in repositories (docs/conventions.md, docs/architecture.md#layers).

Walks app/ and schema/ with `ast` and fails on:
- a call that builds a statement, `select(`, `text(`, `insert(`, `update(`, `delete(`,
  whether imported by name from SQLAlchemy or SQLModel (aliases too: `insert as
  pg_insert`), reached through the module (`sa.select(`, `sqlalchemy.sql.select(`), or
  called on a table (`Model.__table__.update(`); or an SQL function (`func.sum(`);
- an import of the speed machinery, app.persistence.fast, which only repositories use;

outside `app/**/repository.py`, `app/**/repository/*.py` and `app/persistence/**`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATEMENTS = frozenset({"select", "text", "insert", "update", "delete"})
SQL_MODULES = ("sqlalchemy", "sqlmodel")
FAST = "app.persistence.fast"

def _is_sql_module(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in SQL_MODULES


def _is_fast(module: str) -> bool:
    return module == FAST or module.startswith(FAST + ".")


def _sql_owner(path: str) -> bool:
    """app/persistence/**, app/**/repository.py, app/**/repository/*.py"""
    parts = path.split("/")
    return parts[0] == "app" and (parts[1] == "persistence" or parts[-1] == "repository.py"
                                  or (len(parts) > 2 and parts[-2] == "repository"))


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # local name -> SQLAlchemy/SQLModel name
        self.modules: set[str] = set()   # local names of SQLAlchemy/SQLModel modules
        self.found: list[tuple[int, str]] = []

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _is_sql_module(alias.name):
                self.modules.add((alias.asname or alias.name).split(".")[0])
            if _is_fast(alias.name):
                self.found.append((node.lineno, f"import {alias.name}"))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if _is_sql_module(module):
                self.names[alias.asname or alias.name] = alias.name
            if _is_fast(module) or _is_fast(f"{module}.{alias.name}"):
                self.found.append((node.lineno, f"from {module} import {alias.name}"))

    def visit_Call(self, node: ast.Call) -> None:
        what = self._statement(node.func)
        if what:
            self.found.append((node.lineno, what))
        self.generic_visit(node)

    def _statement(self, func: ast.expr) -> str | None:
        if isinstance(func, ast.Name):
            name = self.names.get(func.id)
            return f"{func.id}(" if name in STATEMENTS else None
        if not isinstance(func, ast.Attribute):
            return None
        chain, root = [func.attr], func.value
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if isinstance(root, ast.Name) and (
                (root.id in self.modules and (func.attr in STATEMENTS or "func" in chain[1:]))
                or self.names.get(root.id) == "func"):
            return ".".join([root.id, *reversed(chain)]) + "("
        if func.attr in STATEMENTS and "__table__" in chain[1:]:
            return f"__table__.{func.attr}("
        return None


def _violations(path: Path) -> list[str]:
    finder = _Finder()
    finder.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return [f"{line}: {what}" for line, what in sorted(finder.found)]


def _sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for top in ("app", "schema")
                  for p in (ROOT / top).rglob("*.py"))


def test_sql_is_built_only_in_repositories_and_persistence() -> None:
    misplaced = {}
    for path in _sources():
        if _sql_owner(path):
            continue
        if found := _violations(ROOT / path):
            misplaced[path] = found
    assert not misplaced, (
        "SQL statements, SQL functions or app.persistence.fast outside repositories "
        f"(move them into the domain's repository): {misplaced}")


def test_the_check_sees_each_form() -> None:
    """The finder itself: every form it is meant to catch, and what it must leave alone."""
    source = """
import sqlalchemy as sa
from sqlalchemy import func, select as pick
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from app.persistence.fast import bulk
from app.persistence import fast
import app.persistence.fast.driver
pick(X)
sa.update(X)
sa.sql.expression.text("x")
sqlite_insert(X)
func.sum(X.a)
sa.func.count()
X.__table__.delete()
session.delete(obj)
session.get(X, 1)
rows.insert(0, row)
values.update(more)
"""
    finder = _Finder()
    finder.visit(ast.parse(source))
    assert [what for _, what in sorted(finder.found)] == [
        "from app.persistence.fast import bulk", "from app.persistence import fast",
        "import app.persistence.fast.driver", "pick(", "sa.update(",
        "sa.sql.expression.text(", "sqlite_insert(", "func.sum(", "sa.func.count(",
        "__table__.delete("]
    assert _sql_owner("app/orders/repository.py")
    assert _sql_owner("app/orders/repository/lines.py")
    assert _sql_owner("app/persistence/fast/bulk.py")
    assert not _sql_owner("app/orders/service.py")
    assert not _sql_owner("schema/orders/repository.py")
    assert not _sql_owner("app/orders/repository/sub/x.py")
