"""GraphQL types of the product catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.auth.roles import Perm
from app.catalog import models as m
from app.catalog import repository as repo
from schema.core.errors import UserError
from schema.core.guards import COST_RULE, cost_value
from schema.core.node import Node, gid
from schema.core.permissions import requires, visibility
from schema.core.scalars import Money, money
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.inventory.types import StockLevel

register_loader("product_by_id", repo.product_rows_by_ids)
# the levels come with their warehouses (see schema/inventory/types.py)
register_relation("Product", "stockLevels", "stock_levels_by_product", "id",
                  child="StockLevel", rows=lambda pairs: [level for level, _ in pairs],
                  perm=Perm.STOCK_READ)
register_relation("Product", "totalAvailable", "stock_levels_by_product", "id",
                  perm=Perm.STOCK_READ)

ProductSort = strawberry.enum(repo.ProductSort, name="ProductSort")
RATE = Decimal("0.0001")


@strawberry.type(description="A sellable item of the catalog.")
class Product(Node):
    sku: str
    name: str
    description: str
    category: str
    unit: str = strawberry.field(description="Unit of sale, e.g. pcs, box, kg.")
    currency: str = strawberry.field(description="ISO currency of price and cost.")
    weight_kg: Decimal
    is_active: bool = strawberry.field(description="Retired products are hidden from customers.")
    created_at: datetime
    updated_at: datetime
    _pk: strawberry.Private[int]
    _price: strawberry.Private[Decimal]
    _cost: strawberry.Private[Decimal]

    @strawberry.field(description="List price per unit.")
    def price(self) -> Money:
        return money(self._price, self.currency)

    @strawberry.field(description="Unit cost. " + COST_RULE, directives=visibility(COST_RULE))
    def cost(self, info: strawberry.Info) -> Money | None:
        return cost_value(info, money(self._cost, self.currency))

    @strawberry.field(description="Price minus cost per unit. " + COST_RULE,
                      directives=visibility(COST_RULE))
    def margin(self, info: strawberry.Info) -> Money | None:
        return cost_value(info, money(self._price - self._cost, self.currency))

    @strawberry.field(description="(price - cost) / price as a fraction with four decimals; "
                      "null when the price is 0. " + COST_RULE, directives=visibility(COST_RULE))
    def margin_rate(self, info: strawberry.Info) -> Decimal | None:
        rate = ((self._price - self._cost) / self._price).quantize(RATE) if self._price else None
        return cost_value(info, rate)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Stock per warehouse (WAREHOUSE staff: their warehouses only).")
    def stock_levels(self, info: strawberry.Info) -> list[Annotated[
            StockLevel, strawberry.lazy("schema.inventory.types")]] | None:
        from schema.inventory.types import product_stock_levels
        return product_stock_levels(info, self._pk)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Sum of on hand minus reserved over the warehouses the caller "
                      "may see (the same rows as `stockLevels`).")
    def total_available(self, info: strawberry.Info) -> int | None:
        from schema.inventory.types import product_total_available
        return product_total_available(info, self._pk)

    @classmethod
    def from_row(cls, row: m.Product) -> Product:
        return cls(
            id=gid("Product", row.id), sku=row.sku, name=row.name, description=row.description,
            category=row.category, unit=row.unit, currency=row.currency,
            weight_kg=row.weight_kg, is_active=row.is_active, created_at=row.created_at,
            updated_at=row.updated_at, _pk=row.id, _price=row.price, _cost=row.cost,
        )


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Matches name, SKU or category.")
    category: str | None = None
    is_active: bool | None = None
    skus: list[str] | None = strawberry.field(default=None, description="At most 100 SKUs.")
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class ProductCreateInput:
    sku: str = strawberry.field(description="Unique; 1 to 64 characters without spaces.")
    name: str
    price: Decimal = strawberry.field(description="Decimal string, at most two decimals.")
    cost: Decimal | None = strawberry.field(default=None, description=COST_RULE)
    description: str | None = None
    category: str | None = None
    unit: str | None = None
    currency: str | None = strawberry.field(default=None, description="Default CNY.")
    weight_kg: Decimal | None = None
    is_active: bool | None = None


@strawberry.input
class ProductUpdateInput:
    sku: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    price: Decimal | None = strawberry.UNSET
    cost: Decimal | None = strawberry.field(default=strawberry.UNSET, description=COST_RULE)
    description: str | None = strawberry.UNSET
    category: str | None = strawberry.UNSET
    unit: str | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    weight_kg: Decimal | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET


@strawberry.type
class ProductPayload:
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
