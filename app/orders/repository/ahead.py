"""Reads a workflow step makes, read ahead together: one round trip on PostgreSQL instead
of one per read (docs/architecture.md#round-trips). Each function names the reads its step
is about to make, with the same statements and parameters; the repository functions the
step then calls are served these rows (app/persistence/fast/driver.py `prefetch`). On
SQLite nothing is read ahead: there is no round trip to save."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers import repository as customers
from app.orders.models import Order
from app.orders.repository import balances, lines, orders
from app.persistence.fast import rows, statements
from app.quotes import repository as quotes


def placement(session: Session, principal: Principal, customer_id: int,
              product_ids: Sequence[int], day: date, *, contact: bool, address: bool) -> None:
    """Placing an order: the customer, the products, the customer's agreed prices and,
    when the draft names none, the primary contact and the default shipping address."""
    queries = [customers.visible_record_query(principal, customer_id),
               rows.by_id_query(Product, product_ids),
               quotes.agreed_prices_query(customer_id, product_ids, day)]
    if contact:
        queries.append(customers.primary_contact_query(customer_id))
    if address:
        queries.append(customers.default_shipping_address_query(customer_id))
    statements.prefetch(session, queries)


def approval(session: Session, order: Order) -> None:
    """Approving a locked order: its customer (locked first, as `lock_customer`), its lines,
    what the customer owes on other orders, and whether it is a returning customer."""
    statements.prefetch(session, [
        orders.lock_customer_query(order.customer_id), lines.line_records_query(order.id),
        balances.exposure_query(order.customer_id, order.id),
        orders.has_fulfilled_orders_query(order.customer_id, order.id)])


def allocation(session: Session, order: Order, product_ids: Sequence[int]) -> None:
    """Then, from its lines: the products, and their stock rows locked (`lock_stock`)."""
    statements.prefetch(session, [
        rows.by_id_query(Product, product_ids),
        lines.lock_stock_query(product_ids, order.customer_id)])
