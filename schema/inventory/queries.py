"""Inventory queries: warehouses, stock levels, the movement ledger, reorder planning."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import DomainError
from app.inventory import repository as repo
from app.inventory import service
from app.persistence.pagination import Page
from schema.core.node import lookup, parse_ids, resolve_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.inventory.inputs import (
    StockLevelFilter,
    StockLevelSort,
    StockMovementFilter,
    StockMovementSort,
    WarehouseFilter,
    WarehouseSort,
    level_filter_from,
    movement_filter_from,
    warehouse_filter_from,
)
from schema.inventory.types import ReplenishmentSuggestion, StockLevel, StockMovement, Warehouse
from schema.loading.prefetch import read_connection

MAX_SUGGESTIONS = 1000

STOCK_SCOPE = " WAREHOUSE staff see their assigned warehouses only."


@strawberry.type
class InventoryQuery:
    @strawberry.field(description="Warehouses." + STOCK_SCOPE)
    async def warehouses(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: WarehouseFilter | None = None, sort: WarehouseSort | None = None,
    ) -> Connection[Warehouse]:
        sort = sort or WarehouseSort.CODE_ASC  # null: the list's default order
        page = await read_connection(info, "Warehouse", service.list_warehouses,
                                     current_principal(info), warehouse_filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, Warehouse.from_row)

    @strawberry.field(description="One warehouse; null when missing or not yours.")
    async def warehouse(self, info: strawberry.Info, id: strawberry.ID) -> Warehouse | None:
        return await lookup(info, id, "Warehouse")

    @strawberry.field(description="Stock per product and warehouse." + STOCK_SCOPE)
    async def stock_levels(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: StockLevelFilter | None = None,
        sort: StockLevelSort | None = None,
    ) -> Connection[StockLevel]:
        sort = sort or StockLevelSort.PRODUCT_ASC  # null: the list's default order
        page = await read_connection(info, "StockLevel", service.list_stock_levels,
                                     current_principal(info), level_filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, StockLevel.from_row)

    @strawberry.field(description="Levels whose available stock (on hand - reserved) is below "
                      "their safety stock." + STOCK_SCOPE)
    async def low_stock_levels(
        self, info: strawberry.Info, warehouse_id: strawberry.ID | None = None,
        product_id: strawberry.ID | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
        sort: StockLevelSort | None = None,
    ) -> Connection[StockLevel]:
        sort = sort or StockLevelSort.PRODUCT_ASC  # null: the list's default order
        warehouse, product = parse_ids((warehouse_id, "Warehouse", "warehouseId"),
                                       (product_id, "Product", "productId"))
        flt = repo.StockLevelFilter(product_id=product, warehouse_id=warehouse,
                                    below_safety_stock=True)
        page = await read_connection(info, "StockLevel", service.list_stock_levels,
                                     current_principal(info), flt, sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, StockLevel.from_row)

    @strawberry.field(description="The movement ledger, newest first by default." + STOCK_SCOPE)
    async def stock_movements(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: StockMovementFilter | None = None,
        sort: StockMovementSort | None = None,
    ) -> Connection[StockMovement]:
        sort = sort or StockMovementSort.CREATED_AT_DESC  # null: the list's default order
        if filter is not None and filter.reference_id is not None \
                and await resolve_node(info, filter.reference_id) is None:
            # a reference the caller may not see filters like a missing one: nothing
            # (its movements would tell another rep's order, products and quantities)
            return to_connection(Page([], [], False, False, 0), StockMovement.from_row)
        page = await read_connection(info, "StockMovement", service.list_movements,
                                     current_principal(info), movement_filter_from(filter), sort,
                                     page_request(info, first, after, last, before))
        return to_connection(page, StockMovement.from_row)

    @strawberry.field(description="What to reorder, most urgent first: one row per product and "
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
