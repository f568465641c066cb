"""`customers` and `customer`: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.customers import service
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.customers.inputs import CustomerFilter, CustomerSort, filter_from
from schema.customers.types import Customer
from schema.loading.prefetch import read_connection


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="Customers the caller may see (SALES: own; CUSTOMER: self).")
    async def customers(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: CustomerFilter | None = None, sort: CustomerSort | None = None,
    ) -> Connection[Customer]:
        sort = sort or CustomerSort.NAME_ASC  # null: the list's default order
        principal = current_principal(info)
        page = await read_connection(info, "Customer", service.list_customers, principal,
                                     filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Customer.from_row)

    @strawberry.field(description="One customer; null when missing or out of your scope.")
    async def customer(self, info: strawberry.Info, id: strawberry.ID) -> Customer | None:
        return await lookup(info, id, "Customer")
