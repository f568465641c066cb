"""Input types of the inventory API (inputs, filters, sorts), and their translation into
repository arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.errors import DomainError, ErrorCode
from app.ids import from_global_id
from app.inventory import repository as repo
from app.inventory.repository import movements as movement_repo
from schema.core.node import parse_ids
from schema.inventory.types import StockMovementKind, StockStatus

WarehouseSort = strawberry.enum(repo.WarehouseSort, name="WarehouseSort")
StockLevelSort = strawberry.enum(repo.StockLevelSort, name="StockLevelSort")
StockMovementSort = strawberry.enum(movement_repo.MovementSort, name="StockMovementSort")

QUANTITY_RULE = "A whole number from 1 to 1_000_000_000."


@strawberry.input
class WarehouseFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Matches code, name or address.")
    region: str | None = None
    is_active: bool | None = None


@strawberry.input
class StockLevelFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    status: StockStatus | None = None  # type: ignore[valid-type]
    below_safety_stock: bool | None = strawberry.field(
        default=None, description="true: available < safety stock (see `lowStockLevels`).")
    below_reorder_point: bool | None = strawberry.field(
        default=None, description="true: reorder point > 0 and available + incoming <= it.")
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="One consignor's goods (a Customer ID).")
    consigned: bool | None = strawberry.field(
        default=None, description="true: any consignor's goods; false: the company's own.")


@strawberry.input
class StockMovementFilter:
    product_id: strawberry.ID | None = None
    warehouse_id: strawberry.ID | None = None
    kinds: list[StockMovementKind] | None = None  # type: ignore[valid-type]
    reason: str | None = strawberry.field(default=None, description="Substring of the reason.")
    reference_type: str | None = strawberry.field(default=None, description="e.g. Order.")
    reference_id: strawberry.ID | None = strawberry.field(
        default=None, description="Global ID of the referenced object (implies its type).")
    external_reference: str | None = None
    actor_id: strawberry.ID | None = None
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="One consignor's goods (a Customer ID).")
    consigned: bool | None = strawberry.field(
        default=None, description="true: any consignor's goods; false: the company's own.")
    asn_reference: str | None = strawberry.field(
        default=None, description="A consignor's advance shipping notice.")
    created_after: datetime | None = strawberry.field(default=None, description="Inclusive.")
    created_before: datetime | None = strawberry.field(default=None, description="Exclusive.")


@strawberry.input
class WarehouseCreateInput:
    code: str = strawberry.field(description="Unique; 1 to 32 characters without spaces.")
    name: str
    region: str | None = None
    address: str | None = None
    is_active: bool | None = None


@strawberry.input
class WarehouseUpdateInput:
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    address: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="Deactivating is refused while stock here is reserved for orders.")


@strawberry.input
class StockReceiveInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    quantity: int = strawberry.field(description=QUANTITY_RULE)
    reason: str | None = None
    reference: str | None = strawberry.field(
        default=None, description="Supplier document, e.g. a delivery note number.")
    consignor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for a consignor's goods: the product's consignor "
        "(a Customer ID); null for the company's own.")
    asn_reference: str | None = strawberry.field(
        default=None, description="Required with consignorId: the consignor's advance "
        "shipping notice (at most 100 characters).")


@strawberry.input
class StockAdjustInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    quantity_delta: int = strawberry.field(
        description="Positive adds, negative removes unreserved stock; not 0.")
    reason: str = strawberry.field(description="Required: why the numbers were wrong.")


@strawberry.input
class StockTransferInput:
    product_id: strawberry.ID
    from_warehouse_id: strawberry.ID
    to_warehouse_id: strawberry.ID
    quantity: int = strawberry.field(description=QUANTITY_RULE + " Only unreserved stock moves.")
    reason: str | None = None


@strawberry.input
class StockCountInput:
    product_id: strawberry.ID
    warehouse_id: strawberry.ID
    counted_quantity: int = strawberry.field(
        description="Units found; on hand is set to it. Cannot be below the reserved units.")
    reason: str | None = None


@strawberry.input
class StockLevelUpdateInput:
    safety_stock: int | None = strawberry.UNSET
    reorder_point: int | None = strawberry.UNSET
    incoming: int | None = strawberry.UNSET


def level_filter_from(flt: StockLevelFilter | None) -> repo.StockLevelFilter:
    flt = flt or StockLevelFilter()
    product, warehouse, consignor = parse_ids(
        (flt.product_id, "Product", ["filter", "productId"]),
        (flt.warehouse_id, "Warehouse", ["filter", "warehouseId"]),
        (flt.consignor_id, "Customer", ["filter", "consignorId"]))
    return repo.StockLevelFilter(
        product_id=product, warehouse_id=warehouse, status=flt.status,
        below_safety_stock=flt.below_safety_stock,
        below_reorder_point=flt.below_reorder_point, consignor_id=consignor,
        consigned=flt.consigned)


def _reference(raw: str | None) -> tuple[str | None, int | None]:
    if raw is None:
        return None, None
    try:
        return from_global_id(raw)
    except ValueError:
        raise DomainError("reference not found", field=["filter", "referenceId"],
                          code=ErrorCode.NOT_FOUND) from None


def movement_filter_from(flt: StockMovementFilter | None) -> movement_repo.MovementFilter:
    if flt is None:
        return movement_repo.MovementFilter()
    product, warehouse, actor, consignor = parse_ids(
        (flt.product_id, "Product", ["filter", "productId"]),
        (flt.warehouse_id, "Warehouse", ["filter", "warehouseId"]),
        (flt.actor_id, "User", ["filter", "actorId"]),
        (flt.consignor_id, "Customer", ["filter", "consignorId"]))
    ref_type, ref_id = _reference(flt.reference_id)
    if flt.reference_type is not None and ref_type not in (None, flt.reference_type):
        raise DomainError("referenceId is not of referenceType", field=["filter", "referenceId"])
    return movement_repo.MovementFilter(
        product_id=product, warehouse_id=warehouse,
        kinds=tuple(k.value for k in flt.kinds) if flt.kinds is not None else None,
        reason=flt.reason, reference_type=flt.reference_type or ref_type, reference_id=ref_id,
        external_reference=flt.external_reference, actor_id=actor, consignor_id=consignor,
        consigned=flt.consigned, asn_reference=flt.asn_reference,
        created_after=flt.created_after, created_before=flt.created_before)


def warehouse_filter_from(flt: WarehouseFilter | None) -> repo.WarehouseFilter:
    if flt is None:
        return repo.WarehouseFilter()
    return repo.WarehouseFilter(search=flt.search, region=flt.region, is_active=flt.is_active)
