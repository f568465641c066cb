"""The write path on PostgreSQL, on psycopg: round trips saved (docs/architecture.md#round-trips).

Reads named ahead go in one pipeline (`prefetch`) and are served once to the reads that
follow; a unit's last rows go in one pipeline (`insert_batch`), the delta sync's change rows
with the COMMIT (`insert_at_commit`); single statements run on psycopg too (`pg_rows`).
Statements are compiled by SQLAlchemy once per shape (IN-list lengths) and each execution
only lays out its parameters; several rows of a table go as one INSERT of arrays. Statement
events still fire, and driver errors go through SQLAlchemy's own handling
(`raise_handled`), as from `Connection.execute`. Only inside a transaction SQLAlchemy began.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from typing import Any, NoReturn

from sqlalchemy import ARRAY, Connection, Table, exc, insert

from app.persistence.fast.shaping import (
    PREPARED,
    bind_sources,
    converted,
    expanding_shape,
    keyring,
    run_on,
)


def raise_handled(conn: Connection, error: Exception, sql: str | None, args: Any) -> NoReturn:
    """A driver's error on PostgreSQL through SQLAlchemy's own handling, as if
    `Connection.execute` had met it: wrapped (`OperationalError`, ...), a lost connection
    invalidating the pool, the engine's handle_error hooks run (a cancelled statement
    becomes the request's budget running out)."""
    conn._handle_dbapi_exception(error, sql, args, None, None)  # noqa: SLF001


