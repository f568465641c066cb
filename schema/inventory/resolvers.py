"""Inventory queries: warehouses, stock levels, the movement ledger, reorder planning."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode
from app.ids import from_global_id
from app.inventory import repository as repo
from app.inventory import service
from app.inventory.repository import movements as movement_repo
from schema.core.node import lookup, parse_ids, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.inventory.inputs import (
    StockLevelFilter,
    StockLevelSort,
    StockMovementFilter,
    StockMovementSort,
    WarehouseFilter,
    WarehouseSort,
)
from schema.inventory.types import ReplenishmentSuggestion, StockLevel, StockMovement, Warehouse
from schema.loading.prefetch import read_connection
from schema.mutations import run_read

MAX_SUGGESTIONS = 1000


def _fetcher(getter: Callable[..., Any], convert: Callable[[Any], Any]):  # noqa: ANN202
    async def fetch(info: strawberry.Info, pk: int) -> Any:
        principal = current_principal(info)
        if not principal.can(Perm.STOCK_READ):
            return None
        row = await run_read(info, getter, principal, pk)
        return convert(row) if row else None
    return fetch


fetch_warehouse = _fetcher(service.get_warehouse, Warehouse.from_row)
register_node("Warehouse", fetch_warehouse)
register_node("StockLevel", _fetcher(service.get_stock_level, StockLevel.from_row))
register_node("StockMovement", _fetcher(service.get_movement, StockMovement.from_row))


def _level_filter(flt: StockLevelFilter | None) -> repo.StockLevelFilter:
    flt = flt or StockLevelFilter()
    product, warehouse = parse_ids((flt.product_id, "Product", ["filter", "productId"]),
                                   (flt.warehouse_id, "Warehouse", ["filter", "warehouseId"]))
    return repo.StockLevelFilter(
        product_id=product, warehouse_id=warehouse, status=flt.status,
        below_safety_stock=flt.below_safety_stock,
        below_reorder_point=flt.below_reorder_point)


def _reference(raw: str | None) -> tuple[str | None, int | None]:
    if raw is None:
        return None, None
    try:
        return from_global_id(raw)
    except ValueError:
        raise DomainError("reference not found", field=["filter", "referenceId"],
                          code=ErrorCode.NOT_FOUND) from None


def _movement_filter(flt: StockMovementFilter | None) -> movement_repo.MovementFilter:
    if flt is None:
        return movement_repo.MovementFilter()
    product, warehouse, actor = parse_ids(
        (flt.product_id, "Product", ["filter", "productId"]),
        (flt.warehouse_id, "Warehouse", ["filter", "warehouseId"]),
        (flt.actor_id, "User", ["filter", "actorId"]))
    ref_type, ref_id = _reference(flt.reference_id)
    if flt.reference_type is not None and ref_type not in (None, flt.reference_type):
        raise DomainError("referenceId is not of referenceType", field=["filter", "referenceId"])
    return movement_repo.MovementFilter(
        product_id=product, warehouse_id=warehouse,
        kinds=tuple(k.value for k in flt.kinds) if flt.kinds is not None else None,
        reason=flt.reason, reference_type=flt.reference_type or ref_type, reference_id=ref_id,
        external_reference=flt.external_reference, actor_id=actor,
        created_after=flt.created_after, created_before=flt.created_before)


def _warehouse_filter(flt: WarehouseFilter | None) -> repo.WarehouseFilter:
    if flt is None:
        return repo.WarehouseFilter()
    return repo.WarehouseFilter(search=flt.search, region=flt.region, is_active=flt.is_active)


STOCK_SCOPE = " WAREHOUSE staff see their assigned warehouses only."


@strawberry.type
class InventoryQuery:
    @strawberry.field(extensions=requires(Perm.STOCK_READ), description="Warehouses." + STOCK_SCOPE)
    async def warehouses(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: WarehouseFilter | None = None, sort: WarehouseSort = WarehouseSort.CODE_ASC,
    ) -> Connection[Warehouse]:
        page = await read_connection(info, "Warehouse", service.list_warehouses,
                                     current_principal(info), _warehouse_filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Warehouse.from_row)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="One warehouse; null when missing or not yours.")
    async def warehouse(self, info: strawberry.Info, id: strawberry.ID) -> Warehouse | None:
        return await lookup(info, id, "Warehouse")

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Stock per product and warehouse." + STOCK_SCOPE)
    async def stock_levels(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: StockLevelFilter | None = None,
        sort: StockLevelSort = StockLevelSort.PRODUCT_ASC,
    ) -> Connection[StockLevel]:
        page = await read_connection(info, "StockLevel", service.list_stock_levels,
                                     current_principal(info), _level_filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, StockLevel.from_row)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="Levels whose available stock (on hand - reserved) is below "
                      "their safety stock." + STOCK_SCOPE)
    async def low_stock_levels(
        self, info: strawberry.Info, warehouse_id: strawberry.ID | None = None,
        product_id: strawberry.ID | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
        sort: StockLevelSort = StockLevelSort.PRODUCT_ASC,
    ) -> Connection[StockLevel]:
        warehouse, product = parse_ids((warehouse_id, "Warehouse", "warehouseId"),
                                       (product_id, "Product", "productId"))
        flt = repo.StockLevelFilter(product_id=product, warehouse_id=warehouse,
                                    below_safety_stock=True)
        page = await read_connection(info, "StockLevel", service.list_stock_levels,
                                     current_principal(info), flt, sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, StockLevel.from_row)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="The movement ledger, newest first by default." + STOCK_SCOPE)
    async def stock_movements(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: StockMovementFilter | None = None,
        sort: StockMovementSort = StockMovementSort.CREATED_AT_DESC,
    ) -> Connection[StockMovement]:
        page = await read_connection(info, "StockMovement", service.list_movements,
                                     current_principal(info), _movement_filter(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, StockMovement.from_row)

    @strawberry.field(extensions=requires(Perm.STOCK_READ),
                      description="What to reorder, most urgent first: one row per product and "
                      "warehouse where projectedAvailable (available + incoming - open demand) "
                      "is at or below the reorder level; see the fields for the computation. "
                      "Without warehouseId: every active warehouse you may see." + STOCK_SCOPE)
    async def replenishment_suggestions(
        self, info: strawberry.Info, warehouse_id: strawberry.ID | None = None,
        limit: Annotated[int, strawberry.argument(description="1 to 1000.")] = 100,
    ) -> list[ReplenishmentSuggestion]:
        if not 1 <= limit <= MAX_SUGGESTIONS:
            raise DomainError(f"limit must be between 1 and {MAX_SUGGESTIONS}", field=["limit"])
        (warehouse,) = parse_ids((warehouse_id, "Warehouse", "warehouseId"))
        rows = await run_read(info, service.replenishment_suggestions, current_principal(info),
                              warehouse, limit)
        return [ReplenishmentSuggestion.from_suggestion(s) for s in rows]
