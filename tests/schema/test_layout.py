"""The layout rules of schema/ (its package docstring): every domain folder has the same file
set (a member that outgrows a screen may be a package: types/, inputs/, queries/,
mutations/), a
domain's types import no other domain at run time, and no import hides inside a
function in a domain. Imports are read from the source, those inside functions included and
`if TYPE_CHECKING:` blocks left out (they never run). Import cycles and app/ importing
schema/ are tests/test_import_layers.py's, over the whole graph."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema"
NOT_DOMAINS = {"compiled", "core", "engine", "loading", "policy", "subscriptions"}
DOMAIN_FILES = {"__init__.py", "types.py", "inputs.py", "queries.py", "mutations.py",
                "subscriptions.py"}


def _modules() -> dict[str, Path]:
    out = {}
    for top in ("app", "schema"):
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(node: ast.AST, in_function: bool = False) -> Iterator[tuple[str, bool]]:
    """(imported name, whether inside a function) for every import that runs."""
    for child in ast.iter_child_nodes(node):
        if _type_checking(child):
            continue
        if isinstance(child, ast.Import):
            yield from ((a.name, in_function) for a in child.names)
        elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
            yield from ((f"{child.module}.{a.name}", in_function) for a in child.names)
        yield from _imports(child, in_function or isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef))


def _module_of(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _domains() -> list[Path]:
    return sorted(p for p in SCHEMA.iterdir()
                  if p.is_dir() and p.name not in NOT_DOMAINS and (p / "__init__.py").exists())


def _domain_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) > 2 and parts[0] == "schema" and parts[1] not in NOT_DOMAINS:
        return parts[1]
    return None


# a module of the file set that outgrows a screen becomes a package of modules by concept
SPLITTABLE = {"types", "inputs", "queries", "mutations"}


def test_every_domain_has_the_domain_file_set() -> None:
    for domain in _domains():
        files = {p.name for p in domain.glob("*.py")}
        assert files <= DOMAIN_FILES, (domain.name, files - DOMAIN_FILES)
        packages = {p.name for p in domain.iterdir() if p.is_dir() and p.name != "__pycache__"}
        assert packages <= SPLITTABLE, (domain.name, packages)
        for name in packages:
            assert f"{name}.py" not in files, (domain.name, name)
        assert "types.py" in files or "types" in packages, domain.name


def _types_modules(domain: Path) -> list[Path]:
    return [domain / "types.py"] if (domain / "types.py").exists() else sorted(
        (domain / "types").glob("*.py"))


def test_a_domains_types_import_no_other_domain() -> None:
    for domain in _domains():
        for path in _types_modules(domain):
            for name, _ in _imports(ast.parse(path.read_text())):
                other = _domain_of(_module_of(name) or "")
                assert other in (None, domain.name), f"{path.relative_to(ROOT)} imports {name}"


def test_no_import_inside_a_function_in_a_domain() -> None:
    for domain in _domains():
        for path in domain.rglob("*.py"):
            found = [name for name, inside in _imports(ast.parse(path.read_text())) if inside]
            assert not found, f"{path.relative_to(ROOT)} imports {found} inside a function"
