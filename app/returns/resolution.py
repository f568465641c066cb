"""Closing a received return: refund (RETURN), replacement (EXCHANGE), repair (REPAIR).

Refund (FINANCE only, like paymentRefund): the received goods' value is
credited against the order (`refund_amount`), which lowers what the order
costs. Money goes back only for what the customer had paid beyond the lowered
total (capped at net paid): a returned item of an unpaid order on credit terms
simply reduces the invoice. So payment status and outstanding balance stay
true after every return.

Values are telescoped per order line, so all units of a line together credit
exactly its line total, however they were split across returns.
"""

from __future__ import annotations

from decimal import Decimal

from app.errors import DomainError
from app.orders import history
from app.orders import repository as repo
from app.orders.models import OrderLine
from app.orders.pricing import cents
from app.payments import service as payments
from app.persistence.uow import UnitOfWork, snapshot
from app.returns import repository as ret_repo
from app.returns.models import ReturnLine, ReturnRequest
from app.returns.receiving import received_units
from app.returns.replacement import create_replacement
from app.returns.service import give_back_all, load, move
from app.returns.workflow import RESOLVED_TO, ReturnAction, ReturnStatus, ReturnType

ZERO = Decimal("0")


def _value(line: OrderLine, before: int, units: int) -> Decimal:
    """The credit for `units` more units of a line, `before` units already credited."""
    share = line.line_total / Decimal(line.quantity)
    return cents(share * (before + units)) - cents(share * before)


def credit_value(request_lines: list[ReturnLine], lines: list[OrderLine],
                 credited: dict[int, int]) -> Decimal:
    by_id = {ln.id: ln for ln in lines}
    total = ZERO
    for rl in request_lines:
        units = rl.restocked + rl.scrapped
        if units:
            total += _value(by_id[rl.order_line_id], credited.get(rl.order_line_id, 0), units)
    return total


def refund_return(uow: UnitOfWork, request_id: int, method: str | None = None,
                  reference: str = "") -> ReturnRequest:
    """RECEIVED -> REFUNDED: credit the goods, pay back any overpayment."""
    if len(reference) > 200:
        raise DomainError("reference is at most 200 characters", field=["reference"])
    request, order = load(uow, request_id, ReturnAction.REFUND)
    s = uow.session
    before = snapshot(request)
    value = credit_value(ret_repo.lines_of(s, request.id), repo.lines_of(s, order.id),
                         ret_repo.credited_units(s, order.id))
    net_paid = order.paid_total - order.refunded_total
    due = order.total - order.credited_total - value
    money = min(net_paid, max(ZERO, net_paid - due))
    request.refund_amount = value
    order.credited_total += value
    request.resolution = f"credited {value} {order.currency}; refunded {money}"
    move(uow, request, ReturnStatus.REFUNDED, "refunded", before=before)
    if money > 0:
        payments.pay_back(uow, order, money, method, reference or request.number,
                          f"return {request.number}")
    else:
        payments.refresh_status(order)
        history.touch(order)
        s.add(order)
    history.record(uow, order, "RETURN_CREDITED", audit=False,
                   details={"returnRequestId": request.id, "credited": str(value),
                            "refunded": str(money), "paymentStatus": order.payment_status})
    return request


def resolve_return(uow: UnitOfWork, request_id: int, resolution: str | None = None
                   ) -> ReturnRequest:
    """RECEIVED -> REPLACED (EXCHANGE: a free replacement order, submitted for review)
    or REPAIRED (REPAIR: the item goes back to the customer, returnable again)."""
    text = (resolution or "").strip()
    if len(text) > 2000:
        raise DomainError("a resolution is at most 2000 characters", field=["resolution"])
    request, order = load(uow, request_id, ReturnAction.RESOLVE)
    s = uow.session
    before = snapshot(request)
    request_lines = ret_repo.lines_of(s, request.id)
    if request.type == ReturnType.EXCHANGE:
        lines = {ln.id: ln for ln in repo.lines_of(s, order.id)}
        items = [(lines[rl.order_line_id], received_units(request, rl)) for rl in request_lines
                 if received_units(request, rl)]
        replacement = create_replacement(uow, order, request, items)
        request.replacement_order_id = replacement.id
        text = text or f"replacement order {replacement.number}"
    else:
        if not text:
            raise DomainError("describe the repair", field=["resolution"])
        give_back_all(s, request_lines, received=False)
    request.resolution = text
    move(uow, request, RESOLVED_TO[ReturnType(request.type)], "resolved", before=before)
    return request
