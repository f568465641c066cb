"""`paymentRecord` and `paymentRefund` (FINANCE only) and their payload
`{ payment, order, userErrors }`: parse the input, call one service, map the result."""

from __future__ import annotations

from typing import Any

import strawberry

from app.errors import DomainError
from app.payments import service as payments
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.orders.types import Order
from schema.payments.inputs import PaymentRecordInput, PaymentRefundInput, request_from
from schema.payments.types import Payment


@strawberry.type
class PaymentPayload:
    payment: Payment | None = None
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(info: Any, fn: Any, build: Any) -> PaymentPayload:
    try:
        req = build()
    except DomainError as exc:
        return PaymentPayload(user_errors=user_errors(exc))
    result, errors = await run_write(info, fn, req)
    if result is None:
        return PaymentPayload(user_errors=errors)
    return PaymentPayload(payment=Payment.from_row(result.payment),
                          order=Order.from_row(result.order))


@strawberry.type
class PaymentMutation:
    @strawberry.mutation(description="Record money received: PREPAID before shipping, "
                         "CASH_ON_DELIVERY once shipped (when collected), CREDIT_TERMS on "
                         "credit-terms orders, BANK_TRANSFER any time. Updates paymentStatus.")
    async def payment_record(self, info: strawberry.Info,
                             input: PaymentRecordInput) -> PaymentPayload:
        return await _run(info, payments.record_payment, lambda: request_from(input))

    @strawberry.mutation(description="Pay money back (FINANCE only), at most the net paid. "
                         "REFUNDED once everything paid went back.")
    async def payment_refund(self, info: strawberry.Info,
                             input: PaymentRefundInput) -> PaymentPayload:
        return await _run(info, payments.refund_payment,
                          lambda: request_from(input, input.reason))
