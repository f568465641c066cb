"""Input types of return requests, and their translation into service arguments (global
IDs decoded here)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.ids import parse_id
from app.returns import receiving as return_receiving
from app.returns import repository as ret_repo
from app.returns import service as returns
from schema.returns.types import ReturnRequestStatus, ReturnRequestType

ReturnRequestSort = strawberry.enum(ret_repo.ReturnSort, name="ReturnRequestSort")


@strawberry.input
class ReturnRequestFilter:
    status: list[ReturnRequestStatus] | None = None  # type: ignore[valid-type]
    type: list[ReturnRequestType] | None = None  # type: ignore[valid-type]
    order_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class ReturnLineInput:
    order_line_id: strawberry.ID
    quantity: int


@strawberry.input
class ReturnRequestCreateInput:
    order_id: strawberry.ID
    type: ReturnRequestType  # type: ignore[valid-type]
    reason: str
    lines: list[ReturnLineInput] = strawberry.field(
        description="At most what was delivered minus what was already returned, per line.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A replay by the same user returns the first request.")


@strawberry.input
class ReturnReceiveLineInput:
    order_line_id: strawberry.ID
    restock: int = 0
    scrap: int = 0


@strawberry.input(description="Goods received back. RETURN/EXCHANGE: per line the units "
                  "restocked and scrapped in `warehouseId` (units not listed did not arrive "
                  "and become returnable again). REPAIR: no lines, no warehouse.")
class ReturnRequestReceiveInput:
    id: strawberry.ID
    warehouse_id: strawberry.ID | None = None
    lines: list[ReturnReceiveLineInput] = strawberry.field(default_factory=list)


def filter_from(flt: ReturnRequestFilter | None) -> ret_repo.ReturnFilter:
    if flt is None:
        return ret_repo.ReturnFilter()
    return ret_repo.ReturnFilter(
        statuses=tuple(s.value for s in flt.status or ()),
        types=tuple(t.value for t in flt.type or ()),
        order_id=parse_id(flt.order_id, "Order", "orderId") if flt.order_id else None,
        customer_id=parse_id(flt.customer_id, "Customer", "customerId")
        if flt.customer_id else None,
        created_after=flt.created_after, created_before=flt.created_before)


def draft_from(inp: ReturnRequestCreateInput) -> returns.ReturnDraft:
    return returns.ReturnDraft(
        order_id=parse_id(inp.order_id, "Order", "orderId"), type=inp.type.value,
        reason=inp.reason, idempotency_key=inp.idempotency_key,
        lines=tuple(returns.ReturnLineRequest(
            parse_id(ln.order_line_id, "OrderLine", f"lines.{i}.orderLineId"), ln.quantity)
            for i, ln in enumerate(inp.lines)))


def received_from(inp: ReturnRequestReceiveInput) -> tuple[int, int | None, tuple]:
    warehouse = parse_id(inp.warehouse_id, "Warehouse", "warehouseId") \
        if inp.warehouse_id else None
    lines = tuple(return_receiving.ReceivedLine(
        parse_id(ln.order_line_id, "OrderLine", f"lines.{i}.orderLineId"), ln.restock, ln.scrap)
        for i, ln in enumerate(inp.lines))
    return parse_id(inp.id, "ReturnRequest"), warehouse, lines
