"""Read model: per-customer order views for lists of customers, batched, one query per
level.

`Customer.orders` pages every customer in one statement: a window function
numbers each customer's orders in the requested sort order (reversed when paging backward
with last/before) and keeps the first N+1 (the extra row says whether there is another
page). Purchase summaries are one
aggregate plus one windowed top-products query for the whole batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from app.orders.models import Order, OrderLine, OrderStatus
from app.orders.repository.orders import SORTS, OrderSort
from app.orders.workflow import OPEN_STATES
from app.persistence.repository import Keyset, Page, PageRequest

TOP_PRODUCTS = 5
# Orders that count as purchases: approved and not cancelled/rejected (held ones too).
_PURCHASED = [s.value for s in OPEN_STATES] + [OrderStatus.COMPLETED.value]


@dataclass(frozen=True)
class CustomerOrdersArgs:
    """The arguments of one `Customer.orders` selection (hashable: part of the loader key)."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    sort: OrderSort = OrderSort.CREATED_AT_DESC
    statuses: tuple[str, ...] = ()
    with_total: bool = False

    def validated(self) -> CustomerOrdersArgs:
        """`first` and `last` checked as every list checks them."""
        self.page().validated()
        return self

    def page(self) -> PageRequest:
        return PageRequest(first=self.first, after=self.after, last=self.last,
                           before=self.before, with_total=self.with_total)


def orders_for_customers(session: Session, keys: Sequence[tuple[int, CustomerOrdersArgs]]
                         ) -> dict[Hashable, Page[Order]]:
    """Loader fetch: keys are (customer_id, args); one query per distinct args."""
    groups: dict[CustomerOrdersArgs, list[int]] = defaultdict(list)
    for customer_id, args in keys:
        groups[args].append(customer_id)
    out: dict[Hashable, Page[Order]] = {}
    for args, customer_ids in groups.items():
        for customer_id, page in _pages(session, customer_ids, args).items():
            out[(customer_id, args)] = page
    return out


def _pages(session: Session, customer_ids: list[int], args: CustomerOrdersArgs
           ) -> dict[int, Page[Order]]:
    request = args.validated().page()
    size, forward = request.size, not request.backward
    cursor = request.after if forward else request.before
    keyset = Keyset.of(SORTS[args.sort], Order.id)
    number = func.row_number().over(partition_by=Order.customer_id,
                                    order_by=keyset.order_by(forward))
    inner = select(Order, number.label("rn")).where(Order.customer_id.in_(customer_ids))
    if args.statuses:
        inner = inner.where(Order.status.in_(list(args.statuses)))
    if cursor:
        inner = inner.where(keyset.after(cursor, "after" if forward else "before", forward))
    sub = inner.subquery()
    row = aliased(Order, sub)
    stmt = select(row).where(sub.c.rn <= size + 1).order_by(sub.c.customer_id, sub.c.rn)
    grouped: dict[int, list[Order]] = defaultdict(list)
    if size:
        for order in session.exec(stmt):
            grouped[order.customer_id].append(order)
    totals = _totals(session, customer_ids, args) if args.with_total else {}
    pages = {}
    for customer_id in customer_ids:
        rows = grouped.get(customer_id, [])
        more, items = len(rows) > size, rows[:size]
        if not forward:
            items.reverse()
        pages[customer_id] = Page(
            items=items, cursors=keyset.cursors(items),
            has_next=more if forward else request.before is not None,
            has_previous=more if not forward else request.after is not None,
            total=totals.get(customer_id, 0) if args.with_total else None)
    return pages


def _totals(session: Session, customer_ids: list[int], args: CustomerOrdersArgs
            ) -> dict[int, int]:
    stmt = select(Order.customer_id, func.count(Order.id)).where(
        Order.customer_id.in_(customer_ids)).group_by(Order.customer_id)
    if args.statuses:
        stmt = stmt.where(Order.status.in_(list(args.statuses)))
    return dict(session.exec(stmt).all())


@dataclass(frozen=True)
class TopProduct:
    product_id: int
    sku: str
    name: str
    quantity: int
    revenue: Decimal


@dataclass(frozen=True)
class PurchaseSummary:
    customer_id: int
    order_count: int
    total_spent: Decimal
    last_order_at: datetime | None
    top_products: list[TopProduct]
    currency: str = "CNY"


def _purchased():  # noqa: ANN202
    return or_(Order.status.in_(_PURCHASED),
               and_(Order.status == OrderStatus.ON_HOLD.value,
                    Order.status_before_hold.in_(_PURCHASED)))


def purchased():  # noqa: ANN201
    """The condition of orders that count as purchases (customer segments read it too)."""
    return _purchased()


def purchase_summaries(session: Session, customer_ids: Sequence[int]
                       ) -> dict[int, PurchaseSummary]:
    """Loader fetch: counts, spend and last order date, plus the top products by quantity."""
    ids = list(customer_ids)
    stmt = select(Order.customer_id, func.count(Order.id), func.sum(Order.total),
                  func.max(Order.created_at)).where(
        Order.customer_id.in_(ids), _purchased()).group_by(Order.customer_id)
    aggregates = {cid: (n, total, last) for cid, n, total, last in session.exec(stmt)}
    tops = _top_products(session, ids)
    out = {}
    for cid in ids:
        n, total, last = aggregates.get(cid, (0, Decimal("0"), None))
        out[cid] = PurchaseSummary(customer_id=cid, order_count=n,
                                   total_spent=Decimal(total or 0), last_order_at=last,
                                   top_products=tops.get(cid, []))
    return out


def _top_products(session: Session, ids: list[int]) -> dict[int, list[TopProduct]]:
    quantity = func.sum(OrderLine.quantity - OrderLine.quantity_returned)
    rank = func.row_number().over(
        partition_by=Order.customer_id,
        order_by=[quantity.desc(), func.sum(OrderLine.line_total).desc(), OrderLine.product_id])
    inner = (select(Order.customer_id.label("customer_id"),
                    OrderLine.product_id.label("product_id"),
                    func.max(OrderLine.sku).label("sku"), func.max(OrderLine.name).label("name"),
                    quantity.label("quantity"),
                    func.sum(OrderLine.line_total).label("revenue"), rank.label("rn"))
             .join(Order, Order.id == OrderLine.order_id)
             .where(Order.customer_id.in_(ids), _purchased())
             .group_by(Order.customer_id, OrderLine.product_id)).subquery()
    stmt = select(inner.c.customer_id, inner.c.product_id, inner.c.sku, inner.c.name,
                  inner.c.quantity, inner.c.revenue).where(inner.c.rn <= TOP_PRODUCTS).order_by(
        inner.c.customer_id, inner.c.rn)
    out: dict[int, list[TopProduct]] = defaultdict(list)
    for cid, pid, sku, name, qty, revenue in session.exec(stmt):
        out[cid].append(TopProduct(pid, sku, name, int(qty), Decimal(revenue or 0)))
    return out
