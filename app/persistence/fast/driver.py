"""The write path's hot statements, run on the DB-API cursor (SQLite) or on psycopg
(PostgreSQL).

SQLAlchemy caches a statement's compiled form, but every execution still builds an
execution context, processes parameters through generic machinery and sets up a
result: ~40 us a statement on top of SQLite's own ~8 us (measured), and placing and
approving an order runs about 30 of them in the one SQLite writer. Here a statement
is compiled by SQLAlchemy once per parameter shape, and later executions only bind
values through SQLAlchemy's own type processors and call the cursor.

INSERTs and UPDATEs (`execute`, `insert_ids`) must need nothing at execution time beyond
their parameters (no Python-side defaults, no expanding IN lists). SELECTs (`select_rows`)
may expand IN lists: they are prepared once per list length. Prepared forms are kept per
statement object, so both take statements built once (module constants, `statements.once`).
Anything else goes through `Connection.execute` as usual.

On PostgreSQL the same idea saves round trips as well: reads ahead, the unit's last rows
and the rows sent with the COMMIT go in psycopg pipelines, and single reads and changes
with RETURNING run on psycopg with parameters laid out once per statement
(docs/architecture.md#round-trips). Statement events (the statement counters) still fire,
and driver errors arrive wrapped as SQLAlchemy's (`IntegrityError`, ...), as they would
from `Connection.execute`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, exc, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, UpdateBase

from app.errors import DeadlineExceeded
from app.persistence.fast.pg import (
    drop_prefetched,
    insert_many,
    insert_sql,
    pg_rows,
    take_prefetched,
    usable,
)
from app.persistence.fast.shaping import (
    PREPARED,
    bind_sources,
    converted,
    expanding_shape,
    keyring,
    run_on,
)


@dataclass(frozen=True)
class Prepared:
    sql: str
    # (parameter name, its bind processor or None) in positional order
    binds: tuple[tuple[str, Any], ...]

    def args(self, params: dict[str, Any]) -> list[Any]:
        # a parameter left out is a KeyError (Connection.execute refuses it too)
        return [params[name] if process is None else process(params[name])
                for name, process in self.binds]


def _prepare(conn: Connection, key: Hashable, stmt: UpdateBase,
             keys: Sequence[str] | None) -> Prepared | None:
    key = (key, keyring(conn))
    found = PREPARED.get(key, False)
    if found is not False:
        return found
    compiled = stmt.compile(dialect=conn.dialect,
                            column_keys=list(keys) if keys is not None else None)
    simple = (compiled.positional and not compiled.insert_prefetch
              and not compiled.update_prefetch and not compiled.post_compile_params
              and not compiled.literal_execute_params)
    prepared = None
    if simple:
        names = tuple(compiled.positiontup or ())
        procs = compiled._bind_processors  # noqa: SLF001  SQLAlchemy's own type processors
        prepared = Prepared(compiled.string, tuple((n, procs.get(n)) for n in names))
    PREPARED[key] = prepared
    return prepared


def _cursor_run(conn: Connection, prepared: Prepared, rows: Sequence[dict[str, Any]],
                many: bool) -> Any:
    args: Any = [prepared.args(r) for r in rows] if many else prepared.args(rows[0])
    return _on_cursor(conn, prepared.sql, args, many)


def _on_cursor(conn: Connection, sql: str, args: Any, many: bool) -> Any:
    """Run on a new DB-API cursor, seen by the statement events, driver errors wrapped as
    SQLAlchemy's; the open cursor."""
    cursor = conn.connection.cursor()
    try:
        run_on(conn, cursor, sql, args, many=many)
    except conn.dialect.loaded_dbapi.Error as error:
        cursor.close()
        raise driver_error(conn, sql, args, error) from error
    return cursor


def driver_error(conn: Connection, sql: str, args: Any, error: Exception) -> Exception:
    """A driver's error as `Connection.execute` would raise it: SQLAlchemy's wrapper, or the
    request's budget running out (an interrupted statement: app/persistence/deadline.py)."""
    if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT:
        return DeadlineExceeded()
    return exc.DBAPIError.instance(sql, args, error, conn.dialect.loaded_dbapi.Error,
                                   dialect=conn.dialect)


