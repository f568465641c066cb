"""Product mutations and their payload `{ product, userErrors }`: parse the input, call one
service, map the result."""

from __future__ import annotations

import strawberry

from app.catalog import service
from app.errors import DomainError
from app.ids import parse_id
from schema.catalog.inputs import ProductCreateInput, ProductUpdateInput
from schema.catalog.types import Product
from schema.core.errors import UserError, user_errors
from schema.core.writes import provided, run_write


@strawberry.type
class ProductPayload:
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CatalogMutation:
    @strawberry.mutation(description="Add a product; the SKU must be unique.")
    async def product_create(self, info: strawberry.Info,
                             input: ProductCreateInput) -> ProductPayload:
        data = {k: v for k, v in provided(input).items() if v is not None}
        if "consignor_id" in data:
            try:
                data["consignor_id"] = parse_id(data["consignor_id"], "Customer", "consignorId")
            except DomainError as exc:
                return ProductPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.create_product, data)
        return ProductPayload(product=Product.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Change the fields given; null clears description and "
                         "category.")
    async def product_update(self, info: strawberry.Info, id: strawberry.ID,
                             input: ProductUpdateInput) -> ProductPayload:
        try:
            pk = parse_id(id, "Product")
        except DomainError as exc:
            return ProductPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.update_product, pk, provided(input))
        return ProductPayload(product=Product.from_row(row) if row else None, user_errors=errors)
