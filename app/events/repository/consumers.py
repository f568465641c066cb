"""SQL for durable consumers of the outbox: a consumer reads the events after its position,
writes what it makes of them, and moves its position in that same transaction, so each
event is consumed exactly once however many processes run the consumer and whenever one
of them stops. A position moves no further than the outbox's `settled_max` (outbox.py beside this
module), so it never skips an event committed later."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app.events.models import OutboxConsumer
from app.persistence.columns import utcnow

_TABLE = OutboxConsumer.__table__


def position(session: Session, name: str) -> int:
    """Every event up to this id is done (0: none; a consumer without a row starts there)."""
    found = session.execute(select(_TABLE.c.position).where(_TABLE.c.name == name)).scalar()
    return found or 0


def exists(session: Session, name: str) -> bool:
    return session.execute(select(_TABLE.c.name).where(_TABLE.c.name == name)).first() \
        is not None


def advance(session: Session, name: str, expected: int, to: int) -> bool:
    """Move from `expected` to `to`; False when another process moved it first (then the
    caller's transaction must write nothing of its own and roll back). On PostgreSQL the
    UPDATE's row lock makes a second consumer wait for the first to commit, then miss."""
    moved = session.execute(
        update(_TABLE).where(_TABLE.c.name == name, _TABLE.c.position == expected)
        .values(position=to, updated_at=utcnow())).rowcount
    if moved:
        return True
    if expected != 0 or session.execute(
            select(_TABLE.c.name).where(_TABLE.c.name == name)).first() is not None:
        return False
    # a database without the row (created before the consumer existed): its first move
    session.add(OutboxConsumer(name=name, position=to))
    session.flush()
    return True


def forget(session: Session, name: str, expected: int) -> bool:
    """Drop a consumer's row at `expected` (a consumer with nothing to consume, so that it
    holds no events back from retention); False when another process moved it first."""
    return bool(session.execute(delete(_TABLE).where(
        _TABLE.c.name == name, _TABLE.c.position == expected)).rowcount)


def lowest(session: Session) -> int | None:
    """The lowest position of any consumer (None: no consumers): retention keeps what
    comes after it."""
    return session.execute(select(func.min(_TABLE.c.position))).scalar()


def positions(session: Session) -> dict[str, int]:
    """Every durable consumer's position (the metrics' lag per consumer)."""
    rows = session.execute(select(_TABLE.c.name, _TABLE.c.position))
    return {name: at for name, at in rows}
