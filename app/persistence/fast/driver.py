"""The write path's hot statements on SQLite, run on the DB-API cursor.

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
Anything else, and every PostgreSQL statement, goes through `Connection.execute` as usual.
Statement events (the statement counters) still fire, and driver errors arrive wrapped as
SQLAlchemy's (`IntegrityError`, ...), as they would from `Connection.execute`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import Connection, Table, bindparam, exc, insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert, UpdateBase

from app.errors import DeadlineExceeded


@dataclass(frozen=True)
class Prepared:
    sql: str
    # (parameter name, its bind processor or None) in positional order
    binds: tuple[tuple[str, Any], ...]

    def args(self, params: dict[str, Any]) -> list[Any]:
        # a parameter left out is a KeyError (Connection.execute refuses it too)
        return [params[name] if process is None else process(params[name])
                for name, process in self.binds]


# Prepared, PreparedSelect, _RowsLayout, or None: not preparable. Keyed by the engine's
# keyring too: the encrypted columns' processors are its (app/persistence/crypto.py), and
# a process may hold databases with and without one.
_PREPARED: dict[Hashable, Any] = {}


def _keyring(conn: Connection) -> Any:
    return getattr(conn.dialect, "crm_keyring", None)


def _prepare(conn: Connection, key: Hashable, stmt: UpdateBase,
             keys: Sequence[str] | None) -> Prepared | None:
    key = (key, _keyring(conn))
    found = _PREPARED.get(key, False)
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
    _PREPARED[key] = prepared
    return prepared


def _cursor_run(conn: Connection, prepared: Prepared, rows: Sequence[dict[str, Any]],
                many: bool) -> Any:
    args: Any = [prepared.args(r) for r in rows] if many else prepared.args(rows[0])
    return _on_cursor(conn, prepared.sql, args, many)


def _on_cursor(conn: Connection, sql: str, args: Any, many: bool) -> Any:
    """Run on a new DB-API cursor, seen by the statement events, driver errors wrapped as
    SQLAlchemy's; the open cursor."""
    cursor = conn.connection.cursor()
    listeners = conn.dispatch.before_cursor_execute  # the statement counters (engine's too)
    if listeners:  # asked first: calling an empty collection costs a few us a statement
        listeners(conn, cursor, sql, args, None, many)
    try:
        if many:
            cursor.executemany(sql, args)
        else:
            cursor.execute(sql, args)
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


def raise_handled(conn: Connection, error: Exception, sql: str | None, args: Any) -> NoReturn:
    """A driver's error on PostgreSQL through SQLAlchemy's own handling, as if
    `Connection.execute` had met it: wrapped (`OperationalError`, ...), a lost connection
    invalidating the pool, the engine's handle_error hooks run (a cancelled statement
    becomes the request's budget running out)."""
    conn._handle_dbapi_exception(error, sql, args, None, None)  # noqa: SLF001


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


