"""Payments and refunds of an order, and the payment status they imply.

- paymentRecord (payments:write): money received. PREPAID before shipping,
  CASH_ON_DELIVERY once goods left (collected on delivery), CREDIT_TERMS only on
  orders sold on credit terms, BANK_TRANSFER any time. Never more than is due.
- paymentRefund: money paid back, FINANCE only (not MANAGER, not ADMIN:
  money leaves the company through finance alone). Never more than net paid.
- The status is derived, never set: see `derive_status`.

Both accept an idempotency key (app.persistence.idempotency): a replay by the same
user returns the first payment and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from app.auth.principal import Principal
from app.auth.roles import Perm, Role
from app.errors import DomainError, ErrorCode, Forbidden, NotFound, Validator
from app.orders import history
from app.orders import repository as repo
from app.orders.models import Order, OrderStatus, PaymentMethod, PaymentStatus
from app.orders.repository import balances
from app.payments import repository as pay_repo
from app.payments.models import Payment
from app.persistence import idempotency
from app.persistence.uow import UnitOfWork, snapshot

S = OrderStatus
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # NUMERIC(14, 2)
RECORD_OPERATION = "paymentRecord"
REFUND_OPERATION = "paymentRefund"
UNPAYABLE = frozenset({S.DRAFT, S.CANCELLED, S.REJECTED})
BEFORE_SHIPPING = frozenset({S.PENDING_REVIEW, S.CONFIRMED, S.SCHEDULED, S.IN_FULFILLMENT,
                             S.ON_HOLD})
GOODS_OUT = frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.DELIVERED, S.COMPLETED})


class PaymentKind(StrEnum):
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


class PaymentEvent(StrEnum):
    """Order history entry types written here (OrderEvent.type)."""

    PAYMENT_RECORDED = "PAYMENT_RECORDED"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"


@dataclass(frozen=True)
class PaymentRequest:
    order_id: int
    amount: Decimal
    currency: str
    method: str | None = None  # refunds: default is how the customer last paid
    reference: str = ""
    reason: str = ""  # refunds only: why the money goes back
    idempotency_key: str | None = field(default=None, compare=False)

    def fingerprint(self) -> dict[str, Any]:
        """What a replay must repeat; 100 and 100.00 are the same amount."""
        amount = self.amount.quantize(CENT) if self.amount.is_finite() else str(self.amount)
        return {"order_id": self.order_id, "amount": str(amount), "currency": self.currency,
                "method": self.method, "reference": self.reference, "reason": self.reason}


@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    order: Order


def may_refund(principal: Principal) -> bool:
    """Money goes back through FINANCE only (not MANAGER, not ADMIN)."""
    return principal.is_system or (principal.role is Role.FINANCE
                                   and principal.can(Perm.PAYMENTS_REFUND))


def derive_status(order: Order) -> str:
    """UNPAID / PARTIALLY_PAID / PAID from net paid against what is due (the total less
    returned goods credited); REFUNDED once everything paid went back."""
    net = order.paid_total - order.refunded_total
    due = order.total - order.credited_total
    if order.refunded_total > 0 and net <= 0:
        return PaymentStatus.REFUNDED.value
    if net >= due:
        return PaymentStatus.PAID.value
    return PaymentStatus.PARTIALLY_PAID.value if net > 0 else PaymentStatus.UNPAID.value


def refresh_status(order: Order) -> str:
    """Recompute the stored status (call after anything that changes totals)."""
    order.payment_status = derive_status(order)
    return order.payment_status


# Validation --------------------------------------------------------------------

def check_amount(v: Validator, amount: Decimal, path: str = "amount") -> bool:
    try:
        ok = amount.is_finite() and amount == amount.quantize(CENT)
    except InvalidOperation:
        ok = False
    return (v.check(ok, path, "an amount has at most two decimal places")
            and v.check(CENT <= amount <= MAX_AMOUNT, path,
                        f"an amount is positive and at most {MAX_AMOUNT}"))


def _validate(req: PaymentRequest, refund: bool) -> None:
    idempotency.validate_key(req.idempotency_key)
    v = Validator()
    check_amount(v, req.amount)
    v.check(len(req.currency) == 3 and req.currency.isalpha(), "currency",
            "currency is a 3-letter code")
    if req.method is not None:
        v.check(req.method in PaymentMethod.__members__, "method", "unknown payment method")
    v.check(len(req.reference) <= 200, "reference", "reference is at most 200 characters")
    if refund:
        v.check(1 <= len(req.reason.strip()) <= 400, "reason",
                "a reason is required (at most 400 characters)")
    else:
        v.check(req.method is not None, "method", "a payment method is required")
    v.raise_if_any()


def _load(uow: UnitOfWork, req: PaymentRequest) -> Order:
    order = repo.get_visible(uow.session, uow.principal, req.order_id, for_update=True)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    if req.currency.upper() != order.currency:
        raise DomainError(f"the order is in {order.currency}", field=["currency"])
    return order


def _check_method(order: Order, method: str) -> None:
    status = S(order.status)
    if status in UNPAYABLE:
        raise DomainError(f"cannot take a payment for an order in state {order.status}",
                          code=ErrorCode.INVALID_TRANSITION)
    if method == PaymentMethod.PREPAID and status not in BEFORE_SHIPPING:
        raise DomainError(f"a prepayment is taken before shipping; the order is {order.status}",
                          field=["method"])
    if method == PaymentMethod.CASH_ON_DELIVERY and status not in GOODS_OUT:
        raise DomainError("cash on delivery is recorded when collected, once the order has "
                          f"shipped; the order is {order.status}", field=["method"])
    if method == PaymentMethod.CREDIT_TERMS and order.payment_method != method:
        raise DomainError("this order is not sold on credit terms", field=["method"])


# Writes ------------------------------------------------------------------------

def _write(uow: UnitOfWork, order: Order, kind: PaymentKind, amount: Decimal, method: str,
           reference: str, message: str = "") -> Payment:
    """The payment row, the order's totals and status, history, audit and `order.event`."""
    s = uow.session
    before = snapshot(order)
    payment = Payment(order_id=order.id, customer_id=order.customer_id, kind=kind.value,
                      method=method, amount=amount, currency=order.currency,
                      reference=reference.strip(), created_by_id=uow.actor_id)
    s.add(payment)
    if kind is PaymentKind.PAYMENT:
        order.paid_total += amount
    else:
        order.refunded_total += amount
    refresh_status(order)
    history.touch(order)
    s.add(order)
    s.flush()
    event = (PaymentEvent.PAYMENT_RECORDED if kind is PaymentKind.PAYMENT
             else PaymentEvent.PAYMENT_REFUNDED)
    uow.audit(f"payment.{kind.value.lower()}", "Payment", payment.id, after=snapshot(payment))
    history.record(uow, order, event.value, message=message, before=before,
                   details={"paymentId": payment.id, "amount": str(amount), "method": method,
                            "paymentStatus": order.payment_status})
    return payment


