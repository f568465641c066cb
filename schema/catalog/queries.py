"""`products` and `product`: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.catalog import service
from schema.catalog.inputs import ProductFilter, ProductSort, filter_from
from schema.catalog.types import Product
from schema.core.node import lookup
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.loading.prefetch import read_connection


@strawberry.type
class CatalogQuery:
    @strawberry.field(description="The catalog (CUSTOMER: active products only).")
    async def products(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ProductFilter | None = None, sort: ProductSort | None = None,
    ) -> Connection[Product]:
        sort = sort or ProductSort.NAME_ASC  # null: the list's default order
        principal = current_principal(info)
        page = await read_connection(info, "Product", service.list_products, principal,
                                     filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Product.from_row)

    @strawberry.field(description="One product; null when missing (or retired, for CUSTOMER).")
    async def product(self, info: strawberry.Info, id: strawberry.ID) -> Product | None:
        return await lookup(info, id, "Product")
