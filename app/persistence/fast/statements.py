"""Statements built once and run many times with bound parameters.

Building a SQLAlchemy statement costs more than running a cached one (about 70 us
against 20-50 us on SQLite, measured): the compiled form is cached, but the
construct and its cache key are made anew on every call. The write path runs a
dozen statements per unit of work, so its hot statements are module constants
with `bindparam()` placeholders, or are built once per shape with `once`.

A scope is read from anything with a principal's row scopes (`Scoped`): persistence
imports no domain, app/auth/principal.py included (docs/architecture.md#layers).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam
from sqlmodel import Session

from app.persistence.fast import driver, pg
from app.persistence.fast.rows import record_type

S = TypeVar("S")
_BUILT: dict[Hashable, Any] = {}


def run(session: Session, stmt: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a statement that loads no ORM entities (columns, Core UPDATEs) on the session's
    connection. It skips the ORM session layer, which costs ~25 us a statement (measured on
    SQLite: 59 against 33 us); pending changes are flushed first, as autoflush would."""
    return driver.flushed_connection(session).execute(stmt, params)


def rows(session: Session, stmt: Any, params: dict[str, Any]) -> list[tuple]:
    """`run(...).all()` as plain tuples, on the DB-API cursor on SQLite
    (app/persistence/fast/driver.py:
    about a third of the cost); `stmt` must be built once (a module constant, `once`)."""
    return driver.select_rows(driver.flushed_connection(session), stmt, params)


def change(session: Session, stmt: Any, params: dict[str, Any] | list[dict[str, Any]]) -> int:
    """Run an INSERT/UPDATE/DELETE on the session's connection (app/persistence/fast/driver.py on
    SQLite);
    the number of rows it changed. Pending changes are flushed first."""
    return driver.execute(driver.flushed_connection(session), stmt, params)


def changed_rows(session: Session, stmt: Any, params: dict[str, Any]) -> list[tuple]:
    """The rows of a change with RETURNING (built once), as tuples: on PostgreSQL on the
    driver (app/persistence/fast/pg.py `write_rows`). Pending changes are flushed first."""
    return pg.write_rows(driver.flushed_connection(session), stmt, params)


def records(session: Session, stmt: Any, params: dict[str, Any], model: Any) -> list[Any]:
    """Read-only records (app/persistence/fast/rows.py) of a statement selecting all of `model`'s
    columns,
    for write paths that only read the rows: a fraction of the cost of ORM instances."""
    return list(map(record_type(model)._make, rows(session, stmt, params)))


Query = tuple[Any, dict[str, Any]]  # a SELECT built once, and its parameters


def prefetch(session: Session, queries: Sequence[Query]) -> None:
    """Read these ahead, together (one round trip on PostgreSQL): the `rows` and `records`
    calls that follow with the same statements and parameters get their rows
    (app/persistence/fast/pg.py `prefetch`)."""
    pg.prefetch(driver.flushed_connection(session), queries)


def serve_as(session: Session, ahead: Query, ask: Query) -> None:
    """Rows `prefetch` read for `ahead` go to the `rows`/`records` call for `ask` instead
    (the same rows, asked for by what earlier rows told: app/persistence/fast/pg.py)."""
    pg.serve_as(driver.connection_of(session), ahead, ask)


def once(key: Hashable, build: Callable[[], S]) -> S:
    """The statement built for `key`, building it on first use."""
    stmt = _BUILT.get(key)
    if stmt is None:
        stmt = _BUILT[key] = build()
    return stmt


class Scoped(Protocol):
    """What a scope is read from: the app's principal (app/auth/principal.py)."""

    @property
    def customer_scope(self) -> int | None: ...

    @property
    def owner_scope(self) -> int | None: ...


class ScopeParams:
    """Stands in for a principal in a repository's `scope(stmt, principal)`, so a scoped
    statement is built once per kind of scope and reused with bound parameters."""

    def __init__(self, customer: bool, owner: bool) -> None:
        self.customer_scope = bindparam("customer_scope") if customer else None
        self.owner_scope = bindparam("owner_scope") if owner else None


def scope_kind(principal: Scoped) -> tuple[tuple[bool, bool], dict[str, int]]:
    """(the kind of scope, for `once` keys and `ScopeParams`; the parameters it binds)."""
    params: dict[str, int] = {}
    if principal.customer_scope is not None:
        params["customer_scope"] = principal.customer_scope
    if principal.owner_scope is not None:
        params["owner_scope"] = principal.owner_scope
    return ("customer_scope" in params, "owner_scope" in params), params
