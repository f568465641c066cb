"""The customer 360 timeline: orders, shipments, payments, returns, activities, order
events (notes, status changes) and notifications of one customer, newest first, as one
UNION ALL with keyset pages: one statement per page whatever its size
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import String, cast, literal_column, union_all
from sqlmodel import Session, select

from app.activities.models import Activity
from app.activities.repository.activities import scope as activity_scope
from app.auth.principal import Principal
from app.notifications.models import Notification
from app.orders.models import Order, OrderEvent
from app.payments.models import Payment
from app.persistence.repository import Page, PageRequest, paginate
from app.returns.models import ReturnRequest
from app.shipping.models import Shipment


class TimelineKind(StrEnum):
    ORDER = "ORDER"
    ORDER_EVENT = "ORDER_EVENT"
    SHIPMENT = "SHIPMENT"
    PAYMENT = "PAYMENT"
    RETURN = "RETURN"
    ACTIVITY = "ACTIVITY"
    NOTIFICATION = "NOTIFICATION"


def _kind(kind: TimelineKind) -> Any:
    return literal_column(f"'{kind.value}'", String).label("kind")


def _row(kind: TimelineKind, entry_id: Any, at: Any, title: Any, detail: Any) -> Any:
    return select(_kind(kind), entry_id.label("entry_id"), at.label("at"),
                  cast(title, String).label("title"), cast(detail, String).label("detail"))


def _branches(customer_id: int, principal: Principal, kinds: set[str] | None) -> list[Any]:
    of_orders = select(Order.id).where(Order.customer_id == customer_id).scalar_subquery()
    branches = {
        TimelineKind.ORDER: _row(TimelineKind.ORDER, Order.id, Order.created_at, Order.number,
                                 Order.status).where(Order.customer_id == customer_id),
        TimelineKind.ORDER_EVENT: _row(
            TimelineKind.ORDER_EVENT, OrderEvent.id, OrderEvent.created_at, OrderEvent.type,
            OrderEvent.message).where(OrderEvent.order_id.in_(of_orders)),
        TimelineKind.SHIPMENT: _row(
            TimelineKind.SHIPMENT, Shipment.id, Shipment.created_at, Shipment.number,
            Shipment.status).where(Shipment.order_id.in_(of_orders)),
        TimelineKind.PAYMENT: _row(TimelineKind.PAYMENT, Payment.id, Payment.created_at,
                                   Payment.kind, Payment.amount)
        .where(Payment.customer_id == customer_id),
        TimelineKind.RETURN: _row(
            TimelineKind.RETURN, ReturnRequest.id, ReturnRequest.created_at,
            ReturnRequest.number, ReturnRequest.status)
        .where(ReturnRequest.customer_id == customer_id),
        # activities by the caller's activity scope (SALES: their own)
        TimelineKind.ACTIVITY: activity_scope(_row(
            TimelineKind.ACTIVITY, Activity.id, Activity.created_at, Activity.title,
            Activity.kind).where(Activity.customer_id == customer_id), principal),
        TimelineKind.NOTIFICATION: _row(
            TimelineKind.NOTIFICATION, Notification.id, Notification.created_at,
            Notification.subject, Notification.channel)
        .where(Notification.customer_id == customer_id),
    }
    return [b for k, b in branches.items() if kinds is None or k.value in kinds]


def customer_timeline(session: Session, principal: Principal, customer_id: int,
                      kinds: set[str] | None, page: PageRequest) -> Page[Any]:
    """A page of the customer's timeline, newest first (ties: kind, then id, descending).
    The caller has checked that the customer is in the principal's scope."""
    branches = _branches(customer_id, principal, kinds)
    if not branches:
        return Page(items=[], cursors=[], has_next=False, has_previous=False,
                    total=0 if page.with_total else None)
    entries = union_all(*branches).subquery("timeline")
    sort = [(entries.c.at, True), (entries.c.kind, True)]
    return paginate(session, select(*entries.c), sort, page, entries.c.entry_id)
