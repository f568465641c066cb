"""SQL for orders themselves, with the caller's row scope: lookups, locks, lists, the
write path's order row, and intake's lookups by outside references."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, or_, text
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers import repository as customers
from app.customers.models import Customer
from app.orders.models import Order, OrderStatus
from app.orders.repository import lines
from app.orders.workflow import RESERVED_STATES
from app.persistence.fast import bulk, objects, rows, statements
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)

# Orders are written without the ORM's flush (app/persistence/fast/objects.py). Every
# process that writes orders imports this module first: the services that write them
# import it, and the SQLite writer process imports the service it runs by name.
objects.register(Order)


class OrderSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    TOTAL_DESC = "TOTAL_DESC"
    TOTAL_ASC = "TOTAL_ASC"
    NUMBER_ASC = "NUMBER_ASC"
    NUMBER_DESC = "NUMBER_DESC"
    PRIORITY_DESC = "PRIORITY_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


SORTS = sort_table(OrderSort, {
    "CREATED_AT": Order.created_at, "TOTAL": Order.total, "NUMBER": Order.number,
    # same priority: the oldest first
    "PRIORITY": (Order.priority, Order.created_at), "UPDATED_AT": Order.updated_at,
})


@dataclass(frozen=True)
class OrderFilter:
    statuses: tuple[str, ...] = ()
    customer_id: int | None = None
    channel: str | None = None
    payment_status: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None  # order number (or external id) contains
    promised_before: date | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """SALES see orders of the customers they own; CUSTOMER users their own orders."""
    return customers.of_visible_customers(stmt, principal, Order.customer_id)


def apply_filter(stmt, flt: OrderFilter):  # noqa: ANN001, ANN201
    return where(stmt, one_of(Order.status, flt.statuses or None),
                 equal(Order.customer_id, flt.customer_id), equal(Order.channel, flt.channel),
                 equal(Order.payment_status, flt.payment_status),
                 in_period(Order.created_at, flt.created_after, flt.created_before),
                 in_period(Order.promised_date, None, flt.promised_before),
                 contains(flt.search, Order.number, Order.external_id))


def get_visible(session: Session, principal: Principal, order_id: int, *,
                for_update: bool = False) -> Order | None:
    """The order if the principal may see it; `for_update` locks it (PostgreSQL)."""
    stmt = scope(select(Order).where(Order.id == order_id), principal)
    if for_update:
        stmt = stmt.with_for_update(of=Order)
    return session.exec(stmt).first()


def lock_order(session: Session, order_id: int) -> Order | None:
    """Unscoped, locked: for hooks called by other domains' already-scoped services."""
    return session.exec(select(Order).where(Order.id == order_id).with_for_update()).first()


def lock_visible(session: Session, principal: Principal, order_id: int) -> Order | None:
    """`get_visible(..., for_update=True)` for workflow steps, with a reused statement."""
    kind, params = statements.scope_kind(principal)
    table = rows.table(Order)
    stmt = statements.once(("orders.lock_visible", kind), lambda: scope(
        select(table).where(table.c.id == bindparam("order_id")), statements.ScopeParams(*kind)
    ).with_for_update(of=table, key_share=True))
    found = statements.records(session, stmt, {"order_id": order_id, **params}, Order)
    return objects.attach(session, Order, found[0]) if found else None


_CUSTOMER = rows.table(Customer)
# FOR NO KEY UPDATE (no key changes): inserts referencing the customer (a new order's
# foreign key check) do not wait for an approval (docs/architecture.md#round-trips)
_LOCK_CUSTOMER = select(_CUSTOMER).where(_CUSTOMER.c.id == bindparam("id")) \
    .with_for_update(key_share=True)


def lock_customer_query(customer_id: int) -> statements.Query:
    return _LOCK_CUSTOMER, {"id": customer_id}


def lock_customer(session: Session, customer_id: int) -> Any | None:
    """The customer as a read-only record, its row locked: serializes credit decisions per
    customer (two approvals cannot both fit the limit)."""
    found = statements.records(session, *lock_customer_query(customer_id), Customer)
    return found[0] if found else None


def list_orders(session: Session, principal: Principal, flt: OrderFilter, sort: OrderSort,
                page: PageRequest) -> Page[Order]:
    return paginate(session, filtered(principal, flt), SORTS[sort], page, Order.id)


def filtered(principal: Principal, flt: OrderFilter):  # noqa: ANN201
    """The list's statement: the principal's orders that match `flt` (the list and the
    bulk export read the same rows: app/exports/)."""
    return apply_filter(scope(select(Order), principal), flt)