def usable(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.in_transaction()


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


def take_prefetched(conn: Connection, stmt: Any, params: dict[str, Any]) -> list | None:
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
    if usable(conn):
        found = pg_rows(conn, stmt, params)
        if found is not None:
            return found
    return [tuple(r) for r in conn.execute(stmt, params)]


def serve_as(conn: Connection, ahead: tuple[Any, dict[str, Any]],
             ask: tuple[Any, dict[str, Any]]) -> None:
    """Rows read ahead by one query, kept for another that reads the same rows and is only
    known once earlier rows are in (the approval's products by its order, asked for by
    their ids): served to `ask` as they would have been to `ahead`. Nothing when they are
    not kept (SQLite, a write since, or asked for already)."""
    held = conn.info.get(_PREFETCHED)
    if held is not None and held[0] is conn.get_transaction():
        rows = held[1].pop(_key(*ahead), None)
        if rows is not None:
            held[1][_key(*ask)] = rows


def drop_prefetched(conn: Connection) -> None:
    """A write: rows read ahead may no longer be what a read would find."""
    conn.info.pop(_PREFETCHED, None)


def _pg_select(conn: Connection, stmt: Any, params: dict[str, Any]
               ) -> tuple[str, dict[str, Any], Any] | None:
    """A PostgreSQL statement's SQL (psycopg's named placeholders, IN lists expanded), its
    parameters processed by their types, and its shape (the compiled form, its result
    processors); None where IN lists are sets. The SQL and where each parameter comes from
    are worked out once per statement and list lengths, as `_prepare_select` does."""
    shape = expanding_shape(params)
    if shape is None:
        return None
    key = ("pg-select", stmt, shape, keyring(conn))
    found = PREPARED.get(key, False)
    if found is False:
        found = PREPARED[key] = _pg_shape(conn, stmt, params)
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
    found = bind_sources(conn, stmt, params)
    if found is None:
        return None
    compiled, expanded, sources = found
    return [compiled, None, _binary_arrays(expanded.statement, compiled),
            tuple((name, *source) for name, source in sources.items())]


def _binary_arrays(sql: str, compiled: Any) -> str:
    """The statement with its ARRAY parameters sent in binary (`%(name)b`): psycopg escapes
    each element of an array sent as text with a regular expression, which cost more than
    the round trip for a unit's outbox payloads (measured)."""
    for name, bind in compiled.binds.items():
        if isinstance(bind.type, ARRAY):
            sql = sql.replace(f"%({name})s", f"%({name})b")
    return sql


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
    return converted(cursor.fetchall(), _pg_results(conn, shaped, cursor))


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
    return _fetched(conn, _run(conn, sql, args, many=False), found)


def insert_many(conn: Connection, found: tuple[str, dict[str, Any], bool],
                rows: Sequence[dict[str, Any]]) -> None:
    """`rows` inserted by a statement `insert_sql` built, on PostgreSQL's driver, in one
    round trip."""
    sql, procs, arrays = found
    _run(conn, sql, _insert_args(procs, rows, arrays), many=not arrays)


def _run(conn: Connection, sql: str, args: Any, *, many: bool) -> Any:
    """One statement (or an executemany) on the connection's reused cursor, seen by the
    statement events, a driver error through SQLAlchemy's handling; the cursor."""
    cursor = pipeline_cursors(conn, conn.connection.driver_connection, 1)[0]
    try:
        run_on(conn, cursor, sql, args, many=many)
    except conn.dialect.loaded_dbapi.Error as error:
        raise_handled(conn, error, sql, args)
    return cursor


# Rows inserted with the COMMIT: one round trip for both (PostgreSQL) ----------------------

_AT_COMMIT = "crm_at_commit"


def insert_at_commit(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """Insert `rows` (same keys each) in the COMMIT's round trip: psycopg's pipeline mode
    sends them and the COMMIT together, and an error in them rolls the transaction back
    instead (a failed statement aborts the rest of a pipeline). For rows nothing in the
    transaction reads or checks before commit (the delta sync's change log). PostgreSQL
    only: False elsewhere, and the caller inserts them itself
    (docs/architecture.md#round-trips)."""
    if conn.dialect.name != "postgresql" or not rows or \
            insert_sql(conn, table, rows[:1], False) is None:  # needs Python-side defaults
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
        sql, procs, arrays = insert_sql(conn, table, rows, False)  # checked when kept
        statements.append((sql, _insert_args(procs, rows, arrays), arrays))
    try:
        with raw.pipeline():
            for cursor, (sql, args, arrays) in zip(
                    pipeline_cursors(conn, raw, len(statements)), statements, strict=True):
                if listeners:
                    listeners(conn, cursor, sql, args, None, not arrays)
                if arrays:
                    cursor.execute(sql, args)
                else:
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
                 tails: Sequence[tuple[Any, dict[str, Any]]] = (),
                 heads: Sequence[tuple[Any, dict[str, Any]]] = ()
                 ) -> tuple[list[list[int]], list[int], list[list[tuple]],
                            list[list[tuple]]] | None:
    """Run `updates` (UPDATEs built once, with their parameters) and insert several tables'
    rows (the rows of each table with the same keys) in one round trip (psycopg's pipeline
    mode): `heads` first, the updates, the `plain` rows, the `returning` ones, then `tails`
    (`heads` and `tails`: statements built once that return rows, with their parameters).
    Returns the ids of each `returning` table's rows, in row order, the rows each update
    changed, and the rows of each tail and of each head. PostgreSQL only: None elsewhere,
    or where a statement cannot go so."""
    if conn.dialect.name != "postgresql" or not (plain or returning or updates or tails
                                                 or heads):
        return None
    drop_prefetched(conn)
    raw = conn.connection.driver_connection
    listeners = conn.dispatch.before_cursor_execute
    work = [(_update_sql(conn, stmt, params), [params], None) for stmt, params in updates]
    work += [(insert_sql(conn, t, rows, False), rows, False) for t, rows in plain if rows]
    work += [(insert_sql(conn, t, rows, True), rows, True) for t, rows in returning]
    first = [_pg_select(conn, stmt, params) for stmt, params in heads]
    last = [_pg_select(conn, stmt, params) for stmt, params in tails]
    if any(sql is None for sql, _rows, _ids in work) or None in first or None in last:
        return None  # a column left to its Python-side default: SQLAlchemy's to fill
    cursors = []
    free = pipeline_cursors(conn, raw, len(first) + len(work) + len(last))
    head_cursors, free = free[:len(first)], free[len(first):]
    tail_cursors = free[len(work):]
    try:
        with raw.pipeline():
            for cursor, (sql, args, _found) in zip(head_cursors, first, strict=True):
                _send(conn, listeners, cursor, sql, args)
            for cursor, (shape, rows, ids) in zip(free, work, strict=False):
                if ids is None:  # an UPDATE
                    sql, procs = shape
                    _send(conn, listeners, cursor, sql, {
                        k: (v if (p := procs.get(k)) is None else p(v))
                        for k, v in rows[0].items()})
                    cursors.append((cursor, None))
                    continue
                sql, procs, arrays = shape
                args = _insert_args(procs, rows, arrays)
                if listeners:
                    listeners(conn, cursor, sql, args, None, not arrays)
                if arrays:
                    cursor.execute(sql, args)
                elif len(args) == 1:
                    cursor.execute(sql, args[0])
                else:
                    cursor.executemany(sql, args, returning=ids)
                cursors.append((cursor, ids))
            for cursor, (sql, args, _found) in zip(tail_cursors, last, strict=True):
                _send(conn, listeners, cursor, sql, args)
        head_rows = [_fetched(conn, cursor, shape) for cursor, (_sql, _args, shape)
                     in zip(head_cursors, first, strict=True)]
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
            found.append(sorted(taken))
        tail_rows = [_fetched(conn, cursor, shape) for cursor, (_sql, _args, shape)
                     in zip(tail_cursors, last, strict=True)]
    except conn.dialect.loaded_dbapi.Error as error:
        raise_handled(conn, error, (first or last or [(None,)])[0][0], None)
    for listener in ROUND_TRIP_LISTENERS:
        listener(len(first) + len(work) + len(last) - 1)
    return found, changed, tail_rows, head_rows


def _send(conn: Connection, listeners: Any, cursor: Any, sql: str, args: Any) -> None:
    if listeners:
        listeners(conn, cursor, sql, args, None, False)
    cursor.execute(sql, args)


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
    key = ("pg-update", stmt, keyring(conn))
    found = PREPARED.get(key)
    if found is None:
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(params))
        found = PREPARED[key] = (compiled.string, compiled._bind_processors)  # noqa: SLF001
    return found


