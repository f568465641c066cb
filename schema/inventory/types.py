"""GraphQL types of warehouses, stock levels, the movement ledger and reorder planning."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.ids import to_global_id
from app.inventory import models as m
from app.inventory import movement_repository as movement_repo
from app.inventory import repository as repo
from app.inventory.replenishment import Suggestion
from app.inventory.status import StockStatus as _StockStatus
from app.inventory.status import classify
from schema.catalog.types import Product
from schema.loaders import register_loader
from schema.node import Node, gid
from schema.permissions import current_principal, requires

if TYPE_CHECKING:
    from schema.auth.types import User

register_loader("warehouse_by_id", repo.warehouses_by_ids)
register_loader("stock_levels_by_product", repo.levels_by_product, default=[])
register_loader("stock_levels_by_warehouse", repo.levels_by_warehouse, default=[])
register_loader("stock_movement_by_id", movement_repo.movements_by_ids)

StockStatus = strawberry.enum(_StockStatus, name="StockStatus",
                              description="OUT_OF_STOCK: available <= 0; LOW_STOCK: 0 < "
                              "available < safety stock; IN_STOCK: otherwise.")
StockMovementKind = strawberry.enum(m.MovementKind, name="StockMovementKind")


async def visible_levels(info: Any, loader: str, key: int) -> list[m.StockLevel]:
    """Levels from a per-request loader, cut to the caller's warehouses (WAREHOUSE role)."""
    rows = await info.context.loaders.load(loader, key)
    scope = current_principal(info).warehouse_scope
    return rows if scope is None else [r for r in rows if r.warehouse_id in scope]


async def load_product(info: Any, product_id: int) -> Product:
    return Product.from_row(await info.context.loaders.load("product_by_id", product_id))


async def load_warehouse(info: Any, warehouse_id: int) -> Warehouse:
    return Warehouse.from_row(await info.context.loaders.load("warehouse_by_id", warehouse_id))


@strawberry.type(description="A stocking location.")
class Warehouse(Node):
    code: str
    name: str
    region: str
    address: str
    is_active: bool = strawberry.field(description="Inactive warehouses receive no stock.")
    created_at: datetime
    _pk: strawberry.Private[int]

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Every stock level of this warehouse, by product; use "
                      "`stockLevels(filter: {warehouseId})` to page through large ones.")
    async def stock_levels(self, info: strawberry.Info) -> list[StockLevel] | None:
        rows = await visible_levels(info, "stock_levels_by_warehouse", self._pk)
        return [StockLevel.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: m.Warehouse) -> Warehouse:
        return cls(id=gid("Warehouse", row.id), code=row.code, name=row.name, region=row.region,
                   address=row.address, is_active=row.is_active, created_at=row.created_at,
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

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Product:
        return await load_product(info, self._product_id)

    @strawberry.field
    async def warehouse(self, info: strawberry.Info) -> Warehouse:
        return await load_warehouse(info, self._warehouse_id)

    @classmethod
    def from_row(cls, row: m.StockLevel) -> StockLevel:
        available = row.on_hand - row.reserved
        return cls(
            id=gid("StockLevel", row.id), on_hand=row.on_hand, reserved=row.reserved,
            available=available, incoming=row.incoming, safety_stock=row.safety_stock,
            reorder_point=row.reorder_point, is_low=available < row.safety_stock,
            status=classify(available, row.safety_stock), updated_at=row.updated_at,
            _product_id=row.product_id, _warehouse_id=row.warehouse_id,
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
    created_at: datetime
    _product_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _actor_id: strawberry.Private[int | None]

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Product:
        return await load_product(info, self._product_id)

    @strawberry.field
    async def warehouse(self, info: strawberry.Info) -> Warehouse:
        return await load_warehouse(info, self._warehouse_id)

    @strawberry.field(description="Who made the change; null for system work.")
    async def actor(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        from schema.auth.types import User
        if self._actor_id is None:
            return None
        row = await info.context.loaders.load("user_by_id", self._actor_id)
        return User.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: m.StockMovement) -> StockMovement:
        ref_id = None
        if row.reference_type and row.reference_id is not None:
            ref_id = strawberry.ID(to_global_id(row.reference_type, row.reference_id))
        return cls(
            id=gid("StockMovement", row.id), kind=m.MovementKind(row.kind),
            on_hand_delta=row.on_hand_delta, reserved_delta=row.reserved_delta,
            reason=row.reason, reference_type=row.reference_type, reference_id=ref_id,
            external_reference=row.external_reference, created_at=row.created_at,
            _product_id=row.product_id, _warehouse_id=row.warehouse_id, _actor_id=row.actor_id,
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
    async def product(self, info: strawberry.Info) -> Product:
        return await load_product(info, self._product_id)

    @strawberry.field
    async def warehouse(self, info: strawberry.Info) -> Warehouse:
        return await load_warehouse(info, self._warehouse_id)

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
