"""Product queries and mutations: parse, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.auth.roles import Perm
from app.catalog import repository as repo
from app.catalog import service
from app.errors import DomainError
from app.ids import parse_id
from schema.catalog.types import (
    Product,
    ProductCreateInput,
    ProductFilter,
    ProductPayload,
    ProductSort,
    ProductUpdateInput,
)
from schema.core.errors import user_errors
from schema.core.node import lookup, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import provided, run_read, run_write
from schema.loading.prefetch import read_connection


async def fetch_product(info: strawberry.Info, pk: int) -> Product | None:
    principal = current_principal(info)
    if not principal.can(Perm.PRODUCTS_READ):
        return None
    row = await run_read(info, service.get_product, principal, pk)
    return Product.from_row(row) if row else None


register_node("Product", fetch_product)


def _filter(flt: ProductFilter | None) -> repo.ProductFilter:
    if flt is None:
        return repo.ProductFilter()
    if flt.skus is not None and len(flt.skus) > 100:
        raise DomainError("at most 100 SKUs per filter", field=["filter", "skus"])
    for name, bound in (("priceMin", flt.price_min), ("priceMax", flt.price_max)):
        if bound is not None and not bound.is_finite():
            raise DomainError(f"{name} must be a number", field=["filter", name])
    return repo.ProductFilter(
        search=flt.search, category=flt.category, is_active=flt.is_active,
        skus=tuple(flt.skus) if flt.skus is not None else None, price_min=flt.price_min,
        price_max=flt.price_max, created_after=flt.created_after,
        created_before=flt.created_before,
    )


@strawberry.type
class CatalogQuery:
    @strawberry.field(extensions=requires(Perm.PRODUCTS_READ),
                      description="The catalog (CUSTOMER: active products only).")
    async def products(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ProductFilter | None = None, sort: ProductSort = ProductSort.NAME_ASC,
    ) -> Connection[Product]:
        principal = current_principal(info)
        page = await read_connection(info, "Product", service.list_products, principal,
                                     _filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Product.from_row)

    @strawberry.field(extensions=requires(Perm.PRODUCTS_READ),
                      description="One product; null when missing (or retired, for CUSTOMER).")
    async def product(self, info: strawberry.Info, id: strawberry.ID) -> Product | None:
        return await lookup(info, id, "Product")


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(extensions=requires(Perm.PRODUCTS_WRITE),
                         description="Add a product; the SKU must be unique.")
    async def product_create(self, info: strawberry.Info,
                             input: ProductCreateInput) -> ProductPayload:
        data = {k: v for k, v in provided(input).items() if v is not None}
        row, errors = await run_write(info, service.create_product, data)
        return ProductPayload(product=Product.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(extensions=requires(Perm.PRODUCTS_WRITE),
                         description="Change the fields given; null clears description and "
                         "category.")
    async def product_update(self, info: strawberry.Info, id: strawberry.ID,
                             input: ProductUpdateInput) -> ProductPayload:
        try:
            pk = parse_id(id, "Product")
        except DomainError as exc:
            return ProductPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.update_product, pk, provided(input))
        return ProductPayload(product=Product.from_row(row) if row else None, user_errors=errors)
