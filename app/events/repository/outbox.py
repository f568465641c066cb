"""SQL for the outbox: appending in commit order, reading history by cursor,
the relay's bookkeeping of what has been published, and retention.

Cursor = outbox id. A cursor never passes an id that could still appear: SQLite has one
writer at a time; on PostgreSQL ids come from a sequence before commit, so a transaction
may commit a smaller id after a larger one is visible. There every appending transaction
announces, before it takes its ids, a shared advisory lock keyed by the sequence's value
then (`reserve`; shared: appenders never wait for each other), and readers go no further
than `settled_max`: the smallest key still held, else the sequence's value
(docs/architecture.md#the-outbox).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BOOLEAN, INTEGER, DateTime, String, Text, bindparam, func, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, select

from app.events.bus import DomainEvent
from app.events.models import OutboxEvent
from app.events.repository import consumers
from app.persistence.columns import utcnow
from app.persistence.db import json_dumps
from app.persistence.fast import bulk, statements

_IN_FLIGHT = 7_310_002  # arbitrary constant naming the outbox's in-flight advisory locks
Filters = Mapping[str, int | str | None]  # payload key == value (None: missing or null)

# The appender's key: the sequence's value now; every id it takes after is larger.
_RESERVE = text(
    "SELECT pg_advisory_xact_lock_shared(:ns, (CASE WHEN is_called THEN last_value"
    " ELSE 0 END)::integer) FROM outbox_event_id_seq")
# The sequence first, then the locks (the correlated subquery runs per row of `v`): an
# appender whose id is at most `v` either still holds its key (at most its id - 1) or has
# committed, and then the next statement's snapshot sees its rows.
_SETTLED = text(
    "WITH v AS MATERIALIZED (SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS v"
    " FROM outbox_event_id_seq)"
    " SELECT coalesce((SELECT min(l.objid::bigint) FROM pg_locks l"
    "   WHERE l.locktype = 'advisory' AND l.classid = :ns AND l.objsubid = 2"
    "   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    "   AND l.objid::bigint <= v.v), v.v) FROM v")


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def reserve(session: Session) -> None:
    """Announce the ids this transaction is about to take (PostgreSQL; held to its end)."""
    if _postgres(session):
        take_locks_now(session)
        session.execute(_RESERVE, {"ns": _IN_FLIGHT})


# Advisory locks a unit asks for just before its position (the delta sync's customer
# locks): taken by the append's own statement, in its round trip, ahead of the in-flight
# key (docs/architecture.md#round-trips). (namespace, {key: exclusive}); one namespace
# goes with the append, any other on its own.
_PENDING_LOCKS = "crm_outbox_locks"


def lock_with_append(session: Session, namespace: int, keys: Mapping[int, bool]) -> None:
    """Take these advisory locks (key -> exclusive) with the unit's next append, before its
    ids are taken, held to commit (PostgreSQL). `take_locks_now` takes them at once."""
    if keys:
        pending = session.info.setdefault(_PENDING_LOCKS, {})
        merged = pending.setdefault(namespace, {})
        for key, exclusive in keys.items():
            merged[key] = merged.get(key, False) or exclusive


def take_locks_now(session: Session) -> None:
    """Take the locks `lock_with_append` left pending, one statement per namespace."""
    for namespace, keys in (session.info.pop(_PENDING_LOCKS, None) or {}).items():
        session.execute(_LOCK_KEYS, {"lns": namespace, "cs": list(keys),
                                     "xs": list(keys.values())})


# In key order (no two units wait on each other in a cycle): the subquery sorts first.
_LOCKS_SQL = ("SELECT count(CASE WHEN s.x THEN pg_advisory_xact_lock(:lns, s.c)"
              " ELSE pg_advisory_xact_lock_shared(:lns, s.c) END) AS n"
              " FROM (SELECT c, x FROM unnest(:cs, :xs) AS t(c, x) ORDER BY c) s")
_LOCK_BINDS = (bindparam("cs", type_=ARRAY(INTEGER)), bindparam("xs", type_=ARRAY(BOOLEAN)))
_LOCK_KEYS = text(_LOCKS_SQL).bindparams(*_LOCK_BINDS)


def _append_sql(locks: bool) -> Any:
    """One statement: the pending locks (if any), the in-flight key, then the rows in
    order. Each CTE is MATERIALIZED and every inserted row joins `r`, so the locks are held
    before the first id is drawn from the sequence; the key read by `r` may predate the
    wait for `l`, which only makes it smaller (readers stop earlier, never later)."""
    head = f"WITH l AS MATERIALIZED ({_LOCKS_SQL}), " if locks else "WITH "
    sql = (head + "r AS MATERIALIZED (SELECT pg_advisory_xact_lock_shared(:ns, (CASE WHEN"
           " is_called THEN last_value ELSE 0 END)::integer) AS k FROM outbox_event_id_seq"
           + (", l" if locks else "") + ")"
           " INSERT INTO outbox_event (topic, payload, created_at, published_at)"
           " SELECT v.t, v.p::json, :at, :pub FROM r, unnest(:ts, :ps) WITH ORDINALITY"
           " AS v(t, p, o) ORDER BY v.o RETURNING id")
    binds = [bindparam("ts", type_=ARRAY(String)), bindparam("ps", type_=ARRAY(Text)),
             bindparam("at", type_=DateTime), bindparam("pub", type_=DateTime)]
    if locks:
        binds += _LOCK_BINDS
    return text(sql).bindparams(*binds)


_APPEND = {False: _append_sql(False), True: _append_sql(True)}


def _insert_events(session: Session, rows: Sequence[tuple[str, dict]], published: bool
                   ) -> list[int]:
    """The rows (topic, payload) appended; their ids, in order."""
    if not _postgres(session):
        now = utcnow()
        return bulk.insert_ids(session, OutboxEvent.__table__, [
            {"topic": t, "payload": p, "created_at": now, "published_at": now if published
             else None} for t, p in rows])
    return sorted(r[0] for r in statements.changed_rows(
        session, *_append_query(session, rows, published)))


def append_query(session: Session, events: Sequence[DomainEvent], marker: str
                 ) -> statements.Query:
    """PostgreSQL: the append of `events` (with none, of one position marker of topic
    `marker`, as `append_marker` appends it) as a statement and its parameters, pending
    locks included, for a caller that sends it with other statements; it returns the ids
    (sort them)."""
    if not events:
        return _append_query(session, [(marker, {})], published=True)
    return _append_query(session, [(e.topic, e.payload) for e in events], published=False)


def _append_query(session: Session, rows: Sequence[tuple[str, dict]], published: bool
                  ) -> statements.Query:
    now = utcnow()
    pending = session.info.pop(_PENDING_LOCKS, None) or {}
    params: dict[str, Any] = {
        "ns": _IN_FLIGHT, "ts": [t for t, _p in rows], "at": now,
        "ps": [json_dumps(p) for _t, p in rows], "pub": now if published else None}
    if pending:
        namespace, keys = pending.popitem()
        if pending:  # another namespace: on its own, first
            session.info[_PENDING_LOCKS] = pending
            take_locks_now(session)
        params.update(lns=namespace, cs=list(keys), xs=list(keys.values()))
    return _APPEND[bool(params.get("cs"))], params


def settled_max(session: Session) -> int:
    """The newest id a cursor may pass now: every event at or below it that will ever be
    visible is visible to the session's next statement (READ COMMITTED), and none can
    appear there later. SQLite: the newest stored id (one writer)."""
    if not _postgres(session):
        return max_id(session)
    return int(session.execute(_SETTLED, {"ns": _IN_FLIGHT}).scalar_one())


def cursor_bound(session: Session) -> int | None:
    """`settled_max` where a cursor needs one (PostgreSQL); None on SQLite, whose one
    writer commits ids in order (a read needs no bound, and no extra statement)."""
    return settled_max(session) if _postgres(session) else None


def append_last(session: Session, events: Sequence[DomainEvent]) -> list[int]:
    """The unit's events, appended last before commit; their outbox ids, in order.

    The change and its deferred rows are written first, so the ids are taken as late as
    can be: readers wait for an appender between its ids and its commit
    (docs/architecture.md#the-outbox)."""
    bulk.write_deferred(session)
    session.flush()
    return append(session, events)


def append(session: Session, events: Sequence[DomainEvent]) -> list[int]:
    """Insert the events (one statement, the in-flight key and any locks asked for with
    it included); their outbox ids, in order."""
    if not events:
        return []
    return _insert_events(session, [(e.topic, e.payload) for e in events], published=False)


def append_marker(session: Session, topic: str) -> int:
    """One event that only takes a position (the delta sync's, for a unit that emitted
    nothing): stored as published, so neither the relay nor the bus carries it."""
    [marker] = _insert_events(session, [(topic, {})], published=True)
    return marker


def to_event(row: OutboxEvent) -> DomainEvent:
    return DomainEvent(topic=row.topic, payload=row.payload or {}, id=row.id)


def _filtered(stmt, topics: Iterable[str], filters: Filters):  # noqa: ANN001, ANN202
    stmt = stmt.where(OutboxEvent.topic.in_(sorted(topics)))
    for key, value in filters.items():
        element = OutboxEvent.payload[key]
        column = element.as_string() if isinstance(value, str) else element.as_integer()
        stmt = stmt.where(column.is_(None) if value is None else column == value)
    return stmt


def events_after(
    session: Session, after_id: int, topics: Iterable[str], filters: Filters,
    *, upto: int | None = None, limit: int = 500,
) -> list[DomainEvent]:
    """Stored events with `after_id < id <= upto` (None: `settled_max`), oldest first."""
    if upto is None:
        upto = cursor_bound(session)
    stmt = _filtered(select(OutboxEvent).where(OutboxEvent.id > after_id), topics, filters)
    if upto is not None:
        stmt = stmt.where(OutboxEvent.id <= upto)
    rows = session.exec(stmt.order_by(OutboxEvent.id).limit(limit)).all()
    return [to_event(r) for r in rows]


def count_after(session: Session, after_id: int, topics: Iterable[str]) -> int:
    """Stored events of `topics` with `after_id < id` (up to `settled_max`)."""
    stmt = _filtered(select(func.count()).select_from(OutboxEvent)
                     .where(OutboxEvent.id > after_id), topics, {})
    if _postgres(session):
        stmt = stmt.where(OutboxEvent.id <= settled_max(session))
    return session.exec(stmt).one()


def max_id(session: Session) -> int:
    """The newest id stored (visible now); a cursor goes by `settled_max`."""
    return session.exec(select(func.max(OutboxEvent.id))).one() or 0


def mark_published(session: Session, ids: Sequence[int], at: datetime | None = None) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(list(ids)), OutboxEvent.published_at.is_(None))
        .values(published_at=at or utcnow())
    )
    return result.rowcount or 0


