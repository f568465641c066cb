"""Reads a workflow step makes, read ahead together: one round trip on PostgreSQL instead
of one per read (docs/architecture.md#round-trips). Each function names the reads its step
is about to make, with the same statements and parameters; the repository functions the
step then calls are served these rows (app/persistence/fast/pg.py `prefetch`). On
SQLite nothing is read ahead: there is no round trip to save. On PostgreSQL the ids of the
step's history rows are drawn with them, so those rows go with the unit's last rows
(app/orders/repository/events.py `draw_ids`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers import repository as customers
from app.orders.models import Order
from app.orders.repository import balances, events, lines, orders
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
    queries.append(orders.next_id_query())  # the order's own id: written with its lines
    if _with_event_ids(session, queries, 2):  # CREATED, and SUBMITTED when it is submitted
        orders.draw_id(session)


def _with_event_ids(session: Session, queries: list[statements.Query], count: int) -> bool:
    """Read `queries` ahead, and on PostgreSQL draw `count` history ids in the same trip;
    whether they were read ahead."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    queries.append(events.next_ids_query(count))
    statements.prefetch(session, queries)
    events.draw_ids(session, count)
    return True


def approval(session: Session, order: Order) -> None:
    """Approving a locked order: its customer (locked first, as `lock_customer`), its lines,
    what the customer owes on other orders, whether it is a returning customer, and the
    products of its lines with their stock rows (named by the order: `allocation` hands
    them on once the lines tell their ids)."""
    _with_event_ids(session, [
        orders.lock_customer_query(order.customer_id), lines.line_records_query(order.id),
        balances.exposure_query(order.customer_id, order.id),
        orders.has_fulfilled_orders_query(order.customer_id, order.id),
        lines.order_products_query(order.id),
        lines.order_stock_query(order.id, order.customer_id)], 1)


def allocation(session: Session, order: Order, product_ids: Sequence[int]) -> None:
    """Then, from its lines: the products and their stock rows read ahead with the rest
    (`stock_rows`, not locked: the reservation locks them, app/orders/allocation.py
    `reserve`), served to the reads by these ids."""
    statements.serve_as(session, lines.order_products_query(order.id),
                        rows.by_id_query(Product, product_ids))
    statements.serve_as(session, lines.order_stock_query(order.id, order.customer_id),
                        lines.stock_query(product_ids, order.customer_id))
