"""Order flow: time spent in each status (from the order history, `order_event`: every
transition writes one with its `to_status`), p50/p90 nearest-rank in SQL, per status and
optionally per warehouse; why orders were cancelled or rejected
(docs/architecture.md#analytics)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, case, cast, func, null
from sqlmodel import Session, select

from app.analytics.models import Window
from app.analytics.repository.localtime import Dialect, nearest_rank
from app.auth.principal import Principal
from app.customers import repository as customers
from app.inventory.models import Warehouse
from app.orders.models import Order, OrderAllocation, OrderEvent, OrderStatus


def status_durations(session: Session, principal: Principal, window: Window,
                     by_warehouse: bool) -> list[Any]:
    """(status, warehouse id, warehouse name, transitions, avg, p50, p90 hours) for the
    stays in a status entered within the window and since left; one statement."""
    dialect = Dialect(session.get_bind().dialect.name, window)
    left = func.lead(OrderEvent.created_at).over(
        partition_by=OrderEvent.order_id, order_by=(OrderEvent.created_at, OrderEvent.id))
    stays = (select(OrderEvent.order_id, OrderEvent.to_status.label("status"),
                    OrderEvent.created_at.label("entered"), left.label("left"))
             .where(OrderEvent.to_status.is_not(None), OrderEvent.created_at >= window.start)
             .subquery())
    warehouse = (select(func.min(OrderAllocation.warehouse_id))
                 .where(OrderAllocation.order_id == stays.c.order_id).scalar_subquery())
    hours = dialect.hours(stays.c.entered, stays.c.left)
    where = warehouse if by_warehouse else cast(null(), Integer)
    durations = (select(stays.c.status, where.label("warehouse"), hours.label("h"))
                 .join(Order, Order.id == stays.c.order_id)
                 .where(stays.c.entered < window.end, stays.c.left.is_not(None)))
    durations = customers.of_visible_customers(durations, principal, Order.customer_id)
    d = durations.subquery()
    part = (d.c.status, d.c.warehouse)
    ranked = select(d, func.row_number().over(partition_by=part, order_by=d.c.h).label("rn"),
                    func.count().over(partition_by=part).label("n")).subquery()
    stmt = (select(ranked.c.status, ranked.c.warehouse, func.max(Warehouse.name).label("name"),
                   func.count().label("transitions"), func.avg(ranked.c.h).label("avg"),
                   func.max(case((nearest_rank(1, 2, ranked.c.rn, ranked.c.n), ranked.c.h)))
                   .label("p50"),
                   func.max(case((nearest_rank(9, 10, ranked.c.rn, ranked.c.n), ranked.c.h)))
                   .label("p90"))
            .outerjoin(Warehouse, Warehouse.id == ranked.c.warehouse)
            .group_by(ranked.c.status, ranked.c.warehouse)
            .order_by(ranked.c.status, ranked.c.warehouse))
    return list(session.exec(stmt).all())


CLOSED = (OrderStatus.CANCELLED.value, OrderStatus.REJECTED.value)


def close_reasons(session: Session, principal: Principal, window: Window) -> list[Any]:
    """(status, reason, orders, customers) of the orders placed in the window that were
    cancelled or rejected, most frequent first."""
    reason = func.coalesce(Order.close_reason, "")
    stmt = (select(Order.status, reason.label("reason"), func.count().label("orders"),
                   func.count(Order.customer_id.distinct()).label("people"))
            .where(Order.status.in_(CLOSED), Order.created_at >= window.start,
                   Order.created_at < window.end)
            .group_by(Order.status, reason).order_by(func.count().desc(), Order.status, reason))
    stmt = customers.of_visible_customers(stmt, principal, Order.customer_id)
    return list(session.exec(stmt).all())
