"""`orders`, `order` and `ordersAtRisk`: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.orders import risk, service
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.prefetch import read_connection
from schema.orders.inputs import OrderFilter, OrderSort, filter_from
from schema.orders.types import Order, OrderAtRisk


def _at_risk(item: risk.AtRisk) -> OrderAtRisk:
    return OrderAtRisk(order=Order.from_row(item.order), reason=item.reason,
                       days_left=item.days_left, message=item.message)


@strawberry.type
class OrderQuery:
    @strawberry.field(description="Orders the caller may see (SALES: of owned customers; "
                      "CUSTOMER: its own).")
    async def orders(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None, filter: OrderFilter | None = None,
        sort: OrderSort | None = None,  # type: ignore[valid-type]
    ) -> Connection[Order]:
        sort = sort or OrderSort.CREATED_AT_DESC  # null: the list's default order
        principal = current_principal(info)
        page = await read_connection(info, "Order", service.list_orders, principal,
                                     filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Order.from_row)

    @strawberry.field(description="One order; null when missing or out of your scope.")
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> Order | None:
        return await lookup(info, id, "Order")

    @strawberry.field(description="Approved, unshipped orders whose promised date is past or "
                      "within `withinDays` days, most urgent first, with the reason.")
    async def orders_at_risk(
        self, info: strawberry.Info, within_days: int | None = risk.DEFAULT_DAYS,
        first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
    ) -> Connection[OrderAtRisk]:
        if within_days is None:  # nullable for Relay (docs/conventions.md#the-frontend-contract)
            within_days = risk.DEFAULT_DAYS
        principal = current_principal(info)
        page = await run_read(info, risk.orders_at_risk, principal,
                              page_request(info, first, after, last, before), within_days)
        return to_connection(page, _at_risk)
