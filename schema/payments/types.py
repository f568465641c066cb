"""GraphQL types of payments: money received for an order, or paid back."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.orders.repository import balances
from app.payments import models as pm
from app.payments import repository as pay_repo
from app.payments.service import PaymentKind as _PaymentKind
from schema.core.node import Node, gid, lookup, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal
from schema.core.scalars import Money, money
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.auth.types import User
    from schema.orders.types import Order, PaymentMethod

register_loader("payments_by_order", pay_repo.payments_by_order, default=[])
register_loader("payment_by_id", pay_repo.payments_by_ids)
register_loader("outstanding_balance_by_customer", balances.outstanding_balances)
register_loader("balance_due_by_order", balances.order_balances)

PaymentKind = strawberry.enum(_PaymentKind, name="PaymentKind",
                              description="PAYMENT: money received; REFUND: money paid back.")


@strawberry.type(description="Money received for an order (PAYMENT) or paid back (REFUND).")
class Payment(Node):
    kind: PaymentKind  # type: ignore[valid-type]
    method: Annotated[PaymentMethod, strawberry.lazy("schema.orders.types")]
    amount: Money
    reference: str
    created_at: datetime
    _row: strawberry.Private[pm.Payment]

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        row = await info.context.loaders.load("order_by_id", self._row.order_id)
        return object_type("Order").from_row(row) if row else None

    @strawberry.field(description="Who recorded it; null for the system, and for customers.")
    async def recorded_by(self, info: strawberry.Info) -> Annotated[
            User, strawberry.lazy("schema.auth.types")] | None:
        if self._row.created_by_id is None or not current_principal(info).is_staff:
            return None
        row = await info.context.loaders.load("user_by_id", self._row.created_by_id)
        return object_type("User").from_row(row) if row else None

    @classmethod
    def from_row(cls, row: pm.Payment) -> Payment:
        return cls(id=gid("Payment", row.id), kind=row.kind, method=row.method,
                   amount=money(row.amount, row.currency), reference=row.reference,
                   created_at=row.created_at, _row=row)


async def fetch_payment(info: strawberry.Info, pk: int) -> Payment | None:
    """A payment is visible exactly when its order is (the Order node's rule)."""
    row = await info.context.loaders.load("payment_by_id", pk)
    order = await lookup(info, gid("Order", row.order_id), "Order") if row else None
    return Payment.from_row(row) if order else None


register_node("Payment", fetch_payment)
register_types(Payment)
