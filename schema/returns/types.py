"""GraphQL types of return requests (returns, exchanges, repairs) and their lines."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.orders import models as om
from app.returns import models as m
from app.returns import repository as ret_repo
from app.returns import service as returns
from app.returns import workflow as wf
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.customers.types import Customer
    from schema.orders.types import Order, OrderLine

register_loader("return_requests_by_order", ret_repo.requests_by_order, default=[])
register_loader("return_lines_by_request", ret_repo.lines_by_request, default=[])

ReturnRequestStatus = strawberry.enum(wf.ReturnStatus, name="ReturnRequestStatus")
ReturnRequestType = strawberry.enum(
    wf.ReturnType, name="ReturnRequestType",
    description="RETURN: goods back for a refund; EXCHANGE: a replacement order; REPAIR: "
    "repaired and sent back.")
ReturnRequestAction = strawberry.enum(wf.ReturnAction, name="ReturnRequestAction")


@strawberry.type(description="Whether the caller may take a return step now, and why not.")
class ReturnRequestActionState:
    action: ReturnRequestAction  # type: ignore[valid-type]
    enabled: bool
    reason: str | None


async def _order_row(info: Any, order_id: int) -> om.Order | None:
    return await info.context.loaders.load("order_by_id", order_id)


@strawberry.type(description="Units of one order line asked back, and what became of them.")
class ReturnLine:
    quantity: int
    restocked: int = strawberry.field(description="Received and put back into stock.")
    scrapped: int = strawberry.field(description="Received and scrapped.")
    _row: strawberry.Private[m.ReturnLine]
    _order_id: strawberry.Private[int]

    @strawberry.field
    def order_line_id(self) -> strawberry.ID:
        return gid("OrderLine", self._row.order_line_id)

    @strawberry.field
    async def order_line(self, info: strawberry.Info) -> Annotated[
            OrderLine, strawberry.lazy("schema.orders.types")] | None:
        row = await info.context.loaders.load("order_line_by_id", self._row.order_line_id)
        order = await _order_row(info, self._order_id)
        return object_type("OrderLine").from_row(row, order.currency) if row and order else None

    @classmethod
    def from_row(cls, row: m.ReturnLine, order_id: int) -> ReturnLine:
        return cls(quantity=row.quantity, restocked=row.restocked, scrapped=row.scrapped,
                   _row=row, _order_id=order_id)


@strawberry.type(description="A return, exchange or repair of delivered goods.")
class ReturnRequest(Node):
    number: str
    type: ReturnRequestType  # type: ignore[valid-type]
    status: ReturnRequestStatus  # type: ignore[valid-type]
    reason: str
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    _row: strawberry.Private[m.ReturnRequest]

    @strawberry.field
    async def lines(self, info: strawberry.Info) -> list[ReturnLine]:
        rows = await info.context.loaders.load("return_lines_by_request", self._row.id)
        return [ReturnLine.from_row(r, self._row.order_id) for r in rows]

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        row = await _order_row(info, self._row.order_id)
        return object_type("Order").from_row(row) if row else None

    @strawberry.field(extensions=requires(Perm.CUSTOMERS_READ))
    async def customer(self, info: strawberry.Info) -> Annotated[
            Customer, strawberry.lazy("schema.customers.types")] | None:
        row = await info.context.loaders.load("customer_by_id", self._row.customer_id)
        return object_type("Customer").from_row(row) if row else None

    @strawberry.field(description="Value of the returned goods credited to the order (RETURN, "
                      "once refunded). Money is paid back only for what was paid beyond the "
                      "reduced total: see Order.payments.")
    async def refund_amount(self, info: strawberry.Info) -> Money:
        order = await _order_row(info, self._row.order_id)
        return money(self._row.refund_amount, order.currency if order else "CNY")

    @strawberry.field(description="The free replacement order of an EXCHANGE.")
    async def replacement_order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        if self._row.replacement_order_id is None:
            return None
        row = await _order_row(info, self._row.replacement_order_id)
        return object_type("Order").from_row(row) if row else None

    @strawberry.field(description="Every step, whether the caller may take it now and why not.")
    def available_actions(self, info: strawberry.Info) -> list[ReturnRequestActionState]:
        states = wf.available_actions(self._row, current_principal(info))
        return [ReturnRequestActionState(action=s.action, enabled=s.enabled, reason=s.reason)
                for s in states]

    @classmethod
    def from_row(cls, row: m.ReturnRequest) -> ReturnRequest:
        return cls(id=gid("ReturnRequest", row.id), number=row.number, type=row.type,
                   status=row.status, reason=row.reason, resolution=row.resolution,
                   created_at=row.created_at, updated_at=row.updated_at, _row=row)


async def fetch_return(info: strawberry.Info, pk: int) -> ReturnRequest | None:
    principal = current_principal(info)
    if not principal.can(Perm.ORDERS_READ):
        return None
    row = await run_read(info, returns.get_return, principal, pk)
    return ReturnRequest.from_row(row) if row else None


register_node("ReturnRequest", fetch_return)
register_types(ReturnRequest)
