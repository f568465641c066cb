"""SQL for an order's history rows (order_event): append-only, written in one statement
each, read in batches by the dataloaders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from app.orders.models import OrderEvent
from app.persistence.fast import bulk, statements
from app.persistence.repository import grouped

_TABLE = OrderEvent.__table__


_IDS = "crm_order_event_ids"  # ids drawn ahead for this unit's history rows (Session.info)
# PostgreSQL: ids drawn from the history's sequence ahead, in a step's read-ahead round trip
NEXT_IDS = text("SELECT nextval('order_event_id_seq') FROM generate_series(1, :n)")


def next_ids_query(count: int) -> statements.Query:
    return NEXT_IDS, {"n": count}


def draw_ids(session: Session, count: int) -> None:
    """Draw `count` ids for the unit's next history rows (PostgreSQL; read ahead with the
    step's other reads: app/orders/repository/ahead.py). A row with a drawn id is written
    with the unit's last rows, in their round trip, instead of on its own: nothing in the
    unit reads history rows back (docs/architecture.md#round-trips)."""
    ids = [row[0] for row in statements.rows(session, *next_ids_query(count))]
    session.info.setdefault(_IDS, []).extend(ids)


def insert_event(session: Session, row: dict[str, Any]) -> int:
    """INSERT one history row (all of its columns but the id); its id. With an id drawn
    ahead (`draw_ids`), the row is written before commit with the unit's other rows."""
    drawn = session.info.get(_IDS)
    if drawn:
        event_id = drawn.pop(0)
        bulk.defer(session, _TABLE, {"id": event_id, **row})
        return event_id
    [event_id] = bulk.insert_ids(session, _TABLE, [row])
    return event_id


def events_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[OrderEvent]]:
    stmt = select(OrderEvent).where(OrderEvent.order_id.in_(list(ids))).order_by(
        OrderEvent.order_id, OrderEvent.id)
    return grouped(session.exec(stmt), "order_id")


def events_by_ids(session: Session, ids: Sequence[int]) -> dict[int, OrderEvent]:
    return {x.id: x for x in session.exec(select(OrderEvent).where(OrderEvent.id.in_(list(ids))))}
