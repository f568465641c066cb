"""Return-request queries and mutations: parse, call one service, map the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from app.auth.roles import Perm
from app.errors import DomainError
from app.ids import parse_id
from app.returns import receiving as return_receiving
from app.returns import repository as ret_repo
from app.returns import resolution as return_resolution
from app.returns import service as returns
from schema.core.errors import user_errors
from schema.core.node import lookup, register_node
from schema.core.pagination import Connection, page_request, to_connection
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_read, run_write
from schema.loading.loaders import register_loader
from schema.orders.types import PaymentMethod
from schema.payments.types import finance_only
from schema.returns.types import (
    ReturnRequest,
    ReturnRequestCreateInput,
    ReturnRequestFilter,
    ReturnRequestPayload,
    ReturnRequestReceiveInput,
    ReturnRequestSort,
)

register_loader("return_requests_by_order", ret_repo.requests_by_order, default=[])
register_loader("return_lines_by_request", ret_repo.lines_by_request, default=[])


async def fetch_return(info: strawberry.Info, pk: int) -> ReturnRequest | None:
    principal = current_principal(info)
    if not principal.can(Perm.ORDERS_READ):
        return None
    row = await run_read(info, returns.get_return, principal, pk)
    return ReturnRequest.from_row(row) if row else None


register_node("ReturnRequest", fetch_return)


async def order_return_requests(info: Any, order_pk: int) -> list[ReturnRequest]:
    """`Order.returnRequests`: the order is visible, so are its returns."""
    rows = await info.context.loaders.load("return_requests_by_order", order_pk)
    return [ReturnRequest.from_row(r) for r in rows]


def _filter(flt: ReturnRequestFilter | None) -> ret_repo.ReturnFilter:
    if flt is None:
        return ret_repo.ReturnFilter()
    return ret_repo.ReturnFilter(
        statuses=tuple(s.value for s in flt.status or ()),
        types=tuple(t.value for t in flt.type or ()),
        order_id=parse_id(flt.order_id, "Order", "orderId") if flt.order_id else None,
        customer_id=parse_id(flt.customer_id, "Customer", "customerId")
        if flt.customer_id else None,
        created_after=flt.created_after, created_before=flt.created_before)


def _draft(inp: ReturnRequestCreateInput) -> returns.ReturnDraft:
    return returns.ReturnDraft(
        order_id=parse_id(inp.order_id, "Order", "orderId"), type=inp.type.value,
        reason=inp.reason, idempotency_key=inp.idempotency_key,
        lines=tuple(returns.ReturnLineRequest(
            parse_id(ln.order_line_id, "OrderLine", f"lines.{i}.orderLineId"), ln.quantity)
            for i, ln in enumerate(inp.lines)))


def _received(inp: ReturnRequestReceiveInput) -> tuple[int, int | None, tuple]:
    warehouse = parse_id(inp.warehouse_id, "Warehouse", "warehouseId") \
        if inp.warehouse_id else None
    lines = tuple(return_receiving.ReceivedLine(
        parse_id(ln.order_line_id, "OrderLine", f"lines.{i}.orderLineId"), ln.restock, ln.scrap)
        for i, ln in enumerate(inp.lines))
    return parse_id(inp.id, "ReturnRequest"), warehouse, lines


async def _run(info: Any, fn: Callable[..., Any], parse: Callable[[], tuple]
               ) -> ReturnRequestPayload:
    try:
        args = parse()
    except DomainError as exc:
        return ReturnRequestPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *args)
    return ReturnRequestPayload(return_request=ReturnRequest.from_row(row) if row else None,
                                user_errors=errors)


def _id(raw: str) -> Callable[..., tuple]:
    return lambda *rest: (parse_id(raw, "ReturnRequest"), *rest)


@strawberry.type
class ReturnQuery:
    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="Return requests the caller may see (SALES: of owned "
                      "customers; CUSTOMER: its own).")
    async def return_requests(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        filter: ReturnRequestFilter | None = None,
        sort: ReturnRequestSort = ReturnRequestSort.CREATED_AT_DESC,  # type: ignore
    ) -> Connection[ReturnRequest]:
        principal = current_principal(info)
        page = await run_read(info, returns.list_returns, principal, _filter(filter), sort,
                              page_request(info, first, after, last, before))
        return to_connection(page, ReturnRequest.from_row)

    @strawberry.field(extensions=requires(Perm.ORDERS_READ),
                      description="One return request; null when missing or out of scope.")
    async def return_request(self, info: strawberry.Info,
                             id: strawberry.ID) -> ReturnRequest | None:
        return await lookup(info, id, "ReturnRequest")


@strawberry.type
class ReturnMutation:
    @strawberry.mutation(extensions=requires(Perm.RETURNS_CREATE),
                         description="Ask delivered goods back (CUSTOMER: own orders).")
    async def return_request_create(self, info: strawberry.Info,
                                    input: ReturnRequestCreateInput) -> ReturnRequestPayload:
        return await _run(info, returns.create_return, lambda: (_draft(input),))

    @strawberry.mutation(extensions=requires(Perm.RETURNS_MANAGE),
                         description="REQUESTED -> APPROVED.")
    async def return_request_approve(self, info: strawberry.Info,
                                     id: strawberry.ID) -> ReturnRequestPayload:
        return await _run(info, returns.approve_return, _id(id))

    @strawberry.mutation(extensions=requires(Perm.RETURNS_MANAGE),
                         description="REQUESTED -> REJECTED; the units become returnable again.")
    async def return_request_reject(self, info: strawberry.Info, id: strawberry.ID,
                                    reason: str) -> ReturnRequestPayload:
        return await _run(info, returns.reject_return, lambda: _id(id)(reason))

    @strawberry.mutation(extensions=requires(Perm.RETURNS_MANAGE),
                         description="APPROVED -> RECEIVED: restock or scrap each line "
                         "(stock movements RETURN_RESTOCK and SCRAP).")
    async def return_request_receive(self, info: strawberry.Info,
                                     input: ReturnRequestReceiveInput) -> ReturnRequestPayload:
        return await _run(info, return_receiving.receive_return, lambda: _received(input))

    @strawberry.mutation(extensions=finance_only(),
                         description="RETURN: RECEIVED -> REFUNDED. Credits the goods to the "
                         "order and pays back what was paid beyond the new total.")
    async def return_request_refund(
        self, info: strawberry.Info, id: strawberry.ID,
        method: PaymentMethod | None = None,  # type: ignore[valid-type]
        reference: str | None = None,
    ) -> ReturnRequestPayload:
        return await _run(info, return_resolution.refund_return, lambda: _id(id)(
            method.value if method else None, reference or ""))

    @strawberry.mutation(extensions=requires(Perm.RETURNS_MANAGE),
                         description="EXCHANGE: RECEIVED -> REPLACED (a free replacement order, "
                         "submitted for review). REPAIR: RECEIVED -> REPAIRED (resolution "
                         "required).")
    async def return_request_resolve(self, info: strawberry.Info, id: strawberry.ID,
                                     resolution: str | None = None) -> ReturnRequestPayload:
        return await _run(info, return_resolution.resolve_return,
                          lambda: _id(id)(resolution))
