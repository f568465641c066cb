"""SQL for order intake: finding customers, products and orders by outside references."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers import repository as customers
from app.customers.models import Customer
from app.orders.models import Order


def customer_by_code(session: Session, principal: Principal, code: str) -> Customer | None:
    stmt = customers.scope(select(Customer).where(Customer.code == code), principal)
    return session.exec(stmt).first()


def products_by_skus(session: Session, skus: Sequence[str]) -> dict[str, Product]:
    stmt = select(Product).where(Product.sku.in_(list(skus)))
    return {p.sku: p for p in session.exec(stmt)}


def order_by_external_id(session: Session, channel: str, external_id: str) -> Order | None:
    stmt = select(Order).where(Order.channel == channel, Order.external_id == external_id)
    return session.exec(stmt).first()
