"""SQL for orders, their lines, allocations and history, with the caller's row scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, bindparam, func, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.customers.models import Customer
from app.orders.models import Order, OrderAllocation, OrderEvent, OrderLine, OrderStatus
from app.orders.workflow import OPEN_STATES, RESERVED_STATES
from app.persistence.fast import objects, rows, statements
from app.persistence.pagination import Page, PageRequest, SortKey, paginate


class OrderSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    TOTAL_DESC = "TOTAL_DESC"
    TOTAL_ASC = "TOTAL_ASC"
    NUMBER_ASC = "NUMBER_ASC"
    NUMBER_DESC = "NUMBER_DESC"
    PRIORITY_DESC = "PRIORITY_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


SORTS: dict[OrderSort, SortKey] = {
    OrderSort.CREATED_AT_DESC: [(Order.created_at, True)],
    OrderSort.CREATED_AT_ASC: [(Order.created_at, False)],
    OrderSort.TOTAL_DESC: [(Order.total, True)],
    OrderSort.TOTAL_ASC: [(Order.total, False)],
    OrderSort.NUMBER_ASC: [(Order.number, False)],
    OrderSort.NUMBER_DESC: [(Order.number, True)],
    OrderSort.PRIORITY_DESC: [(Order.priority, True), (Order.created_at, False)],
    OrderSort.UPDATED_AT_DESC: [(Order.updated_at, True)],
}


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
    if principal.customer_scope is not None:
        stmt = stmt.where(Order.customer_id == principal.customer_scope)
    if principal.owner_scope is not None:
        owned = select(Customer.id).where(Customer.owner_id == principal.owner_scope)
        stmt = stmt.where(Order.customer_id.in_(owned))
    return stmt


def apply_filter(stmt, flt: OrderFilter):  # noqa: ANN001, ANN201
    if flt.statuses:
        stmt = stmt.where(Order.status.in_(list(flt.statuses)))
    for column, value in ((Order.customer_id, flt.customer_id), (Order.channel, flt.channel),
                          (Order.payment_status, flt.payment_status)):
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.created_after is not None:
        stmt = stmt.where(Order.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(Order.created_at < flt.created_before)
    if flt.promised_before is not None:
        stmt = stmt.where(Order.promised_date < flt.promised_before)
    if flt.search and flt.search.strip():
        like = f"%{flt.search.strip()}%"
        stmt = stmt.where(or_(Order.number.ilike(like), Order.external_id.ilike(like)))
    return stmt


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
    ).with_for_update(of=table))
    found = statements.records(session, stmt, {"order_id": order_id, **params}, Order)
    return objects.attach(session, Order, found[0]) if found else None


_CUSTOMER = rows.table(Customer)
_LOCK_CUSTOMER = select(_CUSTOMER).where(_CUSTOMER.c.id == bindparam("id")).with_for_update()


def lock_customer(session: Session, customer_id: int) -> Any | None:
    """The customer as a read-only record, its row locked: serializes credit decisions per
    customer (two approvals cannot both fit the limit)."""
    found = statements.records(session, _LOCK_CUSTOMER, {"id": customer_id}, Customer)
    return found[0] if found else None


def list_orders(session: Session, principal: Principal, flt: OrderFilter, sort: OrderSort,
                page: PageRequest) -> Page[Order]:
    stmt = apply_filter(scope(select(Order), principal), flt)
    return paginate(session, stmt, SORTS[sort], page, Order.id)


def at_risk(session: Session, principal: Principal, horizon: date,
            page: PageRequest) -> Page[Order]:
    """Approved, unshipped orders promised on or before `horizon` (held ones included)."""
    waiting = [s.value for s in RESERVED_STATES]
    stmt = scope(select(Order), principal).where(
        Order.promised_date.is_not(None), Order.promised_date <= horizon,
        or_(Order.status.in_(waiting),
            and_(Order.status == OrderStatus.ON_HOLD.value,
                 Order.status_before_hold.in_(waiting))))
    return paginate(session, stmt, [(Order.promised_date, False)], page, Order.id)


# Batched lookups for dataloaders ---------------------------------------------

def orders_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Order]:
    return {o.id: o for o in session.exec(select(Order).where(Order.id.in_(list(ids))))}


def _grouped(rows, key: str) -> dict[int, list]:  # noqa: ANN001
    out: dict[int, list] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


def lines_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[OrderLine]]:
    stmt = select(OrderLine).where(OrderLine.order_id.in_(list(ids))).order_by(
        OrderLine.order_id, OrderLine.id)
    return _grouped(session.exec(stmt), "order_id")


def line_rows_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    """Read-only rows for display (app/persistence/fast/rows.py), in the order of
    `lines_by_order`."""
    return rows.grouped(session, OrderLine, "order_id", ids, ("order_id", "id"))


def lines_by_ids(session: Session, ids: Sequence[int]) -> dict[int, OrderLine]:
    return {x.id: x for x in session.exec(select(OrderLine).where(OrderLine.id.in_(list(ids))))}


def events_by_order(session: Session, ids: Sequence[int]) -> dict[int, list[OrderEvent]]:
    stmt = select(OrderEvent).where(OrderEvent.order_id.in_(list(ids))).order_by(
        OrderEvent.order_id, OrderEvent.id)
    return _grouped(session.exec(stmt), "order_id")


def events_by_ids(session: Session, ids: Sequence[int]) -> dict[int, OrderEvent]:
    return {x.id: x for x in session.exec(select(OrderEvent).where(OrderEvent.id.in_(list(ids))))}


def allocations_by_order(session: Session,
                         ids: Sequence[int]) -> dict[int, list[OrderAllocation]]:
    stmt = select(OrderAllocation).where(OrderAllocation.order_id.in_(list(ids))).order_by(
        OrderAllocation.order_id, OrderAllocation.order_line_id, OrderAllocation.warehouse_id)
    return _grouped(session.exec(stmt), "order_id")


# Inside a unit of work ---------------------------------------------------------

# Statements of the write path are built once and reused with bound parameters.
_LINES_OF = (select(OrderLine).where(OrderLine.order_id == bindparam("order_id"))
             .order_by(OrderLine.id))


def lines_of(session: Session, order_id: int) -> list[OrderLine]:
    return list(session.execute(_LINES_OF, {"order_id": order_id}).scalars())


_LINE_TABLE = rows.table(OrderLine)
_LINE_RECORDS = (select(_LINE_TABLE).where(_LINE_TABLE.c.order_id == bindparam("order_id"))
                 .order_by(_LINE_TABLE.c.id))


def line_records(session: Session, order_id: int) -> list[Any]:
    """The order's lines as read-only records (app/persistence/fast/rows.py), for steps that only
    read them."""
    return statements.records(session, _LINE_RECORDS, {"order_id": order_id}, OrderLine)


def allocations_of(session: Session, order_id: int) -> list[OrderAllocation]:
    return allocations_by_order(session, [order_id]).get(order_id, [])


def products_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only product records: pricing and the checks only read them."""
    return rows.by_id(session, Product, ids)


