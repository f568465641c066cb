"""Payments in the graph: `Order.payments`, `Order.balanceDue`, `Customer.outstandingBalance`,
`paymentRecord` and `paymentRefund` (FINANCE only)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.permission import PermissionExtension

from app.auth.roles import Perm, Role
from app.errors import DomainError
from app.ids import parse_id
from app.orders.repository import balances
from app.payments import models as pm
from app.payments import repository as pay_repo
from app.payments import service as payments
from app.payments.service import PaymentKind as _PaymentKind
from schema.core.errors import UserError, user_errors
from schema.core.guards import credit_value
from schema.core.node import Node, gid, register_node
from schema.core.permissions import (
    Requires,
    SyncPermission,
    current_principal,
    forbidden,
    requires,
)
from schema.core.scalars import Money, money
from schema.loading.loaders import register_loader
from schema.mutations import run_write
from schema.orders.types import Order, PaymentMethod

if TYPE_CHECKING:
    from schema.auth.types import User

register_loader("payments_by_order", pay_repo.payments_by_order, default=[])
register_loader("payment_by_id", pay_repo.payments_by_ids)
register_loader("outstanding_balance_by_customer", balances.outstanding_balances)
register_loader("balance_due_by_order", balances.order_balances)

PaymentKind = strawberry.enum(_PaymentKind, name="PaymentKind",
                              description="PAYMENT: money received; REFUND: money paid back.")
REFUND_RULE = "payments:refund, FINANCE only"


class FinanceOnly(SyncPermission):
    """Refunds: FINANCE alone, although MANAGER and ADMIN hold payments:refund."""

    def __init__(self) -> None:
        self._schema_directive = Requires(permission=REFUND_RULE)

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return payments.may_refund(current_principal(info))

    def on_unauthorized(self) -> None:
        raise forbidden("refunds are made by FINANCE only")


def finance_only() -> list[PermissionExtension]:
    return [PermissionExtension(permissions=[FinanceOnly()])]


@strawberry.type(description="Money received for an order (PAYMENT) or paid back (REFUND).")
class Payment(Node):
    kind: PaymentKind  # type: ignore[valid-type]
    method: PaymentMethod  # type: ignore[valid-type]
    amount: Money
    reference: str
    created_at: datetime
    _row: strawberry.Private[pm.Payment]

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Order | None:
        row = await info.context.loaders.load("order_by_id", self._row.order_id)
        return Order.from_row(row) if row else None

    @strawberry.field(description="Who recorded it; null for the system, and for customers.")
    async def recorded_by(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        from schema.auth.types import User
        if self._row.created_by_id is None or current_principal(info).role is Role.CUSTOMER:
            return None
        row = await info.context.loaders.load("user_by_id", self._row.created_by_id)
        return User.from_row(row) if row else None

    @classmethod
    def from_row(cls, row: pm.Payment) -> Payment:
        return cls(id=gid("Payment", row.id), kind=row.kind, method=row.method,
                   amount=money(row.amount, row.currency), reference=row.reference,
                   created_at=row.created_at, _row=row)


async def fetch_payment(info: strawberry.Info, pk: int) -> Payment | None:
    """A payment is visible exactly when its order is."""
    from schema.orders.resolvers import fetch_order
    row = await info.context.loaders.load("payment_by_id", pk)
    order = await fetch_order(info, row.order_id) if row else None
    return Payment.from_row(row) if order else None


register_node("Payment", fetch_payment)


# Fields on other types ---------------------------------------------------------

async def order_payments(info: Any, order_pk: int) -> list[Payment]:
    rows = await info.context.loaders.load("payments_by_order", order_pk)
    return [Payment.from_row(r) for r in rows]


async def order_balance_due(info: Any, order_pk: int, currency: str) -> Money:
    amount = await info.context.loaders.load("balance_due_by_order", order_pk)
    return money(amount or Decimal("0"), currency)


async def customer_outstanding_balance(info: Any, customer_pk: int,
                                       owner_id: int | None) -> Money | None:
    credit_value(info, owner_id, None)  # FORBIDDEN before any query
    amount = await info.context.loaders.load("outstanding_balance_by_customer", customer_pk)
    return money(amount)


# Mutations ---------------------------------------------------------------------

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


@strawberry.type
class PaymentPayload:
    payment: Payment | None = None
    order: Order | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _request(inp: PaymentRecordInput | PaymentRefundInput, reason: str = ""
             ) -> payments.PaymentRequest:
    return payments.PaymentRequest(
        order_id=parse_id(inp.order_id, "Order", "orderId"), amount=inp.amount,
        currency=inp.currency, method=inp.method.value if inp.method else None,
        reference=inp.reference or "", reason=reason, idempotency_key=inp.idempotency_key)


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
    @strawberry.mutation(extensions=requires(Perm.PAYMENTS_WRITE),
                         description="Record money received: PREPAID before shipping, "
                         "CASH_ON_DELIVERY once shipped (when collected), CREDIT_TERMS on "
                         "credit-terms orders, BANK_TRANSFER any time. Updates paymentStatus.")
    async def payment_record(self, info: strawberry.Info,
                             input: PaymentRecordInput) -> PaymentPayload:
        return await _run(info, payments.record_payment, lambda: _request(input))

    @strawberry.mutation(extensions=finance_only(),
                         description="Pay money back (FINANCE only), at most the net paid. "
                         "REFUNDED once everything paid went back.")
    async def payment_refund(self, info: strawberry.Info,
                             input: PaymentRefundInput) -> PaymentPayload:
        return await _run(info, payments.refund_payment, lambda: _request(input, input.reason))
