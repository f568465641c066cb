"""What the fast paths share (app/persistence/fast/driver.py for SQLite, pg.py for
PostgreSQL): prepared forms kept per statement, the shape of a statement's IN lists, and
rows converted by their columns' result processors."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import Connection

# Prepared, PreparedSelect, _RowsLayout, or None: not preparable. Keyed by the engine's
# keyring too: the encrypted columns' processors are its (app/persistence/crypto.py), and
# a process may hold databases with and without one.
PREPARED: dict[Hashable, Any] = {}


def keyring(conn: Connection) -> Any:
    return getattr(conn.dialect, "crm_keyring", None)


# Longer IN lists go through SQLAlchemy, which expands them at each execution: a prepared
# form per length would keep a statement string per length ever seen (bounded memory).
MAX_PREPARED_LIST = 64
_LISTS, _SETS = (list, tuple), (set, frozenset)


def expanding_shape(params: dict[str, Any]) -> tuple | None:
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


def converted(rows: list[tuple], results: Any) -> list[tuple]:
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


def bind_sources(conn: Connection, stmt: Any, params: dict[str, Any]
                 ) -> tuple[Any, Any, dict[str, tuple]] | None:
    """`stmt` compiled and expanded for the IN-list lengths of `params`: (compiled, expanded
    state, {placeholder: (parameter name, index in its list, constant, bind processor)}),
    a placeholder without a parameter name being a constant of the statement (processed
    once, here); None where values are rendered into the SQL (nothing to reuse)."""
    compiled = stmt.compile(dialect=conn.dialect)
    if compiled.literal_execute_params:
        return None
    expanded = compiled.construct_expanded_state(params)
    owner = {name: (source, i) for source, names in expanded.parameter_expansion.items()
             for i, name in enumerate(names)}
    # the statement's own processors, and those of the items its IN lists expanded into
    processors = {**compiled._bind_processors, **expanded.processors}  # noqa: SLF001
    sources = {}
    for name, value in expanded.parameters.items():
        process = processors.get(name)
        if name in params:
            sources[name] = (name, None, None, process)
        elif name in owner and owner[name][0] in params:
            sources[name] = (owner[name][0], owner[name][1], None, process)
        else:
            sources[name] = (None, None, value if process is None else process(value), None)
    return compiled, expanded, sources


def run_on(conn: Connection, cursor: Any, sql: str, args: Any, *, many: bool) -> None:
    """Run on `cursor`, seen by the statement events (the statement counters, the engine's
    too) as `Connection.execute` would be; the caller handles a driver error."""
    listeners = conn.dispatch.before_cursor_execute
    if listeners:  # asked first: calling an empty collection costs a few us a statement
        listeners(conn, cursor, sql, args, None, many)
    if many:
        cursor.executemany(sql, args)
    else:
        cursor.execute(sql, args)
