"""GraphQL types of warehouses, stock levels, the movement ledger and reorder planning."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.ids import to_global_id
from app.inventory import models as m
from app.inventory import repository as repo
from app.inventory import service
from app.inventory.replenishment import Suggestion
from app.inventory.repository import movements as movement_repo
from app.inventory.status import StockStatus as _StockStatus
from app.inventory.status import classify
from schema.core.guards import WAREHOUSE_ADDRESS_RULE
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, forbidden, requires, visibility
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.catalog.types import Product
    from schema.customers.types import Customer


def _joined_warehouses(found: dict[int, list[tuple[Any, Any]]]) -> dict:
    """The warehouses a stock-levels-by-product batch joined: `StockLevel.warehouse` then
    resolves from them, without a query of its own."""
    return {"warehouse_by_id": {w.id: w for pairs in found.values() for _, w in pairs}}


register_loader("warehouse_by_id", repo.warehouse_rows_by_ids)
register_loader("stock_levels_by_product", repo.levels_by_product, default=[],
                primes=_joined_warehouses)
register_loader("stock_levels_by_warehouse", repo.levels_by_warehouse, default=[])
register_loader("stock_movement_by_id", movement_repo.movements_by_ids)
for _type in ("StockLevel", "StockMovement", "ReplenishmentSuggestion"):
    register_relation(_type, "product", "product_by_id", "product_id",
                      child="Product")
    register_relation(_type, "warehouse", "warehouse_by_id", "warehouse_id",
                      child="Warehouse")
for _type in ("StockLevel", "StockMovement"):
    register_relation(_type, "consignor", "customer_by_id", "consignor_id",
                      child="Customer", perm=Perm.STOCK_READ)
register_relation("Warehouse", "stockLevels", "stock_levels_by_warehouse", "id",
                  child="StockLevel", many=True, perm=Perm.STOCK_READ)

StockStatus = strawberry.enum(_StockStatus, name="StockStatus",
                              description="OUT_OF_STOCK: available <= 0; LOW_STOCK: 0 < "
                              "available < safety stock; IN_STOCK: otherwise.")
StockMovementKind = strawberry.enum(m.MovementKind, name="StockMovementKind")


# Relation fields below are plain `def`s: they return loaded values directly, or the
# loader's awaitable when nothing loaded them ahead (schema/loading/loaders.py, prefetch.py).

def product_of(info: Any, product_id: int) -> Any:
    return info.context.loaders.one("product_by_id", product_id, object_type("Product"))


def warehouse_of(info: Any, warehouse_id: int) -> Any:
    return info.context.loaders.one("warehouse_by_id", warehouse_id, Warehouse)


def consignor_of(info: Any, consignor_id: int | None) -> Any:
    if consignor_id is None:
        return None
    return info.context.loaders.one("customer_by_id", consignor_id, object_type("Customer"))


CONSIGNOR = "Whose goods: a consignor, or null for the company's own (docs: Consignors)."


@strawberry.type(description="A stocking location.")
class Warehouse(Node):
    code: str
    name: str
    region: str
    is_active: bool = strawberry.field(description="Inactive warehouses receive no stock.")
    created_at: datetime
    _address: strawberry.Private[str]
    _pk: strawberry.Private[int]

    @strawberry.field(description=WAREHOUSE_ADDRESS_RULE + " (another one's: null and "
                      "FORBIDDEN).", directives=visibility(WAREHOUSE_ADDRESS_RULE))
    def address(self, info: strawberry.Info) -> str | None:
        scope = current_principal(info).warehouse_scope
        if scope is not None and self._pk not in scope:
            raise forbidden("another warehouse's address")
        return self._address

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Every stock level of this warehouse, by product; use "
                      "`stockLevels(filter: {warehouseId})` to page through large ones.")
    def stock_levels(self, info: strawberry.Info) -> list[StockLevel] | None:
        loaders = info.context.loaders
        principal = current_principal(info)
        scope, owner = principal.warehouse_scope, principal.consignor_scope
        if scope is not None and self._pk not in scope:
            return []
        # a consignor reads its own goods' levels only (docs/architecture.md#consignors)
        return loaders.resolve("stock_levels_by_warehouse", self._pk,
                               lambda rows: [loaders.cached(StockLevel, r) for r in rows
                                             if owner is None or r.consignor_id == owner])

    @classmethod
    def from_row(cls, row: m.Warehouse) -> Warehouse:
        return cls(id=gid("Warehouse", row.id), code=row.code, name=row.name, region=row.region,
                   _address=row.address, is_active=row.is_active, created_at=row.created_at,
                   _pk=row.id)


@strawberry.type(description="One product in one warehouse. on hand and reserved change only "
                 "through the movement ledger (`stockMovements`).")
class StockLevel(Node):
    on_hand: int = strawberry.field(description="Units physically in the warehouse.")
    reserved: int = strawberry.field(description="Units of on hand promised to orders.")
    available: int = strawberry.field(description="on hand - reserved: what can be promised.")
    incoming: int = strawberry.field(description="Units expected (ordered from suppliers).")
    safety_stock: int = strawberry.field(description="Keep at least this many available.")
    reorder_point: int = strawberry.field(description="Reorder when the projected available "
                                          "drops to this level.")
    is_low: bool = strawberry.field(description="available < safety stock.")
    status: StockStatus  # type: ignore[valid-type]
    updated_at: datetime
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _consignor_id: strawberry.Private[int | None]

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")]:
        return product_of(info, self._product_id)

    @strawberry.field
    def warehouse(self, info: strawberry.Info) -> Warehouse:
        return warehouse_of(info, self._warehouse_id)

    @strawberry.field(extensions=requires(Perm.STOCK_READ), description=CONSIGNOR)
    def consignor(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return consignor_of(info, self._consignor_id)

    @classmethod
    def from_row(cls, row: m.StockLevel) -> StockLevel:
        available = row.on_hand - row.reserved
        return cls(
            id=gid("StockLevel", row.id), on_hand=row.on_hand, reserved=row.reserved,
            available=available, incoming=row.incoming, safety_stock=row.safety_stock,
            reorder_point=row.reorder_point, is_low=available < row.safety_stock,
            status=classify(available, row.safety_stock), updated_at=row.updated_at,
            _product_id=row.product_id, _warehouse_id=row.warehouse_id,
            _consignor_id=row.consignor_id,
        )


@strawberry.type(description="One ledger entry: for every stock level, the sums of the deltas "
                 "of its movements equal its on hand and reserved.")
class StockMovement(Node):
    kind: StockMovementKind  # type: ignore[valid-type]
    on_hand_delta: int
    reserved_delta: int
    reason: str
    reference_type: str | None = strawberry.field(
        description="What caused it (e.g. Order, Shipment); null for manual stock work.")
    reference_id: strawberry.ID | None = strawberry.field(
        description="Global ID of the referenced object (type `referenceType`).")
    external_reference: str | None = strawberry.field(
        description="A document outside the system, e.g. a supplier delivery note.")
    asn_reference: str | None = strawberry.field(
        description="A consignor's receipt: its advance shipping notice.")
    created_at: datetime
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _actor_id: strawberry.Private[int | None]
    _consignor_id: strawberry.Private[int | None]

    @strawberry.field(extensions=requires(Perm.STOCK_READ), description=CONSIGNOR)
    def consignor(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        return consignor_of(info, self._consignor_id)

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")]:
        return product_of(info, self._product_id)

    @strawberry.field
    def warehouse(self, info: strawberry.Info) -> Warehouse:
        return warehouse_of(info, self._warehouse_id)

    @strawberry.field(description="Who made the change; null for system work.")
    async def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        if self._actor_id is None:
            return None
        row = await info.context.loaders.load("user_by_id", self._actor_id)
        return object_type("User").from_row(row) if row else None

    @classmethod
    def from_row(cls, row: m.StockMovement) -> StockMovement:
        ref_id = None
        if row.reference_type and row.reference_id is not None:
            ref_id = strawberry.ID(to_global_id(row.reference_type, row.reference_id))
        return cls(
            id=gid("StockMovement", row.id), kind=m.MovementKind(row.kind),
            on_hand_delta=row.on_hand_delta, reserved_delta=row.reserved_delta,
            reason=row.reason, reference_type=row.reference_type, reference_id=ref_id,
            external_reference=row.external_reference, asn_reference=row.asn_reference,
            created_at=row.created_at, _product_id=row.product_id,
            _warehouse_id=row.warehouse_id, _actor_id=row.actor_id,
            _consignor_id=row.consignor_id,
        )


@strawberry.type(description="A product to reorder for one warehouse, and why. "
                 "suggestedQuantity = targetLevel - projectedAvailable.")
class ReplenishmentSuggestion:
    stock_level: StockLevel
    on_hand: int
    reserved: int
    available: int = strawberry.field(description="on hand - reserved.")
    incoming: int = strawberry.field(description="Units already expected from suppliers.")
    safety_stock: int
    reorder_point: int
    open_demand: int = strawberry.field(
        description="This warehouse's share of the product's open demand. Open demand is the "
        "ordered but not yet reserved quantity on DRAFT, PENDING_REVIEW and ON_HOLD orders "
        "(line quantity minus what is allocated to the line). Such orders have no warehouse "
        "yet, so the demand is shared across the active warehouses stocking the product in "
        "proportion to their available stock (evenly when none has any), rounded so that "
        "the shares add up to `productOpenDemand`.")
    product_open_demand: int = strawberry.field(
        description="The product's open demand over all warehouses.")
    projected_available: int = strawberry.field(
        description="available + incoming - openDemand.")
    reorder_level: int = strawberry.field(
        description="max(reorderPoint, safetyStock): a reorder is due when projectedAvailable "
        "is at or below it.")
    target_level: int = strawberry.field(
        description="reorderLevel + safetyStock: the level a reorder should restore.")
    suggested_quantity: int = strawberry.field(
        description="targetLevel - projectedAvailable (always > 0 here).")
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]

    @strawberry.field
    def product(self, info: strawberry.Info) -> Annotated[
            Product, strawberry.lazy("schema.catalog.types")]:
        return product_of(info, self._product_id)

    @strawberry.field
    def warehouse(self, info: strawberry.Info) -> Warehouse:
        return warehouse_of(info, self._warehouse_id)

    @classmethod
    def from_suggestion(cls, s: Suggestion) -> ReplenishmentSuggestion:
        lv = s.level
        return cls(
            stock_level=StockLevel.from_row(lv), on_hand=lv.on_hand, reserved=lv.reserved,
            available=s.available, incoming=lv.incoming, safety_stock=lv.safety_stock,
            reorder_point=lv.reorder_point, open_demand=s.open_demand,
            product_open_demand=s.product_open_demand,
            projected_available=s.projected_available, reorder_level=s.reorder_level,
            target_level=s.target_level, suggested_quantity=s.suggested_quantity,
            _product_id=lv.product_id, _warehouse_id=lv.warehouse_id,
        )


def _fetcher(getter: Callable[..., Any], convert: Callable[[Any], Any]):  # noqa: ANN202
    async def fetch(info: strawberry.Info, pk: int) -> Any:
        principal = current_principal(info)
        if not principal.can(Perm.STOCK_READ):
            return None
        row = await run_read(info, getter, principal, pk)
        return convert(row) if row else None
    return fetch


register_node("Warehouse", _fetcher(service.get_warehouse, Warehouse.from_row))
register_node("StockLevel", _fetcher(service.get_stock_level, StockLevel.from_row))
register_node("StockMovement", _fetcher(service.get_movement, StockMovement.from_row))
register_types(Warehouse, StockLevel, StockMovement)