_CONNECTION = "crm_connection"


def connection_of(session: Session) -> Connection:
    """`session.connection()`, remembered for the session's innermost transaction: the
    session resolves it anew on every call (~10 us), and a unit of work asks ~15 times.
    A savepoint begun since is a new transaction whose first `connection()` sends its
    SAVEPOINT, so it is never served from what an outer transaction remembered; a transaction
    a failed flush deactivated is left to `connection()`, which refuses it."""
    found = session.info.get(_CONNECTION)
    if found is not None:
        current = _innermost(session)
        if found[0] is current and current.is_active:
            return found[1]
    conn = session.connection()  # begins the transaction (or savepoint) if need be
    session.info[_CONNECTION] = (_innermost(session), conn)
    return conn


def _innermost(session: Session) -> Any:
    return session.get_nested_transaction() or session.get_transaction()


def run_driver_sql(conn: Connection, sql: str) -> None:
    """A statement without parameters or results (savepoints) on the DB-API cursor."""
    _on_cursor(conn, sql, (), many=False).close()


def flushed_connection(session: Session) -> Connection:
    """The session's connection, with pending changes written as autoflush would (what
    `Session.execute` does before a statement; the statements here skip the session)."""
    if session.autoflush:
        session.flush()
    return connection_of(session)


def _usable(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite" and conn.in_transaction()


# INSERTs of a table's rows as they are (`plain_insert`): on PostgreSQL `execute` runs them
# on the driver (`insert_sql`), as SQLite's path does.
_PLAIN_INSERTS: dict[int, Table] = {}


def plain_insert(table: Table) -> Insert:
    """`insert(table)`, built once, that `execute` may run on the driver on PostgreSQL too."""
    for key, known in _PLAIN_INSERTS.items():
        if known is table:
            return _PLAIN_STATEMENTS[key]
    stmt = insert(table)
    _PLAIN_INSERTS[id(stmt)], _PLAIN_STATEMENTS[id(stmt)] = table, stmt
    return stmt


_PLAIN_STATEMENTS: dict[int, Insert] = {}


def execute(conn: Connection, stmt: UpdateBase, params: dict[str, Any] | Sequence[dict]
            ) -> int:
    """Run an INSERT/UPDATE (one parameter set, or many with the same keys); the number
    of rows it changed, as the driver counts them (-1 where it cannot: an executemany
    on PostgreSQL)."""
    drop_prefetched(conn)
    rows = [params] if isinstance(params, dict) else list(params)
    if not rows:
        return 0
    many = not isinstance(params, dict)
    table = _PLAIN_INSERTS.get(id(stmt))
    if table is not None and usable(conn):
        found = insert_sql(conn, table, rows, False)
        if found is not None:
            insert_many(conn, found, rows)
            return len(rows)
    keys = tuple(rows[0]) if isinstance(stmt, Insert) else None
    prepared = _prepare(conn, (stmt, keys), stmt, keys) if _usable(conn) else None
    if prepared is None:
        return conn.execute(stmt, params).rowcount
    cursor = _cursor_run(conn, prepared, rows, many)
    count = cursor.rowcount
    cursor.close()
    return count


# A multi-row INSERT is prepared per row count: larger batches go in chunks of powers of
# two up to this many rows, so a table has a handful of prepared forms, not one per count.
MAX_ROWS_PER_INSERT = 64


def insert_ids(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
               ) -> list[int] | None:
    """`INSERT ... VALUES (...), (...) RETURNING id` for rows with the same keys: their ids
    in row order (SQLite numbers a multi-row VALUES in order under its one writer), or
    None where this path does not apply."""
    drop_prefetched(conn)
    if not rows or not _usable(conn):
        return None
    keys = tuple(rows[0])
    chunks, at = [], 0
    while at < len(rows):
        size = min(MAX_ROWS_PER_INSERT, 1 << ((len(rows) - at).bit_length() - 1))
        layout = _rows_layout(conn, table, keys, size)
        if layout is None:
            return None
        chunks.append((layout, rows[at:at + size]))
        at += size
    ids: list[int] = []
    for layout, chunk in chunks:
        cursor = _on_cursor(conn, layout.sql, layout.args(chunk), many=False)
        ids += sorted(r[0] for r in cursor.fetchall())
        cursor.close()
    return ids


def _rows_layout(conn: Connection, table: Table, keys: tuple[str, ...], size: int
                 ) -> _RowsLayout | None:
    key = ("ids", table, keys, size, keyring(conn))
    layout = PREPARED.get(key, False)
    if layout is False:
        stmt = insert(table).values([
            {k: bindparam(f"{k}__{i}", type_=table.c[k].type) for k in keys}
            for i in range(size)]).returning(table.c.id)
        prepared = _prepare(conn, ("ids-stmt", *key), stmt, None)
        layout = PREPARED[key] = None if prepared is None else _RowsLayout(prepared)
    return layout


class _RowsLayout:
    """A multi-row INSERT's parameters read straight from its rows: (row index, key, bind
    processor) per position, instead of one dict of `key__i` names per execution."""

    def __init__(self, prepared: Prepared) -> None:
        self.sql = prepared.sql
        binds = []
        for bound, process in prepared.binds:
            name, _, index = bound.rpartition("__")
            binds.append((int(index), name, process))
        self.binds = tuple(binds)

    def args(self, rows: Sequence[dict[str, Any]]) -> list[Any]:
        return [rows[i][k] if process is None else process(rows[i][k])
                for i, k, process in self.binds]


# SELECTs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedSelect:
    sql: str
    # per position: (parameter name, index in its list or None, constant, bind processor);
    # a position whose name is None is a constant of the statement (a literal IN list, ...)
    binds: tuple[tuple[str | None, int | None, Any, Any], ...]
    # (column index, result processor) of the columns that have one, or None for none
    results: tuple[tuple[int, Any], ...] | None

    def args(self, params: dict[str, Any]) -> list[Any]:
        out = []
        for name, index, constant, process in self.binds:
            if name is None:
                out.append(constant)
                continue
            value = params[name] if index is None else params[name][index]
            out.append(value if process is None else process(value))
        return out


def _prepare_select(conn: Connection, stmt: Any, params: dict[str, Any]
                    ) -> PreparedSelect | None:
    shape = expanding_shape(params)
    if shape is None:
        return None
    key = ("select", stmt, shape, keyring(conn))
    found = PREPARED.get(key, False)
    if found is not False:
        return found
    found = bind_sources(conn, stmt, params)
    if found is None:  # rendered into the SQL per value: nothing to reuse
        PREPARED[key] = None
        return None
    compiled, expanded, sources = found
    binds = [sources[name] for name in expanded.positiontup or ()]
    results = tuple((i, process) for i, col in enumerate(compiled._result_columns)  # noqa: SLF001
                    if (process := col[3]._cached_result_processor(conn.dialect, None)))
    prepared = PreparedSelect(expanded.statement, tuple(binds), results or None)
    PREPARED[key] = prepared
    return prepared


def select_rows(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[tuple]:
    """The rows of a SELECT as tuples, each value converted by its column type as
    `Connection.execute` would (datetimes, decimals, ...). On SQLite inside a
    transaction it runs on the DB-API cursor; elsewhere through `Connection.execute`,
    unless `prefetch` already read them."""
    found = take_prefetched(conn, stmt, params)
    if found is not None:
        return found
    if usable(conn):
        found = pg_rows(conn, stmt, params)
        if found is not None:
            return found
    prepared = _prepare_select(conn, stmt, params) if _usable(conn) else None
    if prepared is None:
        return [tuple(r) for r in conn.execute(stmt, params)]
    try:
        args = prepared.args(params)
    except Exception as error:  # a value missing or refused by its type, as SQLAlchemy says
        raise exc.StatementError(str(error), prepared.sql, params, error) from error
    cursor = _on_cursor(conn, prepared.sql, args, many=False)
    try:
        found = cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error as error:  # rows are stepped through here
        raise driver_error(conn, prepared.sql, args, error) from error
    finally:
        cursor.close()
    return converted(found, prepared.results)

