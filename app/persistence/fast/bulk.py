"""Append-only rows written with Core inserts instead of ORM objects.

Audit records, stock movements and allocations are written once
and never read back by the transaction that writes them. Building an ORM object
and flushing it costs far more than the INSERT itself (docs/architecture.md
#the-unit-of-work), so such rows are buffered per session (`defer`) and inserted with
one executemany per table just before commit (`write_deferred`, called by the
unit of work; a `before_commit` hook catches any other commit). Rows deferred
inside a savepoint that rolls back are dropped with it.

`insert_ids` inserts rows at once and returns their ids in row order, for rows
whose id is needed right away (history entries, notifications, outbox events; a new
ORM object's row: app/persistence/fast/objects.py).
`delete_oldest` is the other end of such rows' life: retention (app/events/housekeeping.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, delete, event, insert, select
from sqlmodel import Session

from app.persistence.fast import driver, pg

_ROWS = "crm_deferred_rows"
_MARKS = "crm_deferred_marks"
# Statements per table, built once: building one costs more than running it.
_INSERT: dict[Table, Any] = {}
_RETURNING: dict[tuple[Table, bool], Any] = {}


def _insert(table: Table) -> Any:
    stmt = _INSERT.get(table)
    if stmt is None:
        stmt = _INSERT[table] = driver.plain_insert(table)
    return stmt


def _returning(table: Table, ordered: bool) -> Any:
    stmt = _RETURNING.get((table, ordered))
    if stmt is None:
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=ordered)
        _RETURNING[(table, ordered)] = stmt
    return stmt


def defer(session: Session, table: Table, row: dict[str, Any]) -> None:
    """Insert `row` into `table` before this session's transaction commits.

    Every row of one table must carry the same keys (one executemany per table).
    """
    session.info.setdefault(_ROWS, []).append((table, row))


def pending(session: Session, table: Table) -> list[dict[str, Any]]:
    """Rows of `table` deferred and not yet written (for tests and diagnostics)."""
    return [row for t, row in session.info.get(_ROWS, ()) if t is table]


def take(session: Session, table: Table) -> list[dict[str, Any]]:
    """Remove the rows of `table` deferred and not yet written, and return them: for a
    caller that inserts them itself, just before commit (the delta sync needs their ids)."""
    rows = session.info.get(_ROWS)
    if not rows:
        return []
    taken = [row for t, row in rows if t is table]
    if taken:
        rows[:] = [(t, row) for t, row in rows if t is not table]
    return taken


def write_deferred(session: Session) -> None:
    """Insert every deferred row: one executemany per table, in first-use order."""
    connection = driver.connection_of(session)
    for table, group in take_all(session):
        driver.execute(connection, _insert(table), group)


def take_all(session: Session) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Every deferred row, taken out to be written now by the caller: (table, rows with
    the same keys) in first-use order. Pending objects are flushed first (rows may
    reference them)."""
    rows = session.info.get(_ROWS)
    if not rows:
        return []
    session.flush()  # rows may reference objects still pending in the session
    session.info[_ROWS] = []
    # Written rows now belong to the database transaction (and its savepoints):
    # only rows deferred from here on are in the buffer for a savepoint to drop.
    marks = session.info.get(_MARKS)
    for transaction in list(marks or ()):
        marks[transaction] = 0
    by_table: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for table, row in rows:
        by_table.setdefault((table, tuple(row)), []).append(row)
    return [(table, group) for (table, _keys), group in by_table.items()]


def insert_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert `rows` (same keys each) in one statement; their ids, in row order.

    Runs on the session's connection without an autoflush (which would write
    pending changes early, often as an extra UPDATE): rows may reference only
    rows that are already in the database.
    """
    if not rows:
        return []
    connection = driver.connection_of(session)
    fast = driver.insert_ids(connection, table, rows)
    if fast is not None:
        return fast
    if connection.dialect.name == "postgresql":
        # on psycopg in one statement, an array per column (app/persistence/fast/pg.py
        # `insert_batch`): one prepared form whatever the count, where a multi-row VALUES
        # differs with every row count
        found = pg.insert_batch(connection, (), [(table, rows)])
        if found is not None:
            return found[0][0]
        return list(connection.execute(_returning(table, True), list(rows)).scalars())
    if len(rows) == 1:
        return [connection.execute(_returning(table, False), rows[0]).scalar_one()]
    # SQLite: one writer at a time and rows of a multi-row VALUES are numbered in
    # order (max(rowid) + 1 each), so the ids sorted are the ids in row order
    # (RETURNING itself promises no order; SQLAlchemy would fall back to a
    # statement per row to guarantee one).
    return sorted(connection.execute(_returning(table, False), list(rows)).scalars())


# Savepoints: remember how many rows were deferred when each began, so that a
# savepoint rolled back drops what was deferred inside it.

@event.listens_for(Session, "after_transaction_create")
def _mark(session: Session, transaction: Any) -> None:
    if transaction.nested:
        marks = session.info.get(_MARKS)
        if marks is None:
            marks = session.info[_MARKS] = weakref.WeakKeyDictionary()
        marks[transaction] = len(session.info.get(_ROWS, ()))


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, transaction: Any) -> None:
    rows = session.info.get(_ROWS)
    if not rows:
        return
    boundary = transaction
    while not boundary.nested and boundary.parent is not None:
        boundary = boundary.parent
    keep = session.info[_MARKS].get(boundary, 0) if boundary.nested else 0
    del rows[keep:]


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # releasing a savepoint is no commit
        write_deferred(session)


def delete_oldest(session: Session, table: Table, *where: Any, limit: int = 1000) -> int:
    """Delete up to `limit` rows matching `where`, lowest ids first; how many were deleted.
    Bounded, so a large backlog is deleted in short transactions."""
    oldest = select(table.c.id).where(*where).order_by(table.c.id).limit(limit)
    return session.execute(delete(table).where(table.c.id.in_(oldest))).rowcount or 0