# From this many rows a table's rows go as one INSERT of arrays; fewer go one statement per
# row in the pipeline: psycopg's array dumping (Python) cost more than the few statements it
# saves, at the 2-4 rows of a unit of work (measured with S3's units, ~5% of their CPU).
ARRAYS_FROM = 8


def insert_sql(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
                ids: bool) -> tuple[str, dict[str, Any], bool] | None:
    """A PostgreSQL INSERT of rows with these keys (RETURNING their ids: `ids`), its
    parameters' processors, and whether it takes each column's values as one array
    (`ARRAYS_FROM` rows or more: `unnest`, one statement whatever the count, where an
    executemany costs the driver a statement per row); built once per shape. None when a
    column left out has a Python-side default (SQLAlchemy computes those per execution)."""
    keys = tuple(rows[0])
    arrays = len(rows) >= ARRAYS_FROM
    key = ("pg-insert", table, keys, ids, arrays, keyring(conn))
    found = PREPARED.get(key, False)
    if found is False:
        stmt = insert(table).returning(table.c.id) if ids else insert(table)
        compiled = stmt.compile(dialect=conn.dialect, column_keys=list(keys))
        sql = _unnest_insert(conn, table, keys, ids) if arrays else compiled.string
        found = PREPARED[key] = None if compiled.insert_prefetch else (
            sql, compiled._bind_processors, arrays)  # noqa: SLF001
    return found


def _unnest_insert(conn: Connection, table: Table, keys: Sequence[str], ids: bool) -> str:
    """INSERT ... SELECT FROM unnest(one array per column) in the rows' order: ids drawn in
    that order, so sorted they are the rows' (as the outbox append relies on)."""
    quote = conn.dialect.identifier_preparer.quote
    columns = [table.c[k] for k in keys]
    names = ", ".join(quote(c.name) for c in columns)
    arrays = ", ".join(f"%({k})b::{c.type.compile(dialect=conn.dialect)}[]"  # binary: as above
                       for k, c in zip(keys, columns, strict=True))
    alias = ", ".join(f"c{i}" for i in range(len(keys)))
    return (f"INSERT INTO {conn.dialect.identifier_preparer.format_table(table)} ({names})"
            f" SELECT {alias} FROM unnest({arrays}) WITH ORDINALITY AS v({alias}, o)"
            " ORDER BY o" + (" RETURNING id" if ids else ""))


def _insert_args(procs: dict[str, Any], rows: Sequence[dict[str, Any]], arrays: bool) -> Any:
    """The parameters of `insert_sql`'s statement: an array per column, or one set per row."""
    if arrays:
        return {k: [r[k] for r in rows] if (p := procs.get(k)) is None else
                [p(r[k]) for r in rows] for k in rows[0]}
    return [{k: (v if (p := procs.get(k)) is None else p(v)) for k, v in r.items()}
            for r in rows]


def drop_pending(conn: Connection) -> None:
    """An engine's `rollback` listener: rows kept for a commit that will not come. (A
    connection already invalidated keeps nothing: what it held is no transaction's now,
    and `commit_pending` checks the transaction too.)"""
    if not conn.invalidated:
        conn.info.pop(_AT_COMMIT, None)
