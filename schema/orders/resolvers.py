"""Order queries, loaders and node lookup: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.auth.roles import Perm
from app.orders import repository as repo
from app.orders import risk, service
from app.orders.repository import customer_views
from schema.core.node import lookup, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.loading.loaders import register_loader
from schema.loading.prefetch import read_connection, register_relation
from schema.mutations import run_read
from schema.orders.inputs import OrderFilter, filter_from
from schema.orders.types import Order, OrderAtRisk, OrderEvent, OrderLine, OrderSort

register_loader("order_by_id", repo.orders_by_ids)
register_loader("order_line_by_id", repo.lines_by_ids)
register_loader("order_lines_by_order", repo.line_rows_by_order, default=[])
register_loader("order_events_by_order", repo.events_by_order, default=[])
register_loader("order_event_by_id", repo.events_by_ids)
register_loader("order_allocations_by_order", repo.allocations_by_order, default=[])
register_loader("orders_by_customer_page", customer_views.orders_for_customers)
register_loader("purchase_summary_by_customer", customer_views.purchase_summaries)

# What list resolvers load ahead for the nested fields selected (schema/loading/prefetch.py).
register_relation("Order", "customer", "customer_by_id", "customer_id",
                  child="Customer", perm=Perm.CUSTOMERS_READ)
register_relation("Order", "contact", "contact_by_id", "contact_id",
                  perm=Perm.CUSTOMERS_READ)
register_relation("Order", "lines", "order_lines_by_order", "id",
                  child="OrderLine", many=True)
register_relation("Order", "allocations", "order_allocations_by_order", "id",
                  child="OrderAllocation", many=True)
register_relation("Order", "shipments", "shipments_by_order", "id",
                  child="Shipment", many=True)
register_relation("Order", "events", "order_events_by_order", "id",
                  child="OrderEvent", many=True)
register_relation("OrderLine", "product", "product_by_id", "product_id",
                  child="Product")
register_relation("OrderAllocation", "warehouse", "warehouse_by_id",
                  "warehouse_id", child="Warehouse")
register_relation("OrderEvent", "actor", "user_by_id", "actor_id")


async def fetch_order(info: strawberry.Info, pk: int) -> Order | None:
    principal = current_principal(info)
    if not principal.can(Perm.ORDERS_READ):
        return None
    row = await run_read(info, service.get_order, principal, pk)
    return Order.from_row(row) if row else None


async def fetch_order_line(info: strawberry.Info, pk: int) -> OrderLine | None:
    """A line is visible exactly when its order is."""
    row = await info.context.loaders.load("order_line_by_id", pk)
    order = await fetch_order(info, row.order_id) if row else None
    return OrderLine.from_row(row, order.currency) if order else None


async def fetch_order_event(info: strawberry.Info, pk: int) -> OrderEvent | None:
    row = await info.context.loaders.load("order_event_by_id", pk)
    order = await fetch_order(info, row.order_id) if row else None
    return OrderEvent.from_row(row) if order else None


register_node("Order", fetch_order)
register_node("OrderLine", fetch_order_line)
register_node("OrderEvent", fetch_order_event)


def _at_risk(item: risk.AtRisk) -> OrderAtRisk:
    return OrderAtRisk(order=Order.from_row(item.order), reason=item.reason,
                       days_left=item.days_left, message=item.message)


@strawberry.type
class OrderQuery:
    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="Orders the caller may see (SALES: of owned customers; "
                      "CUSTOMER: its own).")
    async def orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: OrderFilter | None = None,
        sort: OrderSort = OrderSort.CREATED_AT_DESC,  # type: ignore[valid-type]
    ) -> Connection[Order]:
        principal = current_principal(info)
        page = await read_connection(info, "Order", service.list_orders, principal,
                                     filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Order.from_row)

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="One order; null when missing or out of your scope.")
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> Order | None:
        return await lookup(info, id, "Order")

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="Approved, unshipped orders whose promised date is past or "
                      "within `withinDays` days, most urgent first, with the reason.")
    async def orders_at_risk(
        self, info: strawberry.Info, within_days: int = risk.DEFAULT_DAYS,
        first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> Connection[OrderAtRisk]:
        principal = current_principal(info)
        page = await run_read(info, risk.orders_at_risk, principal,
                              page_request(info, first, after, last, before), within_days)
        return to_connection(page, _at_risk)
