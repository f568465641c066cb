"""Inventory measures from the stock movement ledger (the truth: its sums are the levels,
app/inventory/models.py) and the reservations of open orders
(docs/architecture.md#analytics)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from app.analytics.models import Window
from app.analytics.repository.localtime import Dialect
from app.auth.principal import Principal
from app.catalog.models import Product
from app.inventory.models import MovementKind, StockLevel, StockMovement, Warehouse
from app.orders.models import Order, OrderAllocation
from app.orders.workflow import RESERVED_STATES

SHIPPED = MovementKind.SHIPMENT.value


def _key(by: str) -> tuple[Any, Any, tuple[Any, Any] | None]:
    """(key column of the movement, label, join) for PRODUCT, WAREHOUSE or CATEGORY."""
    if by == "WAREHOUSE":
        return StockMovement.warehouse_id, Warehouse.name, (
            Warehouse, Warehouse.id == StockMovement.warehouse_id)
    if by == "CATEGORY":
        return Product.category, Product.category, (
            Product, Product.id == StockMovement.product_id)
    return StockMovement.product_id, Product.name, (
        Product, Product.id == StockMovement.product_id)


def _scoped(stmt: Any, principal: Principal, column: Any) -> Any:
    if principal.warehouse_scope is not None:
        stmt = stmt.where(column.in_(sorted(principal.warehouse_scope)))
    return stmt


def flows(session: Session, principal: Principal, window: Window, by: str) -> list[Any]:
    """(key, label, opening, closing, shipped units, last shipped at) per group: the ledger's
    balance when the window starts and ends, the units shipped within it."""
    key, label, (table, on) = _key(by)
    delta = StockMovement.on_hand_delta
    inside = and_(StockMovement.created_at >= window.start)
    shipped = and_(inside, StockMovement.kind == SHIPPED)
    stmt = (select(key.label("key"), label.label("label"),
                   func.sum(case((StockMovement.created_at < window.start, delta), else_=0))
                   .label("opening"),
                   func.sum(delta).label("closing"),
                   func.sum(case((shipped, -delta), else_=0)).label("shipped"))
            .join(table, on).where(StockMovement.created_at < window.end)
            .group_by(key, label).order_by(key))
    return list(session.exec(_scoped(stmt, principal, StockMovement.warehouse_id)).all())


def on_hand(session: Session, principal: Principal, by: str) -> dict[Any, int]:
    """Units on hand now per group (the stock levels)."""
    key = {"WAREHOUSE": StockLevel.warehouse_id, "CATEGORY": Product.category}.get(
        by, StockLevel.product_id)
    stmt = (select(key, func.sum(StockLevel.on_hand)).select_from(StockLevel)
            .join(Product, Product.id == StockLevel.product_id).group_by(key))
    return {k: n for k, n in session.exec(_scoped(stmt, principal, StockLevel.warehouse_id))}


def stockouts(session: Session, principal: Principal, window: Window, by: str,
              now: datetime) -> list[Any]:
    """(key, stockouts begun in the window, hours out of stock within it) per group: the
    ledger's running balance per product and warehouse; a stay at or below zero lasts until
    the next movement (or now)."""
    dialect = Dialect(session.get_bind().dialect.name, window)
    part = (StockMovement.product_id, StockMovement.warehouse_id)
    order = (StockMovement.created_at, StockMovement.id)
    balance = func.sum(StockMovement.on_hand_delta).over(partition_by=part, order_by=order,
                                                         rows=(None, 0))
    moves = (select(StockMovement.product_id, StockMovement.warehouse_id,
                    StockMovement.created_at.label("at"), balance.label("bal"),
                    func.lead(StockMovement.created_at).over(partition_by=part, order_by=order)
                    .label("until"))
             .where(StockMovement.created_at < window.end))
    m = _scoped(moves, principal, StockMovement.warehouse_id).subquery()
    previous = func.lag(m.c.bal).over(partition_by=(m.c.product_id, m.c.warehouse_id),
                                      order_by=m.c.at)
    flagged = select(m, previous.label("prev")).subquery()
    start = case((flagged.c.at < window.start, window.start), else_=flagged.c.at)
    stop_at = min(window.end, now)
    stop = case((or_(flagged.c.until.is_(None), flagged.c.until > stop_at), stop_at),
                else_=flagged.c.until)
    out = flagged.c.bal <= 0
    begun = and_(out, or_(flagged.c.prev.is_(None), flagged.c.prev > 0),
                 flagged.c.at >= window.start)
    spans = and_(out, stop > start)
    key = flagged.c.warehouse_id if by == "WAREHOUSE" else flagged.c.product_id
    stmt = (select(key.label("key"), func.sum(case((begun, 1), else_=0)).label("stockouts"),
                   func.sum(case((spans, dialect.hours(start, stop)), else_=0.0))
                   .label("hours"))
            .group_by(key))
    return list(session.exec(stmt).all())


AGE_BUCKETS = ((24, "UNDER_1_DAY"), (72, "DAYS_1_TO_3"), (168, "DAYS_3_TO_7"),
               (720, "DAYS_7_TO_30"))


def reservation_ages(session: Session, principal: Principal, window: Window,
                     now: datetime) -> list[Any]:
    """(age bucket, orders, units still reserved) of the open reservations, aged from the
    order's confirmation."""
    dialect = Dialect(session.get_bind().dialect.name, window)
    age = dialect.hours(func.coalesce(Order.confirmed_at, Order.created_at), now)
    bucket = case(*[(age < hours, name) for hours, name in AGE_BUCKETS], else_="OVER_30_DAYS")
    reserved = OrderAllocation.quantity - OrderAllocation.quantity_shipped
    stmt = (select(bucket.label("bucket"), func.count(Order.id.distinct()).label("orders"),
                   func.sum(reserved).label("units"))
            .join(Order, Order.id == OrderAllocation.order_id)
            .where(Order.status.in_([s.value for s in RESERVED_STATES]), reserved > 0)
            .group_by(bucket))
    return list(session.exec(_scoped(stmt, principal, OrderAllocation.warehouse_id)).all())
