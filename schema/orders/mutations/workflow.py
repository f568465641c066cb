"""Order mutations, one per workflow step, and their payloads `{ order, userErrors }`:
parse the input, call one service, map the result.

Operation level: the caller must be able to perform the step on *some* order
(its permission, or a CUSTOMER for the steps customers take on their own
orders); otherwise a FORBIDDEN GraphQL error. The service then checks the row
scope, the state (INVALID_TRANSITION) and the exact rule for this order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.orders import scheduling, service, transitions
from app.shipping import delivery, order_steps
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.orders.inputs import OrderCreateInput, OrderUpdateInput, changes_from, draft_from
from schema.orders.types import Order, OrderEvent


@strawberry.type
class OrderPayload:
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderNotePayload:
    order: Order | None = None
    event: OrderEvent | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Any, fn: Callable[..., Any], raw_id: str, *args: Any) -> OrderPayload:
    try:
        pk = parse_id(raw_id, "Order")
    except DomainError as exc:
        return OrderPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, pk, *args)
    return OrderPayload(order=Order.from_row(row) if row else None, user_errors=errors)


@strawberry.type
class OrderMutation:
    @strawberry.mutation(description="Create a DRAFT order (PENDING_REVIEW with submit: true).")
    async def order_create(self, info: strawberry.Info, input: OrderCreateInput) -> OrderPayload:
        try:
            draft = draft_from(input)
        except DomainError as exc:
            return OrderPayload(user_errors=user_errors(exc))
        row, errors = await run_write(info, service.create_order, draft)
        return OrderPayload(order=Order.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Edit lines, ship-to, contact, notes while DRAFT or "
                         "PENDING_REVIEW (expectedVersion: CONFLICT when stale).")
    async def order_update(self, info: strawberry.Info, id: strawberry.ID,
                           input: OrderUpdateInput) -> OrderPayload:
        try:
            changes, version = changes_from(input)
        except DomainError as exc:
            return OrderPayload(user_errors=user_errors(exc))
        return await _run(info, service.update_order, id, changes, version)

    @strawberry.mutation()
    async def order_submit(self, info: strawberry.Info, id: strawberry.ID) -> OrderPayload:
        return await _run(info, transitions.submit_order, id)

    @strawberry.mutation(description="Review (credit, prices, discount rights) and reserve "
                         "stock: PENDING_REVIEW -> CONFIRMED.")
    async def order_approve(self, info: strawberry.Info, id: strawberry.ID) -> OrderPayload:
        return await _run(info, transitions.approve_order, id)

    @strawberry.mutation()
    async def order_reject(self, info: strawberry.Info, id: strawberry.ID,
                           reason: str) -> OrderPayload:
        return await _run(info, transitions.reject_order, id, reason)

    @strawberry.mutation(description="Pause an order (reservations stay).")
    async def order_hold(self, info: strawberry.Info, id: strawberry.ID,
                         reason: str) -> OrderPayload:
        return await _run(info, transitions.hold_order, id, reason)

    @strawberry.mutation(description="Return a held order to the state it was held from.")
    async def order_release(self, info: strawberry.Info, id: strawberry.ID) -> OrderPayload:
        return await _run(info, transitions.release_order, id)

    @strawberry.mutation(description="Allocate to warehouses (one if it can cover the order, "
                         "the customer's region first), move reservations to match, set dates.")
    async def order_schedule(self, info: strawberry.Info, id: strawberry.ID,
                             scheduled_date: date | None = None,
                             promised_date: date | None = None,
                             warehouse_id: strawberry.ID | None = None) -> OrderPayload:
        try:
            wid = parse_id(warehouse_id, "Warehouse", "warehouseId") if warehouse_id else None
        except DomainError as exc:
            return OrderPayload(user_errors=user_errors(exc))
        return await _run(info, order_steps.schedule_order, id, scheduled_date,
                          promised_date, wid)

    @strawberry.mutation()
    async def order_start_fulfillment(self, info: strawberry.Info,
                                      id: strawberry.ID) -> OrderPayload:
        return await _run(info, scheduling.start_fulfillment, id)

    @strawberry.mutation(description="The customer accepts the goods, optionally rating 1-5; "
                         "the order's shipments are marked accepted.")
    async def order_confirm_delivery(self, info: strawberry.Info, id: strawberry.ID,
                                     rating: int | None = None,
                                     comment: str | None = None) -> OrderPayload:
        return await _run(info, delivery.accept_order, id, rating, comment)

    @strawberry.mutation()
    async def order_complete(self, info: strawberry.Info, id: strawberry.ID) -> OrderPayload:
        return await _run(info, transitions.complete_order, id)

    @strawberry.mutation(description="Cancel before shipping; releases every reservation and "
                         "cancels its shipments waiting for pickup.")
    async def order_cancel(self, info: strawberry.Info, id: strawberry.ID,
                           reason: str) -> OrderPayload:
        return await _run(info, order_steps.cancel_order, id, reason)

    @strawberry.mutation()
    async def order_note_add(self, info: strawberry.Info, id: strawberry.ID,
                             message: str) -> OrderNotePayload:
        try:
            pk = parse_id(id, "Order")
        except DomainError as exc:
            return OrderNotePayload(user_errors=user_errors(exc))
        result, errors = await run_write(info, service.add_note, pk, message)
        if result is None:
            return OrderNotePayload(user_errors=errors)
        return OrderNotePayload(order=Order.from_row(result.order),
                                event=OrderEvent.from_row(result.event))
