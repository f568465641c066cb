"""Inventory mutations (warehouses and every stock workflow, each one ledger-backed) and
their payloads `{ <object>, userErrors }`: parse the input, call one service, map the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from app.errors import DomainError
from app.inventory import service, stock_service
from schema.core.errors import UserError, user_errors
from schema.core.node import parse_ids
from schema.core.writes import provided, run_write
from schema.inventory.inputs import (
    StockAdjustInput,
    StockCountInput,
    StockLevelUpdateInput,
    StockReceiveInput,
    StockTransferInput,
    WarehouseCreateInput,
    WarehouseUpdateInput,
)
from schema.inventory.types import StockLevel, Warehouse

LEDGER = " Recorded as a stock movement; audited; may raise `stock.alert` events."
SCOPED = " WAREHOUSE staff: their warehouses only (others answer NOT_FOUND)."


@strawberry.type
class WarehousePayload:
    warehouse: Warehouse | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StockLevelPayload:
    stock_level: StockLevel | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StockTransferPayload:
    from_stock_level: StockLevel | None = None
    to_stock_level: StockLevel | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _level_write(info: strawberry.Info, parse: Callable[[], list[Any]],
                       fn: Callable[..., Any], *rest: Any) -> StockLevelPayload:
    """Decode the IDs, run one stock workflow, map the level into the payload."""
    try:
        ids = parse()
    except DomainError as exc:
        return StockLevelPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *ids, *rest)
    return StockLevelPayload(stock_level=StockLevel.from_row(row) if row else None,
                             user_errors=errors)


def _product_and_warehouse(inp: Any) -> Callable[[], list[Any]]:
    return lambda: parse_ids((inp.product_id, "Product", "productId"),
                             (inp.warehouse_id, "Warehouse", "warehouseId"))


@strawberry.type
class InventoryMutation:
    @strawberry.mutation(description="Add a warehouse; the code must be unique.")
    async def warehouse_create(self, info: strawberry.Info,
                               input: WarehouseCreateInput) -> WarehousePayload:
        data = {k: v for k, v in provided(input).items() if v is not None}
        row, errors = await run_write(info, service.create_warehouse, data)
        return WarehousePayload(warehouse=Warehouse.from_row(row) if row else None,
                                user_errors=errors)

    @strawberry.mutation(description="Change the fields given.")
    async def warehouse_update(self, info: strawberry.Info, id: strawberry.ID,
                               input: WarehouseUpdateInput) -> WarehousePayload:
        try:
            (pk,) = parse_ids((id, "Warehouse", "id"))
        except DomainError as exc:
            return WarehousePayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.update_warehouse, pk, provided(input))
        return WarehousePayload(warehouse=Warehouse.from_row(row) if row else None,
                                user_errors=errors)

    @strawberry.mutation(description="Goods received: on hand grows. A consignor's goods name "
                         "their consignor and its advance shipping notice (docs: "
                         "Consignors)." + LEDGER + SCOPED)
    async def stock_receive(self, info: strawberry.Info,
                            input: StockReceiveInput) -> StockLevelPayload:
        def parse() -> list[Any]:
            return parse_ids((input.product_id, "Product", "productId"),
                             (input.warehouse_id, "Warehouse", "warehouseId"),
                             (input.consignor_id, "Customer", "consignorId"))

        return await _level_write(info, parse, stock_service.receive_consigned, input.quantity,
                                  input.reason, input.reference, input.asn_reference)

    @strawberry.mutation(description="Correct on hand by a signed delta with a reason; only "
                         "unreserved stock can be removed." + LEDGER + SCOPED)
    async def stock_adjust(self, info: strawberry.Info,
                           input: StockAdjustInput) -> StockLevelPayload:
        return await _level_write(info, _product_and_warehouse(input),
                                  stock_service.adjust_stock, input.quantity_delta, input.reason)

    @strawberry.mutation(description="Set on hand to a counted quantity (a COUNT movement of "
                         "the difference)." + LEDGER + SCOPED)
    async def stock_count(self, info: strawberry.Info,
                          input: StockCountInput) -> StockLevelPayload:
        return await _level_write(info, _product_and_warehouse(input),
                                  stock_service.count_stock, input.counted_quantity,
                                  input.reason)

    @strawberry.mutation(description="Move unreserved stock between two warehouses."
                         + LEDGER + SCOPED)
    async def stock_transfer(self, info: strawberry.Info,
                             input: StockTransferInput) -> StockTransferPayload:
        try:
            ids = parse_ids((input.product_id, "Product", "productId"),
                            (input.from_warehouse_id, "Warehouse", "fromWarehouseId"),
                            (input.to_warehouse_id, "Warehouse", "toWarehouseId"))
        except DomainError as exc:
            return StockTransferPayload(user_errors=user_errors(exc))
        levels, errors = await run_write(info, stock_service.transfer_stock, *ids,
                                         input.quantity, input.reason)
        if levels is None:
            return StockTransferPayload(user_errors=errors)
        return StockTransferPayload(from_stock_level=StockLevel.from_row(levels[0]),
                                    to_stock_level=StockLevel.from_row(levels[1]))

    @strawberry.mutation(description="Set planning numbers: safety stock, reorder point, "
                         "incoming (0 to 1_000_000_000)." + SCOPED)
    async def stock_level_update(self, info: strawberry.Info, id: strawberry.ID,
                                 input: StockLevelUpdateInput) -> StockLevelPayload:
        return await _level_write(info, lambda: parse_ids((id, "StockLevel", "id")),
                                  stock_service.update_level_settings, provided(input))