def _pg_usable(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.in_transaction()


# INSERTs of a table's rows as they are (`plain_insert`): on PostgreSQL `execute` runs them
# on the driver (`_insert_sql`), as SQLite's path does.
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
    if table is not None and _pg_usable(conn):
        found = _insert_sql(conn, table, rows, False)
        if found is not None:
            _pg_many(conn, found, rows)
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
    key = ("ids", table, keys, size, _keyring(conn))
    layout = _PREPARED.get(key, False)
    if layout is False:
        stmt = insert(table).values([
            {k: bindparam(f"{k}__{i}", type_=table.c[k].type) for k in keys}
            for i in range(size)]).returning(table.c.id)
        prepared = _prepare(conn, ("ids-stmt", *key), stmt, None)
        layout = _PREPARED[key] = None if prepared is None else _RowsLayout(prepared)
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


# Longer IN lists go through SQLAlchemy, which expands them at each execution: a prepared
# form per length would keep a statement string per length ever seen (bounded memory).
MAX_PREPARED_LIST = 64
_LISTS, _SETS = (list, tuple), (set, frozenset)


def _expanding_shape(params: dict[str, Any]) -> tuple | None:
    """(name, length) of each list parameter; None when one is too long, or a set (whose
    items have no positions to bind by)."""
    shape = []
    for k, v in params.items():  # one pass: every SELECT of the write path comes here
        if isinstance(v, _LISTS):
            if len(v) > MAX_PREPARED_LIST:
                return None
            shape.append((k, len(v)))
        elif isinstance(v, _SETS):
            return None
    return tuple(shape)


def _prepare_select(conn: Connection, stmt: Any, params: dict[str, Any]
                    ) -> PreparedSelect | None:
    shape = _expanding_shape(params)
    if shape is None:
        return None
    key = ("select", stmt, shape, _keyring(conn))
    found = _PREPARED.get(key, False)
    if found is not False:
        return found
    compiled = stmt.compile(dialect=conn.dialect)
    if compiled.literal_execute_params:  # rendered into the SQL per value: nothing to reuse
        _PREPARED[key] = None
        return None
    expanded = compiled.construct_expanded_state(params)
    owner = {name: (source, i) for source, names in expanded.parameter_expansion.items()
             for i, name in enumerate(names)}
    # the statement's own processors, and those of the items its IN lists expanded into
    processors = {**compiled._bind_processors, **expanded.processors}  # noqa: SLF001
    binds = []
    for name in expanded.positiontup or ():
        process = processors.get(name)
        if name in params:
            binds.append((name, None, None, process))
        elif name in owner and owner[name][0] in params:
            binds.append((owner[name][0], owner[name][1], None, process))
        else:  # a constant: processed once, here
            value = expanded.parameters[name]
            binds.append((None, None, value if process is None else process(value), None))
    results = tuple((i, process) for i, col in enumerate(compiled._result_columns)  # noqa: SLF001
                    if (process := col[3]._cached_result_processor(conn.dialect, None)))
    prepared = PreparedSelect(expanded.statement, tuple(binds), results or None)
    _PREPARED[key] = prepared
    return prepared


def select_rows(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[tuple]:
    """The rows of a SELECT as tuples, each value converted by its column type as
    `Connection.execute` would (datetimes, decimals, ...). On SQLite inside a
    transaction it runs on the DB-API cursor; elsewhere through `Connection.execute`,
    unless `prefetch` already read them."""
    found = _take_prefetched(conn, stmt, params)
    if found is not None:
        return found
    if _pg_usable(conn):
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
    return _converted(found, prepared.results)


# Prefetch: independent reads in one round trip (PostgreSQL) -------------------------------

_PREFETCHED = "crm_prefetched"


def _key(stmt: Any, params: dict[str, Any]) -> Hashable:
    return (id(stmt), tuple((k, tuple(v) if isinstance(v, list) else v)
                            for k, v in sorted(params.items())))


def prefetch(conn: Connection, queries: Sequence[tuple[Any, dict[str, Any]]]) -> None:
    """Run these SELECTs (built once, as for `select_rows`) together in one round trip,
    in psycopg's pipeline mode, and keep their rows for the `select_rows` calls with the
    same statement and parameters that follow, each served once. Only in a transaction on
    PostgreSQL (elsewhere each read runs when asked: no round trip to save); the rows kept
    are dropped at the transaction's next write through this module, or its end
    (docs/architecture.md#round-trips)."""
    if len(queries) < 2 or conn.dialect.name != "postgresql" or not conn.in_transaction():
        return
    raw = conn.connection.driver_connection
    listeners = conn.dispatch.before_cursor_execute
    compiled = []
    for stmt, params in queries:
        shaped = _pg_select(conn, stmt, params)
        if shaped is None:
            return  # not preparable: every read runs when asked
        compiled.append(shaped)
    cursors = pipeline_cursors(conn, raw, len(compiled))
    try:
        with raw.pipeline():
            for cursor, (sql, args, _results) in zip(cursors, compiled, strict=True):
                if listeners:
                    listeners(conn, cursor, sql, args, None, False)
                cursor.execute(sql, args)
        found = [_fetched(conn, cursor, shaped)
                 for cursor, (_sql, _args, shaped) in zip(cursors, compiled, strict=True)]
    except conn.dialect.loaded_dbapi.Error as error:
        raise_handled(conn, error, compiled[0][0], compiled[0][1])
    kept = {_key(stmt, params): rows for (stmt, params), rows in zip(queries, found,
                                                                     strict=True)}
    held = conn.info.get(_PREFETCHED)
    if held is not None and held[0] is conn.get_transaction():
        held[1].update(kept)  # rows read ahead before, not yet asked for, stay
    else:
        conn.info[_PREFETCHED] = (conn.get_transaction(), kept)
    for listener in ROUND_TRIP_LISTENERS:
        listener(len(queries) - 1)


# Told how many round trips a pipeline saved (its statements less one): the benchmark's
# round-trip count (tests/bench/app.py). Empty unless a benchmark listens.
ROUND_TRIP_LISTENERS: list[Any] = []


def _take_prefetched(conn: Connection, stmt: Any, params: dict[str, Any]) -> list | None:
    held = conn.info.get(_PREFETCHED)
    if held is None:
        return None
    if held[0] is not conn.get_transaction():
        del conn.info[_PREFETCHED]
        return None
    return held[1].pop(_key(stmt, params), None)


def write_rows(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[tuple]:
    """The rows a change with RETURNING (built once) gives, as tuples: on PostgreSQL's
    driver (`pg_rows`), else through `Connection.execute`. Rows read ahead are dropped."""
    drop_prefetched(conn)
    if _pg_usable(conn):
        found = pg_rows(conn, stmt, params)
        if found is not None:
            return found
    return [tuple(r) for r in conn.execute(stmt, params)]


def drop_prefetched(conn: Connection) -> None:
    """A write: rows read ahead may no longer be what a read would find."""
    conn.info.pop(_PREFETCHED, None)


def _converted(rows: list[tuple], results: Any) -> list[tuple]:
    """Rows with each value of a column that has a result processor converted by it."""
    if results is None:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i, process in results:
            values[i] = process(values[i])
        out.append(tuple(values))
    return out


def _pg_select(conn: Connection, stmt: Any, params: dict[str, Any]
               ) -> tuple[str, dict[str, Any], Any] | None:
    """A PostgreSQL statement's SQL (psycopg's named placeholders, IN lists expanded), its
    parameters processed by their types, and its shape (the compiled form, its result
    processors); None where IN lists are sets. The SQL and where each parameter comes from
    are worked out once per statement and list lengths, as `_prepare_select` does."""
    shape = _expanding_shape(params)
    if shape is None:
        return None
    key = ("pg-select", stmt, shape, _keyring(conn))
    found = _PREPARED.get(key, False)
    if found is False:
        found = _PREPARED[key] = _pg_shape(conn, stmt, params)
    if found is None:
        return None
    args = {}
    try:
        for name, source, index, constant, process in found[3]:
            if source is None:
                args[name] = constant
                continue
            value = params[source] if index is None else params[source][index]
            args[name] = value if process is None else process(value)
    except Exception as error:  # a value missing or refused by its type, as SQLAlchemy says
        raise exc.StatementError(str(error), found[2], params, error) from error
    return found[2], args, found


def _pg_shape(conn: Connection, stmt: Any, params: dict[str, Any]) -> list | None:
    """[compiled, result processors (made at the first fetch), SQL, (placeholder, parameter
    name, index in its list, constant, bind processor) per placeholder]."""
    compiled = stmt.compile(dialect=conn.dialect)
    if compiled.literal_execute_params:  # rendered into the SQL per value: nothing to reuse
        return None
    expanded = compiled.construct_expanded_state(params)
    owner = {name: (source, i) for source, names in expanded.parameter_expansion.items()
             for i, name in enumerate(names)}
    processors = {**compiled._bind_processors, **expanded.processors}  # noqa: SLF001
    binds = []
    for name, value in expanded.parameters.items():
        process = processors.get(name)
        if name in params:
            binds.append((name, name, None, None, process))
        elif name in owner and owner[name][0] in params:
            binds.append((name, owner[name][0], owner[name][1], None, process))
        else:  # a constant: processed once, here
            binds.append((name, None, None, value if process is None else process(value),
                          None))
    return [compiled, None, expanded.statement, tuple(binds)]


def _pg_results(conn: Connection, found: list, cursor: Any) -> Any:
    """The result processors of a statement `_pg_select` shaped: psycopg's numeric ones
    need the column's type as the server sent it, so they are made at the first fetch
    (reading a cursor's `description` builds an object per column: only then)."""
    if found[1] is None:
        columns = found[0]._result_columns  # noqa: SLF001
        description = cursor.description if columns else ()
        found[1] = tuple(
            (i, process) for i, col in enumerate(columns)
            if (process := col[3]._cached_result_processor(  # noqa: SLF001
                conn.dialect, description[i].type_code))) or False
    return found[1] or None


def _fetched(conn: Connection, cursor: Any, shaped: list) -> list[tuple]:
    return _converted(cursor.fetchall(), _pg_results(conn, shaped, cursor))


def pg_rows(conn: Connection, stmt: Any, params: dict[str, Any]) -> list[tuple] | None:
    """A statement that returns rows (a SELECT, or a change with RETURNING) built once, run
    on PostgreSQL's driver in the connection's transaction, as `prefetch` runs its reads:
    its rows, each value converted by its column's type; None where it cannot be shaped so
    (IN lists given as sets), for the caller to run it as usual. It reads nothing ahead
    and drops nothing read ahead: a caller that writes says so (`drop_prefetched`)."""
    shaped = _pg_select(conn, stmt, params)
    if shaped is None:
        return None
    sql, args, found = shaped
    cursor = pipeline_cursors(conn, conn.connection.driver_connection, 1)[0]
    listeners = conn.dispatch.before_cursor_execute
    if listeners:
        listeners(conn, cursor, sql, args, None, False)
    try:
        cursor.execute(sql, args)
        return _fetched(conn, cursor, found)
    except conn.dialect.loaded_dbapi.Error as error:
        raise_handled(conn, error, sql, args)


def _pg_many(conn: Connection, found: tuple[str, dict[str, Any]],
             rows: Sequence[dict[str, Any]]) -> None:
    """A statement `_insert_sql` built, for each of `rows`, on PostgreSQL's driver (psycopg
    sends an executemany in one round trip)."""
    sql, procs = found
    args = [{k: (v if (p := procs.get(k)) is None else p(v)) for k, v in r.items()}
            for r in rows]
    cursor = pipeline_cursors(conn, conn.connection.driver_connection, 1)[0]
    listeners = conn.dispatch.before_cursor_execute
    if listeners:
        listeners(conn, cursor, sql, args, None, True)
    try:
        cursor.executemany(sql, args)
    except conn.dialect.loaded_dbapi.Error as error:
        raise_handled(conn, error, sql, args)


# Rows inserted with the COMMIT: one round trip for both (PostgreSQL) ----------------------

_AT_COMMIT = "crm_at_commit"


def insert_at_commit(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """Insert `rows` (same keys each) in the COMMIT's round trip: psycopg's pipeline mode
    sends them and the COMMIT together, and an error in them rolls the transaction back
    instead (a failed statement aborts the rest of a pipeline). For rows nothing in the
    transaction reads or checks before commit (the delta sync's change log). PostgreSQL
    only: False elsewhere, and the caller inserts them itself
    (docs/architecture.md#round-trips)."""
    if conn.dialect.name != "postgresql" or not rows:
        return False
    held = conn.info.get(_AT_COMMIT)
    if held is None or held[0] is not conn.get_transaction():  # another transaction's: gone
        held = conn.info[_AT_COMMIT] = (conn.get_transaction(), [])
    held[1].append((table, list(rows)))
    return True


def commit_pending(conn: Connection) -> None:
    """An engine's `commit` listener (PostgreSQL): the rows `insert_at_commit` kept, and the
    COMMIT, in one pipeline; the dialect's own commit then finds the transaction ended."""
    held = conn.info.pop(_AT_COMMIT, None)
    if held is None or held[0] is not conn.get_transaction() or not held[1]:
        return
    pending = held[1]
    raw = conn.connection.driver_connection
    listeners = conn.dispatch.before_cursor_execute
    statements = []
    for table, rows in pending:
        keys = tuple(rows[0])
        key = ("at-commit", table, keys, _keyring(conn))
        compiled = _PREPARED.get(key)
        if compiled is None:
            compiled = _PREPARED[key] = insert(table).compile(dialect=conn.dialect,
                                                              column_keys=list(keys))
        procs = compiled._bind_processors  # noqa: SLF001
        args = [{k: (v if (p := procs.get(k)) is None else p(v)) for k, v in row.items()}
                for row in rows]
        statements.append((compiled.string, args))
    try:
        with raw.pipeline():
            for cursor, (sql, args) in zip(pipeline_cursors(conn, raw, len(statements)),
                                           statements, strict=True):
                if listeners:
                    listeners(conn, cursor, sql, args, None, True)
                cursor.executemany(sql, args)
            raw.commit()
    except conn.dialect.loaded_dbapi.Error as error:
        # the failed pipeline skipped its COMMIT: end the transaction here, since SQLAlchemy
        # counts a commit that raised as ended and returns the connection without a ROLLBACK
        with contextlib.suppress(conn.dialect.loaded_dbapi.Error):
            raw.rollback()
        raise_handled(conn, error, statements[0][0], statements[0][1])
    for listener in ROUND_TRIP_LISTENERS:
        listener(len(statements))


def insert_batch(conn: Connection, plain: Sequence[tuple[Table, Sequence[dict[str, Any]]]],
                 returning: Sequence[tuple[Table, Sequence[dict[str, Any]]]],
                 updates: Sequence[tuple[Any, dict[str, Any]]] = (),
                 tails: Sequence[tuple[Any, dict[str, Any]]] = ()
                 ) -> tuple[list[list[int]], list[int], list[list[tuple]]] | None:
    """Run `updates` (UPDATEs built once, with their parameters) and insert several tables'
    rows (the rows of each table with the same keys) in one round trip (psycopg's pipeline
    mode): the updates, the `plain` rows, the `returning` ones, then `tails` (statements
    built once that return rows, with their parameters). Returns the ids of each
    `returning` table's rows, in row order, the rows each update changed, and the rows of
    each tail. PostgreSQL only: None elsewhere, or where a statement cannot go so."""
    if conn.dialect.name != "postgresql" or not (plain or returning or updates or tails):
        return None
    drop_prefetched(conn)
    raw = conn.connection.driver_connection
    listeners = conn.dispatch.before_cursor_execute
    work = [(_update_sql(conn, stmt, params), [params], None) for stmt, params in updates]
    work += [(_insert_sql(conn, t, rows, False), rows, False) for t, rows in plain if rows]
    work += [(_insert_sql(conn, t, rows, True), rows, True) for t, rows in returning]
    shaped = [_pg_select(conn, stmt, params) for stmt, params in tails]
    if any(sql is None for sql, _rows, _ids in work) or None in shaped:
        return None  # a column left to its Python-side default: SQLAlchemy's to fill
    cursors = []
    free = pipeline_cursors(conn, raw, len(work) + len(shaped))
    tail_cursors = free[len(work):]
    try:
        with raw.pipeline():
            for cursor, ((sql, procs), rows, ids) in zip(free, work, strict=False):
                if ids is None:  # an UPDATE
                    args = {k: (v if (p := procs.get(k)) is None else p(v))
                            for k, v in rows[0].items()}
                    if listeners:
                        listeners(conn, cursor, sql, args, None, False)
                    cursor.execute(sql, args)
                    cursors.append((cursor, None))
                    continue
                args = [{k: (v if (p := procs.get(k)) is None else p(v)) for k, v in r.items()}
                        for r in rows]
                if listeners:
                    listeners(conn, cursor, sql, args, None, True)
                cursor.executemany(sql, args, returning=ids)
                cursors.append((cursor, ids))
            for cursor, (sql, args, _found) in zip(tail_cursors, shaped, strict=True):
                if listeners:
                    listeners(conn, cursor, sql, args, None, False)
                cursor.execute(sql, args)
        found, changed = [], []
        for cursor, ids in cursors:
            if ids is None:
                changed.append(cursor.rowcount)
                continue
            if not ids:
                continue
            taken: list[int] = []
            while True:
                taken += [r[0] for r in cursor.fetchall()]
                if not cursor.nextset():
                    break
            found.append(taken)
        tail_rows = [_fetched(conn, cursor, found_shape) for cursor, (_sql, _args, found_shape)
                     in zip(tail_cursors, shaped, strict=True)]
    except conn.dialect.loaded_dbapi.Error as error:
        first = work[0][0][0] if work else shaped[0][0]
        raise_handled(conn, error, first, None)
    for listener in ROUND_TRIP_LISTENERS:
        listener(len(work) + len(shaped) - 1)
    return found, changed, tail_rows


_CURSORS = "crm_cursors"


def pipeline_cursors(conn: Connection, raw: Any, count: int) -> list[Any]:
    """`count` cursors of the connection's driver connection, made once and reused: a
    pipeline needs a cursor per statement (each holds its own result), and making a psycopg
    cursor copies the connection's adapters (~4% of the server's CPU under S3, measured).
    Kept with the pooled connection, for the driver connection they belong to."""
    held = conn.info.get(_CURSORS)
    if held is None or held[0] is not raw:
        held = conn.info[_CURSORS] = (raw, [])
    cursors = held[1]
    while len(cursors) < count:
        cursors.append(raw.cursor())
    return cursors[:count]


def _update_sql(conn: Connection, stmt: Any, params: dict[str, Any]
                ) -> tuple[str, dict[str, Any]]:
    """A PostgreSQL UPDATE built once (no expanding parameters), and its parameters'
    processors."""
    key = ("pg-update", stmt, _keyring(conn))
    found = _PREPARED.get(key)
    if found is None:
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(params))
        found = _PREPARED[key] = (compiled.string, compiled._bind_processors)  # noqa: SLF001
    return found


def _insert_sql(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                ids: bool) -> tuple[str, dict[str, Any]] | None:
    """A PostgreSQL INSERT of one row with these keys (RETURNING its id: `ids`), and its
    parameters' processors; built once per shape. None when a column left out has a
    Python-side default (SQLAlchemy computes those per execution)."""
    keys = tuple(rows[0])
    key = ("pg-insert", table, keys, ids, _keyring(conn))
    found = _PREPARED.get(key, False)
    if found is False:
        stmt = insert(table).returning(table.c.id) if ids else insert(table)
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(keys))
        found = _PREPARED[key] = None if compiled.insert_prefetch else (
            compiled.string, compiled._bind_processors)  # noqa: SLF001
    return found


def drop_pending(conn: Connection) -> None:
    """An engine's `rollback` listener: rows kept for a commit that will not come. (A
    connection already invalidated keeps nothing: what it held is no transaction's now,
    and `commit_pending` checks the transaction too.)"""
    if not conn.invalidated:
        conn.info.pop(_AT_COMMIT, None)
