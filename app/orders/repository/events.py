"""SQL for an order's history rows (order_event): append-only, written in one statement
each, read in batches by the dataloaders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from app.orders.models import OrderEvent
from app.persistence.fast import bulk
from app.persistence.repository import grouped

_TABLE = OrderEvent.__table__


def insert_event(session: Session, row: dict[str, Any]) -> int:
    """INSERT one history row (all of its columns but the id); its id."""
    [event_id] = bulk.insert_ids(session, _TABLE, [row])
    return event_id


def events_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[OrderEvent]]:
    stmt = select(OrderEvent).where(OrderEvent.order_id.in_(list(ids))).order_by(
        OrderEvent.order_id, OrderEvent.id)
    return grouped(session.exec(stmt), "order_id")


def events_by_ids(session: Session, ids: Sequence[int]) -> dict[int, OrderEvent]:
    return {x.id: x for x in session.exec(select(OrderEvent).where(OrderEvent.id.in_(list(ids))))}