def scope_awaiting(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """`scope`, and ordersAtRisk's rows without its clock: approved, unshipped orders
    (held ones included) with a promised date (the delta sync's ORDER_AT_RISK)."""
    waiting = [s.value for s in RESERVED_STATES]
    return scope(stmt, principal).where(
        Order.promised_date.is_not(None),
        or_(Order.status.in_(waiting),
            and_(Order.status == OrderStatus.ON_HOLD.value,
                 Order.status_before_hold.in_(waiting))))


def at_risk(session: Session, principal: Principal, horizon: date,
            page: PageRequest) -> Page[Order]:
    """Approved, unshipped orders promised on or before `horizon` (held ones included)."""
    stmt = scope_awaiting(select(Order), principal).where(Order.promised_date <= horizon)
    return paginate(session, stmt, [(Order.promised_date, False)], page, Order.id)


def orders_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Order]:
    return {o.id: o for o in session.exec(select(Order).where(Order.id.in_(list(ids))))}


def order_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only rows (app/persistence/fast/rows.py)."""
    return rows.by_id(session, Order, ids)


def external_id_taken(session: Session, channel: str, external_id: str) -> bool:
    stmt = select(Order.id).where(Order.channel == channel, Order.external_id == external_id)
    return session.exec(stmt).first() is not None


def contact_in_use(session: Session, contact_id: int) -> bool:
    """Whether any order names this contact."""
    stmt = select(Order.id).where(Order.contact_id == contact_id).limit(1)
    return session.exec(stmt).first() is not None


_FULFILLED = select(Order.id).where(
    Order.customer_id == bindparam("customer_id"), Order.id != bindparam("order_id"),
    Order.status.in_([OrderStatus.DELIVERED.value, OrderStatus.COMPLETED.value])).limit(1)


def has_fulfilled_orders_query(customer_id: int, exclude_order_id: int) -> statements.Query:
    return _FULFILLED, {"customer_id": customer_id, "order_id": exclude_order_id}


def has_fulfilled_orders(session: Session, customer_id: int, exclude_order_id: int) -> bool:
    """A returning customer: at least one earlier order was delivered."""
    return bool(statements.rows(session, *has_fulfilled_orders_query(customer_id,
                                                                      exclude_order_id)))


# The write path's order row ------------------------------------------------------

def new_order(**values: Any) -> Order:
    """A transient `Order(**values)` without the ORM's per-field events
    (app/persistence/fast/objects.py)."""
    return objects.new(Order, **values)


# An id for the order a placement is about to write, drawn with its reads ahead
# (PostgreSQL: app/orders/repository/ahead.py), so the order and its lines go together.
_NEXT_ID = text("SELECT nextval(pg_get_serial_sequence('sales_order', 'id'))")
_DRAWN = "crm_order_id"


def next_id_query() -> statements.Query:
    return _NEXT_ID, {}


def draw_id(session: Session) -> None:
    """Draw the next order's id (after `next_id_query` was read ahead)."""
    session.info[_DRAWN] = statements.rows(session, *next_id_query())[0][0]


def insert_order(session: Session, order: Order, priced_lines: Sequence[Any],
                 number: Callable[[Order], None]) -> int:
    """INSERT the new order and its priced lines (app/orders/pricing.py) and attach the
    order to the session; its id. `number(order)` runs once the order has its id, before
    its row is written. With an id drawn ahead (`draw_id`), one round trip for the order
    and its lines."""
    drawn = session.info.pop(_DRAWN, None)
    if drawn is None:
        objects.insert(session, order)
        number(order)
        lines.insert_lines(session, order.id, priced_lines)
        return order.id
    order.id = drawn
    number(order)
    table, row = objects.row_with_id(order)
    if not lines.insert_with_order(session, table, row, order.id, priced_lines):
        bulk.insert_ids(session, table, [row])
        lines.insert_lines(session, order.id, priced_lines)
    return objects.attach_written(session, order)


# Intake: customers, products and orders by outside references ---------------------

def customer_by_code(session: Session, principal: Principal, code: str) -> Customer | None:
    stmt = customers.scope(select(Customer).where(Customer.code == code), principal)
    return session.exec(stmt).first()


def products_by_skus(session: Session, skus: Sequence[str]) -> dict[str, Product]:
    stmt = select(Product).where(Product.sku.in_(list(skus)))
    return {p.sku: p for p in session.exec(stmt)}


def products_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only product records: pricing and the checks only read them."""
    return rows.by_id(session, Product, ids)


def order_by_external_id(session: Session, channel: str, external_id: str) -> Order | None:
    stmt = select(Order).where(Order.channel == channel, Order.external_id == external_id)
    return session.exec(stmt).first()
