"""Reads of computed segments and purchase preferences, with the customers' row scope
(app/customers/repository.py `scope`: SALES their own customers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers import repository as customers
from app.customers.models import Customer
from app.orders.models import Order, OrderLine
from app.orders.repository.customer_views import purchased
from app.segments.models import CustomerSegment, Segment

TOP_CATEGORIES = 3
TOP_PRODUCTS = 5


@dataclass(frozen=True)
class CategoryShare:
    category: str
    quantity: int
    orders: int


@dataclass(frozen=True)
class ProductHabit:
    product_id: int
    sku: str
    name: str
    orders: int  # orders with the product
    quantity: int  # units bought, returns deducted
    usual_quantity: int  # median units per order with it, rounded


@dataclass
class Preferences:
    customer_id: int
    top_categories: list[CategoryShare] = field(default_factory=list)
    top_products: list[ProductHabit] = field(default_factory=list)
    cadence_days: float | None = None
    last_order_at: datetime | None = None
    next_order_at: datetime | None = None


def segments_by_customer(session: Session, ids: Sequence[int]) -> dict[int, CustomerSegment]:
    stmt = select(CustomerSegment).where(CustomerSegment.customer_id.in_(list(ids)))
    return {row.customer_id: row for row in session.exec(stmt)}


def _top_categories(session: Session, ids: list[int]) -> dict[int, list[CategoryShare]]:
    quantity = func.sum(OrderLine.quantity - OrderLine.quantity_returned)
    rank = func.row_number().over(partition_by=Order.customer_id,
                                  order_by=[quantity.desc(), Product.category])
    inner = (select(Order.customer_id.label("customer_id"), Product.category.label("category"),
                    quantity.label("quantity"),
                    func.count(func.distinct(Order.id)).label("orders"), rank.label("rn"))
             .join(Order, Order.id == OrderLine.order_id)
             .join(Product, Product.id == OrderLine.product_id)
             .where(Order.customer_id.in_(ids), purchased())
             .group_by(Order.customer_id, Product.category)).subquery()
    stmt = select(inner.c.customer_id, inner.c.category, inner.c.quantity, inner.c.orders) \
        .where(inner.c.rn <= TOP_CATEGORIES).order_by(inner.c.customer_id, inner.c.rn)
    out: dict[int, list[CategoryShare]] = defaultdict(list)
    for cid, category, qty, orders in session.exec(stmt):
        out[cid].append(CategoryShare(category or "", int(qty or 0), int(orders)))
    return out


def _top_products(session: Session, ids: list[int]) -> dict[int, list[ProductHabit]]:
    """Products by the number of orders that hold them, with the median units per order
    (ROW_NUMBER over each product's order quantities, as the cadence's median)."""
    per_order = (select(Order.customer_id.label("customer_id"),
                        OrderLine.product_id.label("product_id"),
                        func.max(OrderLine.sku).label("sku"),
                        func.max(OrderLine.name).label("name"),
                        func.sum(OrderLine.quantity - OrderLine.quantity_returned)
                        .label("quantity"))
                 .join(Order, Order.id == OrderLine.order_id)
                 .where(Order.customer_id.in_(ids), purchased())
                 .group_by(Order.customer_id, OrderLine.product_id, Order.id)).subquery()
    keys = (per_order.c.customer_id, per_order.c.product_id)
    ranked = select(per_order, func.row_number().over(
        partition_by=keys, order_by=per_order.c.quantity).label("rn"),
        func.count().over(partition_by=keys).label("cnt")).subquery()
    middle = ranked.c.rn.in_([(ranked.c.cnt + 1) // 2, (ranked.c.cnt + 2) // 2])
    totals = select(ranked.c.customer_id, ranked.c.product_id,
                    func.max(ranked.c.sku).label("sku"), func.max(ranked.c.name).label("name"),
                    func.max(ranked.c.cnt).label("orders"),
                    func.sum(ranked.c.quantity).label("quantity")) \
        .group_by(ranked.c.customer_id, ranked.c.product_id).subquery()
    medians = select(ranked.c.customer_id, ranked.c.product_id,
                     func.avg(ranked.c.quantity).label("usual")).where(middle) \
        .group_by(ranked.c.customer_id, ranked.c.product_id).subquery()
    rank = func.row_number().over(partition_by=totals.c.customer_id, order_by=[
        totals.c.orders.desc(), totals.c.quantity.desc(), totals.c.product_id])
    top = select(totals, medians.c.usual, rank.label("rn")).join(medians, (
        medians.c.customer_id == totals.c.customer_id)
        & (medians.c.product_id == totals.c.product_id)).subquery()
    stmt = select(top.c.customer_id, top.c.product_id, top.c.sku, top.c.name, top.c.orders,
                  top.c.quantity, top.c.usual).where(top.c.rn <= TOP_PRODUCTS) \
        .order_by(top.c.customer_id, top.c.rn)
    out: dict[int, list[ProductHabit]] = defaultdict(list)
    for cid, pid, sku, name, orders, qty, usual in session.exec(stmt):
        out[cid].append(ProductHabit(pid, sku, name, int(orders), int(qty or 0),
                                     int(round(float(usual or 0)))))
    return out


def preferences_by_customer(session: Session, ids: Sequence[int]) -> dict[int, Preferences]:
    """Loader fetch: three statements for any number of customers."""
    ids = list(ids)
    cats, products = _top_categories(session, ids), _top_products(session, ids)
    stored = segments_by_customer(session, ids)
    out = {}
    for cid in ids:
        row = stored.get(cid)
        out[cid] = Preferences(cid, cats.get(cid, []), products.get(cid, []),
                               row.cadence_days if row else None,
                               row.last_order_at if row else None,
                               row.next_order_at if row else None)
    return out


def due_to_reorder(session: Session, principal: Principal, until: datetime, limit: int
                   ) -> list[Customer]:
    """Customers in scope whose next expected order falls before `until` (overdue ones
    included, soonest first), LOST ones left out: they are the churn list's."""
    stmt = customers.scope(select(Customer).join(
        CustomerSegment, CustomerSegment.customer_id == Customer.id), principal).where(
        CustomerSegment.next_order_at.is_not(None), CustomerSegment.next_order_at <= until,
        CustomerSegment.segment != Segment.LOST.value).order_by(
        CustomerSegment.next_order_at, Customer.id).limit(limit)
    return list(session.exec(stmt))


def segment_counts(session: Session, principal: Principal) -> dict[str, int]:
    """Customers in scope per segment: an aggregate, no personal data."""
    stmt = customers.scope(select(CustomerSegment.segment, func.count()).join(
        Customer, Customer.id == CustomerSegment.customer_id), principal).group_by(
        CustomerSegment.segment)
    return {segment: int(n) for segment, n in session.exec(stmt)}

