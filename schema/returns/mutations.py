"""Return-request mutations, one per workflow step, and their payload
`{ returnRequest, userErrors }`: parse the input, call one service, map the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.returns import receiving as return_receiving
from app.returns import resolution as return_resolution
from app.returns import service as returns
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.orders.types import PaymentMethod
from schema.returns.inputs import (
    ReturnRequestCreateInput,
    ReturnRequestReceiveInput,
    draft_from,
    received_from,
)
from schema.returns.types import ReturnRequest


@strawberry.type
class ReturnRequestPayload:
    return_request: ReturnRequest | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


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
class ReturnMutation:
    @strawberry.mutation(description="Ask delivered goods back (CUSTOMER: own orders).")
    async def return_request_create(self, info: strawberry.Info,
                                    input: ReturnRequestCreateInput) -> ReturnRequestPayload:
        return await _run(info, returns.create_return, lambda: (draft_from(input),))

    @strawberry.mutation(description="REQUESTED -> APPROVED.")
    async def return_request_approve(self, info: strawberry.Info,
                                     id: strawberry.ID) -> ReturnRequestPayload:
        return await _run(info, returns.approve_return, _id(id))

    @strawberry.mutation(description="REQUESTED -> REJECTED; the units become returnable again.")
    async def return_request_reject(self, info: strawberry.Info, id: strawberry.ID,
                                    reason: str) -> ReturnRequestPayload:
        return await _run(info, returns.reject_return, lambda: _id(id)(reason))

    @strawberry.mutation(description="APPROVED -> RECEIVED: restock or scrap each line "
                         "(stock movements RETURN_RESTOCK and SCRAP).")
    async def return_request_receive(self, info: strawberry.Info,
                                     input: ReturnRequestReceiveInput) -> ReturnRequestPayload:
        return await _run(info, return_receiving.receive_return, lambda: received_from(input))

    @strawberry.mutation(description="RETURN: RECEIVED -> REFUNDED. Credits the goods to the "
                         "order and pays back what was paid beyond the new total.")
    async def return_request_refund(
        self, info: strawberry.Info, id: strawberry.ID,
        method: PaymentMethod | None = None,  # type: ignore[valid-type]
        reference: str | None = None,
    ) -> ReturnRequestPayload:
        return await _run(info, return_resolution.refund_return, lambda: _id(id)(
            method.value if method else None, reference or ""))

    @strawberry.mutation(description="EXCHANGE: RECEIVED -> REPLACED (a free replacement order, "
                         "submitted for review). REPAIR: RECEIVED -> REPAIRED (resolution "
                         "required).")
    async def return_request_resolve(self, info: strawberry.Info, id: strawberry.ID,
                                     resolution: str | None = None) -> ReturnRequestPayload:
        return await _run(info, return_resolution.resolve_return,
                          lambda: _id(id)(resolution))