def external_id_taken(session: Session, channel: str, external_id: str) -> bool:
    stmt = select(Order.id).where(Order.channel == channel, Order.external_id == external_id)
    return session.exec(stmt).first() is not None


def outstanding_balance(session: Session, customer_id: int, exclude_order_id: int) -> Decimal:
    """Unpaid totals of the customer's open (approved, not closed) orders; held ones count."""
    open_states = [s.value for s in OPEN_STATES]
    stmt = select(func.coalesce(func.sum(Order.total - Order.paid_total), 0)).where(
        Order.customer_id == customer_id, Order.id != exclude_order_id,
        or_(Order.status.in_(open_states),
            and_(Order.status == OrderStatus.ON_HOLD.value,
                 Order.status_before_hold.in_(open_states))))
    return Decimal(session.exec(stmt).one())


_FULFILLED = select(Order.id).where(
    Order.customer_id == bindparam("customer_id"), Order.id != bindparam("order_id"),
    Order.status.in_([OrderStatus.DELIVERED.value, OrderStatus.COMPLETED.value])).limit(1)


def has_fulfilled_orders(session: Session, customer_id: int, exclude_order_id: int) -> bool:
    """A returning customer: at least one earlier order was delivered."""
    params = {"customer_id": customer_id, "order_id": exclude_order_id}
    return bool(statements.rows(session, _FULFILLED, params))