def collect_on_delivery(uow: UnitOfWork, order: Order, amount: Decimal, reference: str
                        ) -> Payment | None:
    """Cash a courier collected at the door, as a payment of the order (at most what is
    still due; the shipping domain has checked its caller). For app/shipping/delivery.py."""
    amount = min(amount, balances.unpaid(order))
    if amount <= 0:
        return None
    return _write(uow, order, PaymentKind.PAYMENT, amount, PaymentMethod.CASH_ON_DELIVERY.value,
                  reference, "cash collected on delivery")


def record_payment(uow: UnitOfWork, req: PaymentRequest) -> PaymentResult:
    if not uow.principal.can(Perm.PAYMENTS_WRITE):
        raise Forbidden("requires permission payments:write")
    _validate(req, refund=False)
    return idempotency.run_once(
        uow, RECORD_OPERATION, req.idempotency_key, req.fingerprint(), "Payment",
        create=lambda: _record(uow, req), load=lambda pk: _replayed(uow, pk),
        result_id=lambda r: r.payment.id)


def _record(uow: UnitOfWork, req: PaymentRequest) -> PaymentResult:
    order = _load(uow, req)
    _check_method(order, req.method)
    due = balances.unpaid(order)
    if req.amount > due:
        raise DomainError(f"{req.amount} is more than the {due} still due on this order",
                          field=["amount"])
    payment = _write(uow, order, PaymentKind.PAYMENT, req.amount, req.method, req.reference)
    return PaymentResult(payment=payment, order=order)


def refund_payment(uow: UnitOfWork, req: PaymentRequest) -> PaymentResult:
    if not may_refund(uow.principal):
        raise Forbidden("refunds are made by FINANCE only")
    _validate(req, refund=True)
    return idempotency.run_once(
        uow, REFUND_OPERATION, req.idempotency_key, req.fingerprint(), "Payment",
        create=lambda: _refund(uow, req), load=lambda pk: _replayed(uow, pk),
        result_id=lambda r: r.payment.id)


def _refund(uow: UnitOfWork, req: PaymentRequest) -> PaymentResult:
    order = _load(uow, req)
    payment = pay_back(uow, order, req.amount, req.method, req.reference, req.reason.strip())
    return PaymentResult(payment=payment, order=order)


def pay_back(uow: UnitOfWork, order: Order, amount: Decimal, method: str | None,
             reference: str, reason: str) -> Payment:
    """A refund of `amount` on a loaded, locked order (also used by returns)."""
    net = order.paid_total - order.refunded_total
    if amount > net:
        raise DomainError(f"{amount} is more than the {net} paid (net of refunds)",
                          field=["amount"])
    method = method or pay_repo.last_payment_method(uow.session, order.id) \
        or PaymentMethod.BANK_TRANSFER.value
    return _write(uow, order, PaymentKind.REFUND, amount, method, reference, reason)


def _replayed(uow: UnitOfWork, payment_id: int) -> PaymentResult:
    payment = uow.session.get(Payment, payment_id)
    order = repo.get_visible(uow.session, uow.principal, payment.order_id) if payment else None
    if order is None:
        raise NotFound("payment not found", field=["idempotencyKey"])
    return PaymentResult(payment=payment, order=order)
