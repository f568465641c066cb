"""Input types of payments and refunds, and their translation into service arguments
(global IDs decoded here)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.ids import parse_id
from app.payments import service as payments
from schema.orders.types import PaymentMethod


@strawberry.input
class PaymentRecordInput:
    order_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Positive, at most two decimals, at most "
                                       "what is still due on the order.")
    currency: str = strawberry.field(description="Must be the order's currency.")
    method: PaymentMethod  # type: ignore[valid-type]
    reference: str | None = strawberry.field(
        default=None, description="Bank or receipt reference.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="A replay by the same user returns the first payment; the "
        "same key with a different request is IDEMPOTENCY_KEY_REUSED.")


@strawberry.input
class PaymentRefundInput:
    order_id: strawberry.ID
    amount: Decimal = strawberry.field(description="At most what was paid, net of refunds.")
    currency: str
    reason: str
    method: PaymentMethod | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Default: how the customer last paid.")
    reference: str | None = None
    idempotency_key: str | None = None


def request_from(inp: PaymentRecordInput | PaymentRefundInput, reason: str = ""
                 ) -> payments.PaymentRequest:
    return payments.PaymentRequest(
        order_id=parse_id(inp.order_id, "Order", "orderId"), amount=inp.amount,
        currency=inp.currency, method=inp.method.value if inp.method else None,
        reference=inp.reference or "", reason=reason, idempotency_key=inp.idempotency_key)
