"""`orderImport` (a batch from an outside channel) and `orderDuplicate` (re-order), and their
payloads: parse the input, call one service, map the result."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.orders import intake, reorder
from schema.core.errors import UserError, user_errors
from schema.core.permissions import current_principal
from schema.core.writes import run_write
from schema.orders.inputs import OrderImportInput, import_item_from
from schema.orders.types import Order


@strawberry.type(description="What became of one imported order.")
class OrderImportResult:
    external_id: str
    order: Order | None
    created: bool = strawberry.field(description="False when the external id was imported "
                                     "before (the existing order is returned) or on errors.")
    user_errors: list[UserError]


@strawberry.type
class OrderImportPayload:
    results: list[OrderImportResult] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A line of the original order left out of the copy.")
class OrderDuplicateSkippedLine:
    sku: str
    name: str
    message: str


@strawberry.type
class OrderDuplicatePayload:
    order: Order | None = None
    source_order: Order | None = None
    skipped_lines: list[OrderDuplicateSkippedLine] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _result(r: intake.ImportResult) -> OrderImportResult:
    errors = [UserError(field=e.field, message=e.message, code=e.code) for e in r.errors]
    return OrderImportResult(external_id=r.external_id,
                             order=Order.from_row(r.order) if r.order else None,
                             created=r.created, user_errors=errors)


@strawberry.type
class IntakeMutation:
    @strawberry.mutation(description="Import orders from a channel, each in its own "
                         "transaction: created, found again (same external id), or reported "
                         "with its own userErrors.")
    async def order_import(self, info: strawberry.Info,
                           input: OrderImportInput) -> OrderImportPayload:
        ctx = info.context
        try:
            results = await intake.import_orders(
                ctx.runner, current_principal(info), ctx.request_id, input.channel.value,
                [import_item_from(o) for o in input.orders], input.submit)
        except DomainError as exc:
            return OrderImportPayload(user_errors=user_errors(exc))
        return OrderImportPayload(results=[_result(r) for r in results])

    @strawberry.mutation(description="Re-order: a new DRAFT order with the lines of `id` at "
                         "today's prices; products no longer sold are left out (skippedLines).")
    async def order_duplicate(self, info: strawberry.Info, id: strawberry.ID,
                              idempotency_key: str | None = None) -> OrderDuplicatePayload:
        try:
            pk = parse_id(id, "Order")
        except DomainError as exc:
            return OrderDuplicatePayload(user_errors=user_errors(exc))
        result, errors = await run_write(info, reorder.duplicate_order, pk, idempotency_key)
        if result is None:
            return OrderDuplicatePayload(user_errors=errors)
        return OrderDuplicatePayload(
            order=Order.from_row(result.order), source_order=Order.from_row(result.source),
            skipped_lines=[OrderDuplicateSkippedLine(sku=s.sku, name=s.name, message=s.message)
                           for s in result.skipped])
