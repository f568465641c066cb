"""`Customer.orders` and `Customer.purchaseSummary`, batched across a list of customers.

The parent customer is already inside the caller's row scope, and so are its
orders (SALES own the customer; a CUSTOMER is the customer).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from app.orders.repository import OrderSort as _OrderSort
from app.orders.repository import customer_views
from schema.core.node import gid
from schema.core.pagination import Connection, to_connection, wants_total
from schema.core.scalars import Money, money
from schema.loading.prefetch import prefetch_connection
from schema.orders.inputs import CustomerOrderFilter
from schema.orders.types import Order


@strawberry.type(description="A product the customer buys most (by units, returns deducted).")
class TopProduct:
    sku: str
    name: str
    quantity: int
    revenue: Money
    _product_id: strawberry.Private[int]

    @strawberry.field
    def product_id(self) -> strawberry.ID:
        return gid("Product", self._product_id)

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")] | None:  # noqa: F821
        from schema.catalog.types import Product
        row = await info.context.loaders.load("product_by_id", self._product_id)
        return Product.from_row(row) if row else None


@strawberry.type(description="What a customer has bought: approved orders, not cancelled or "
                 "rejected.")
class PurchaseSummary:
    order_count: int
    total_spent: Money
    last_order_at: datetime | None
    top_products: list[TopProduct]


async def customer_orders(info: Any, customer_pk: int, first: int | None, after: str | None,
                          filter: CustomerOrderFilter | None, sort: _OrderSort | None
                          ) -> Connection[Order]:
    args = customer_views.CustomerOrdersArgs(
        first=first, after=after, sort=_OrderSort(sort or _OrderSort.CREATED_AT_DESC),
        statuses=tuple(s.value for s in (filter.status or ())) if filter else (),
        with_total=wants_total(info)).validated()
    page = await info.context.loaders.load("orders_by_customer_page", (customer_pk, args))
    # every customer of the list gets here in the same turn: their orders' relations
    # load together, one batch per level
    await prefetch_connection(info, "Order", page.items)
    return to_connection(page, Order.from_row)


async def purchase_summary(info: Any, customer_pk: int) -> PurchaseSummary:
    s = await info.context.loaders.load("purchase_summary_by_customer", customer_pk)
    return PurchaseSummary(
        order_count=s.order_count, total_spent=money(s.total_spent, s.currency),
        last_order_at=s.last_order_at,
        top_products=[TopProduct(sku=t.sku, name=t.name, quantity=t.quantity,
                                 revenue=money(t.revenue, s.currency), _product_id=t.product_id)
                      for t in s.top_products])
