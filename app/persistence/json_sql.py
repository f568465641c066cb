"""PostgreSQL expressions that write a value as the API's JSON does, and the shape of a
type that a read query can build in SQL (docs/architecture.md#compiled-reads).

Each domain's repository describes its types with `JsonType`: per field (by its Python
name) the SQL of its JSON value for a row, and per relation the rows it reaches. The
GraphQL side (schema/compiled/) turns a selection into one statement from these, so the
SQL stays in the repositories and the row scope in their `scope` functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.dialects import postgresql

DIALECT = postgresql.psycopg.dialect()


@dataclass(frozen=True)
class Row:
    """A row as an expression sees it: its alias, and the row it was reached from (an
    order line's money is in its order's currency)."""

    alias: str
    parent: Row | None = None

    def __str__(self) -> str:
        return self.alias


Expression = Callable[[Row], str]


class Composite(dict):
    """A value that is an object in the API (Money): per field of it, its expression; the
    selection decides which are built."""


@dataclass(frozen=True)
class Relation:
    """The rows a field reaches from a row: `target` rows of `table` matching `where`
    (parent, child) in `order` (child), a list when `many`."""

    target: str
    table: str
    where: Callable[[Row, Row], str]
    many: bool = False
    order: Callable[[Row], str] | None = None
    # the resolver cuts the rows to a WAREHOUSE caller's warehouses: such a caller's
    # operation is not compiled
    warehouse_cut: bool = False


@dataclass(frozen=True)
class JsonType:
    name: str
    fields: dict[str, Expression | Composite]
    relations: dict[str, Relation] = field(default_factory=dict)


def gid(type_name: str) -> Expression:
    """app/ids.py's global id: URL-safe base64 of "Type:pk" without padding."""
    def expression(row: Row) -> str:
        raw = f"convert_to('{type_name}:' || {row}.id, 'UTF8')"
        return f"rtrim(translate(encode({raw}, 'base64'), E'+/\\n', '-_'), '=')"
    return expression


def iso(sql: str) -> str:
    """`datetime.isoformat()` of a naive UTC column read as an aware time: zero
    microseconds left out (app/persistence/columns.py's UTCDateTime)."""
    return (f"(replace(to_char({sql}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') "
            "|| '+00:00')")


def column(name: str) -> Expression:
    return lambda row: f"{row}.{name}"


def decimal(name: str) -> Expression:
    """A Decimal as the API writes it: its text, with the column's places."""
    return lambda row: f"{row}.{name}::text"


def time(name: str) -> Expression:
    return lambda row: iso(f"{row}.{name}")


def day(name: str) -> Expression:
    return lambda row: f"to_char({row}.{name}, 'YYYY-MM-DD')"


def money(name: str, currency: Callable[[Row], str] | None = None) -> Composite:
    """schema/core/scalars.py's Money of a NOT NULL column: the amount with two places as
    text, in the row's own currency or in `currency(row)`."""
    return Composite(amount=lambda row: f"round({row}.{name}, 2)::text",
                     currency=currency or (lambda row: f"{row}.currency"))


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def cursor(columns: list[str]) -> str:
    """app/persistence/pagination.py's `encode_cursor` of (a time column, then integer
    ones): padded URL-safe base64 of the compact JSON array."""
    first, *rest = columns
    items = " || ',' || ".join([f"'\"' || {iso(first)} || '\"'", *rest])
    raw = f"convert_to('[' || {items} || ']', 'UTF8')"
    return f"translate(encode({raw}, 'base64'), E'+/\\n', '-_')"


def compiled(stmt) -> tuple[str, dict]:  # noqa: ANN001
    """A SQLAlchemy statement as PostgreSQL's text with driver placeholders
    (`%(name)s`), and the literal parameters it carries."""
    done = stmt.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    return done.string, dict(done.params)
