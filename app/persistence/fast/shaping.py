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
