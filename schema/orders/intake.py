"""`orderImport` (a batch from an outside channel) and `orderDuplicate` (re-order)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from app.auth.roles import Perm
from app.errors import DomainError
from app.ids import parse_id
from app.orders import intake, reorder
from app.orders.service import ShipTo
from schema.core.errors import UserError, user_errors
from schema.core.permissions import current_principal, requires
from schema.core.writes import run_write
from schema.orders.inputs import ShipToInput
from schema.orders.types import Order, OrderChannel


@strawberry.input
class OrderImportLineInput:
    quantity: int
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="The product, or give its `sku`.")
    sku: str | None = None
    unit_price: Decimal | None = strawberry.field(
        default=None, description="The channel's price; must match the catalog price.")


@strawberry.input
class OrderImportOrderInput:
    external_id: str = strawberry.field(description="The order's id in the channel; "
                                        "importing it again creates nothing.")
    lines: list[OrderImportLineInput]
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer, or give its `customerCode`.")
    customer_code: str | None = None
    notes: str | None = None
    ship_to: ShipToInput | None = None
    promised_date: date | None = None


@strawberry.input
class OrderImportInput:
    channel: OrderChannel = strawberry.field(  # type: ignore[valid-type]
        description="MARKETPLACE, EDI or EMAIL.")
    orders: list[OrderImportOrderInput] = strawberry.field(
        description=f"1 to {intake.MAX_BATCH} orders, each imported on its own.")
    submit: bool = strawberry.field(
        default=True, description="Submit new orders for review (false: leave them DRAFT).")


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


def _ship_to(inp: ShipToInput | None) -> ShipTo | None:
    if inp is None:
        return None
    return ShipTo(recipient=inp.recipient, address=inp.address, phone=inp.phone or None,
                  region=inp.region or "")


def _item(inp: OrderImportOrderInput) -> intake.ImportItem:
    return intake.ImportItem(
        external_id=inp.external_id, customer_id=inp.customer_id,
        customer_code=inp.customer_code, notes=inp.notes or "", ship_to=_ship_to(inp.ship_to),
        promised_date=inp.promised_date,
        lines=tuple(intake.ImportLine(quantity=ln.quantity, product_id=ln.product_id,
                                      sku=ln.sku, unit_price=ln.unit_price)
                    for ln in inp.lines))


def _result(r: intake.ImportResult) -> OrderImportResult:
    errors = [UserError(field=e.field, message=e.message, code=e.code) for e in r.errors]
    return OrderImportResult(external_id=r.external_id,
                             order=Order.from_row(r.order) if r.order else None,
                             created=r.created, user_errors=errors)


@strawberry.type
class IntakeMutation:
    @strawberry.mutation(extensions=requires(Perm.ORDERS_MANAGE),
                         description="Import orders from a channel, each in its own "
                         "transaction: created, found again (same external id), or reported "
                         "with its own userErrors.")
    async def order_import(self, info: strawberry.Info,
                           input: OrderImportInput) -> OrderImportPayload:
        ctx = info.context
        try:
            results = await intake.import_orders(
                ctx.runner, current_principal(info), ctx.request_id, input.channel.value,
                [_item(o) for o in input.orders], input.submit)
        except DomainError as exc:
            return OrderImportPayload(user_errors=user_errors(exc))
        return OrderImportPayload(results=[_result(r) for r in results])

    @strawberry.mutation(extensions=requires(Perm.ORDERS_CREATE),
                         description="Re-order: a new DRAFT order with the lines of `id` at "
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
