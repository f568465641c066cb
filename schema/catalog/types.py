"""GraphQL types of the product catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.catalog import models as m
from app.catalog import repository as repo
from app.catalog import service
from schema.core.guards import COST_RULE, cost_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.customers.types import Customer
    from schema.inventory.types import StockLevel

register_loader("product_by_id", repo.product_rows_by_ids)
# the levels come with their warehouses (see schema/inventory/types.py)
register_relation("Product", "stockLevels", "stock_levels_by_product", "id",
                  child="StockLevel", rows=lambda pairs: [level for level, _ in pairs],
                  perm=Perm.STOCK_READ)
register_relation("Product", "totalAvailable", "stock_levels_by_product", "id",
                  perm=Perm.STOCK_READ)
register_relation("Product", "consignor", "customer_by_id", "consignor_id",
                  child="Customer", perm=Perm.STOCK_READ)

CONSIGNOR = ("The consignor whose goods these are; null: the company's own "
             "(docs: Consignors).")

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
    length_cm: Decimal = strawberry.field(description="One unit, in cm (0: not measured).")
    width_cm: Decimal
    height_cm: Decimal
    cold_chain: bool = strawberry.field(description="Must travel refrigerated.")
    is_active: bool = strawberry.field(description="Retired products are hidden from customers.")
    created_at: datetime
    updated_at: datetime
    _pk: strawberry.Private[int]
    _price: strawberry.Private[Decimal]
    _cost: strawberry.Private[Decimal]
    _consignor_id: strawberry.Private[int | None]

    @strawberry.field(extensions=requires(Perm.STOCK_READ), description=CONSIGNOR)
    def consignor(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        if self._consignor_id is None:
            return None
        return info.context.loaders.one("customer_by_id", self._consignor_id,
                                        object_type("Customer"))

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
        # the loader's values are (level, warehouse) pairs; cut to the caller's warehouses
        loaders = info.context.loaders
        principal = current_principal(info)
        scope, owner = principal.warehouse_scope, principal.consignor_scope
        level_type = object_type("StockLevel")

        def convert(pairs: list[tuple[Any, Any]]) -> list[StockLevel]:
            return [loaders.cached(level_type, level) for level, _ in pairs
                    if (scope is None or level.warehouse_id in scope)
                    and (owner is None or level.consignor_id == owner)]

        return loaders.resolve("stock_levels_by_product", self._pk, convert)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Sum of on hand minus reserved over the warehouses the caller "
                      "may see (the same rows as `stockLevels`).")
    def total_available(self, info: strawberry.Info) -> int | None:
        principal = current_principal(info)
        scope, owner = principal.warehouse_scope, principal.consignor_scope

        def total(pairs: list[tuple[Any, Any]]) -> int:
            return sum(level.on_hand - level.reserved for level, _ in pairs
                       if (scope is None or level.warehouse_id in scope)
                       and (owner is None or level.consignor_id == owner))

        return info.context.loaders.resolve("stock_levels_by_product", self._pk, total)

    @classmethod
    def from_row(cls, row: m.Product) -> Product:
        return cls(
            id=gid("Product", row.id), sku=row.sku, name=row.name, description=row.description,
            category=row.category, unit=row.unit, currency=row.currency,
            weight_kg=row.weight_kg, length_cm=row.length_cm, width_cm=row.width_cm,
            height_cm=row.height_cm, cold_chain=row.cold_chain, is_active=row.is_active,
            created_at=row.created_at,
            updated_at=row.updated_at, _pk=row.id, _price=row.price, _cost=row.cost,
            _consignor_id=row.consignor_id,
        )


async def fetch_product(info: strawberry.Info, pk: int) -> Product | None:
    principal = current_principal(info)
    if not principal.can(Perm.PRODUCTS_READ):
        return None
    row = await run_read(info, service.get_product, principal, pk)
    return Product.from_row(row) if row else None


register_node("Product", fetch_product)
register_types(Product)
