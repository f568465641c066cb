"""Order history: every change writes an OrderEvent, an audit record and a domain event.

Status changes emit `order.status_changed`; everything else (creation, edits,
notes, partial shipments, payments added later) emits `order.event`. Payloads
follow app/events/topics.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.events import topics
from app.orders import repository as repo
from app.orders.models import Order
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.sync import capture as sync_capture


class EventType(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    NOTE_ADDED = "NOTE_ADDED"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    HELD = "HELD"
    RELEASED = "RELEASED"
    SCHEDULED = "SCHEDULED"
    RESCHEDULED = "RESCHEDULED"
    FULFILLMENT_STARTED = "FULFILLMENT_STARTED"
    SHIPMENT_RECORDED = "SHIPMENT_RECORDED"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    DELIVERY_RECORDED = "DELIVERY_RECORDED"
    DELIVERED = "DELIVERED"
    DELIVERY_CONFIRMED = "DELIVERY_CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


def touch(order: Order) -> None:
    """Every write to an order bumps its version (optimistic concurrency) and time."""
    order.version += 1
    order.updated_at = utcnow()


@dataclass(frozen=True)
class Entry:
    """A history entry as written (the order_event row's columns), without the cost
    of an ORM object: history is append-only and nothing reads it back in the same
    transaction."""

    id: int
    order_id: int
    type: str
    from_status: str | None
    to_status: str | None
    actor_id: int | None
    message: str
    details: dict[str, Any] | None
    created_at: datetime


def _event(uow: UnitOfWork, order: Order, event_type: str, from_status: str | None,
           to_status: str | None, message: str, details: dict[str, Any] | None) -> Entry:
    row = {"order_id": order.id, "type": str(event_type), "from_status": from_status,
           "to_status": to_status, "actor_id": uow.actor_id, "message": message,
           "details": details, "created_at": utcnow()}
    return Entry(id=repo.insert_event(uow.session, row), **row)


def transition(uow: UnitOfWork, order: Order, to_status: str, event_type: str, *,
               message: str = "", details: dict[str, Any] | None = None,
               before: dict[str, Any] | None = None) -> Entry:
    """Move the order to `to_status`; the caller has checked the state machine."""
    before = before if before is not None else snapshot(order)
    from_status = order.status
    order.status = str(to_status)
    touch(order)  # the order is the session's (loaded or inserted): the flush writes it
    event = _event(uow, order, event_type, from_status, order.status, message, details)
    uow.audit(f"order.{str(event_type).lower()}", "Order", order.id, before=before,
              after=snapshot(order))
    uow.emit(topics.ORDER_STATUS_CHANGED, order_id=order.id, customer_id=order.customer_id,
             from_status=from_status, to_status=order.status, actor_id=uow.actor_id,
             order_event_id=event.id, at=event.created_at.isoformat(), message=message)
    return event


def record(uow: UnitOfWork, order: Order, event_type: str, *, message: str = "",
           details: dict[str, Any] | None = None, before: dict[str, Any] | None = None,
           audit: bool = True) -> Entry:
    """A change that leaves the status as it is (creation, edit, note, partial shipment)."""
    event = _event(uow, order, event_type, None, None, message, details)
    if audit:
        uow.audit(f"order.{str(event_type).lower()}", "Order", order.id, before=before,
                  after=snapshot(order))
    else:  # the delta sync is told all the same (docs/architecture.md#delta-sync)
        sync_capture.touch(uow, "Order", [order.id])
    uow.emit(topics.ORDER_EVENT, order_id=order.id, customer_id=order.customer_id,
             order_event_id=event.id, type=event.type, at=event.created_at.isoformat())
    return event