def unpublished(session: Session, *, older_than: timedelta, limit: int = 500
                ) -> list[DomainEvent]:
    """Committed events nobody published (a process died after commit), locked
    so that of several relays exactly one publishes each."""
    stmt = (select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None),
                   OutboxEvent.created_at <= utcnow() - older_than)
            .order_by(OutboxEvent.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return [to_event(r) for r in session.exec(stmt).all()]


def unpublished_count(session: Session) -> int:
    stmt = select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published_at.is_(None))
    return session.exec(stmt).one()


def oldest_unpublished(session: Session) -> datetime | None:
    """When the oldest event nobody has published yet was written (the metrics' outbox lag)."""
    stmt = select(func.min(OutboxEvent.created_at)).where(OutboxEvent.published_at.is_(None))
    return session.exec(stmt).one()


# Retention --------------------------------------------------------------------

def min_id(session: Session) -> int | None:
    """The oldest event still stored (None: none)."""
    return session.exec(select(func.min(OutboxEvent.id))).one()


def horizon(session: Session, before: datetime) -> int | None:
    """The oldest event retention keeps: the newest one published before `before`, and
    never one past an event still unpublished (the relay has not taken that one yet) or
    one a durable consumer has not consumed (app/events/repository/consumers.py)."""
    newest = session.exec(select(func.max(OutboxEvent.id))
                          .where(OutboxEvent.published_at < before)).one()
    if newest is None:
        return None
    waiting = session.exec(select(func.min(OutboxEvent.id))
                           .where(OutboxEvent.published_at.is_(None))).one()
    keep = newest if waiting is None else min(newest, waiting)
    position = consumers.lowest(session)
    if position is not None and position < keep:
        # the newest consumed event stays; none at all: nothing below may go yet
        keep = session.exec(select(func.max(OutboxEvent.id))
                            .where(OutboxEvent.id <= position)).one()
    return keep


def purge_below(session: Session, keep_from: int, limit: int = 1000) -> int:
    """Delete up to `limit` of the oldest events below `keep_from` (a `horizon`, which
    stays, so `min_id` tells a resuming subscriber whether its history is whole)."""
    table = OutboxEvent.__table__
    return bulk.delete_oldest(session, table, table.c.id < keep_from, limit=limit)


def history_after(
    session: Session, after_id: int, topics: Iterable[str], filters: Filters, *,
    limit: int = 500,
) -> list[DomainEvent] | None:
    """`events_after` for a subscriber resuming from a cursor; None when retention has
    deleted events after it. Deletion only removes the oldest ids, so reading the oldest
    id after the page tells whether anything after the cursor was gone when it was read."""
    events = events_after(session, after_id, topics, filters, limit=limit)
    oldest = min_id(session)
    if oldest is not None and after_id < oldest - 1:
        return None
    return events
