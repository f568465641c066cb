"""Customer measures: new and returning buyers, repurchase rate, lifetime value, top
customers by spend; purchases and revenue as in sources.py (docs/architecture.md#analytics).
Customers due to reorder are segments' (`customersDueToReorder`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, select

from app.analytics.models import Window
from app.auth.principal import Principal
from app.customers import repository as customers
from app.customers.models import Customer
from app.orders.models import Order
from app.orders.repository.customer_views import purchased

REVENUE = Order.total - Order.credited_total


def summary(session: Session, principal: Principal, window: Window,
            regions: tuple[str, ...]) -> Any:
    """One row: buyers in the window, new (first purchase in it) and returning, customers
    with a purchase by its end, those with two or more, their revenue by then."""
    inside = (Order.created_at >= window.start)
    per = (select(Order.customer_id, func.min(Order.created_at).label("first"),
                  func.count().label("n"), func.sum(REVENUE).label("value"),
                  func.sum(case((inside, 1), else_=0)).label("recent"))
           .where(purchased(), Order.created_at < window.end)
           .group_by(Order.customer_id))
    per = customers.of_visible_customers(per, principal, Order.customer_id)
    if regions:
        per = per.where(Order.customer_id.in_(
            select(Customer.id).where(Customer.region.in_(list(regions)))))
    p = per.subquery()
    active = p.c.recent > 0
    stmt = select(
        func.sum(case((active, 1), else_=0)).label("buyers"),
        func.sum(case(((active) & (p.c.first >= window.start), 1), else_=0)).label("new_buyers"),
        func.sum(case(((active) & (p.c.first < window.start), 1), else_=0))
        .label("returning_buyers"),
        func.count().label("customers"),
        func.sum(case((p.c.n >= 2, 1), else_=0)).label("repeat_buyers"),
        func.sum(p.c.value).label("revenue"))
    return session.exec(stmt).one()


def top_by_spend(session: Session, principal: Principal, window: Window, first: int,
                 regions: tuple[str, ...]) -> list[Any]:
    """(customer, spend, orders) of the biggest buyers in the window, id breaking ties."""
    spend = func.sum(REVENUE)
    stmt = (select(Customer, spend.label("spend"), func.count().label("orders"))
            .join(Order, Order.customer_id == Customer.id)
            .where(purchased(), Order.created_at >= window.start,
                   Order.created_at < window.end)
            .group_by(Customer.id).order_by(spend.desc(), Customer.id).limit(first))
    if regions:
        stmt = stmt.where(Customer.region.in_(list(regions)))
    return list(session.exec(customers.scope(stmt, principal)).all())
