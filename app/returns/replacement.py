"""The replacement order of an exchange: the same products and received quantities,
sent again free of charge, submitted for review like any order.

It is priced at today's catalog price with a 100% discount (total 0), so the
approval review still checks the products are sold and the line totals match.
A 100% discount is above any discount threshold, so a MANAGER (or ADMIN)
approves replacement orders: free goods need a manager's word.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.errors import DomainError, ErrorCode, ValidationFailed
from app.orders import history, numbering, pricing, transitions
from app.orders import repository as repo
from app.orders.history import EventType
from app.orders.models import Order, OrderLine
from app.payments.service import derive_status
from app.persistence.uow import UnitOfWork
from app.returns.models import ReturnRequest

FREE = Decimal("1.00")


def _lines(uow: UnitOfWork, items: Sequence[tuple[OrderLine, int]]) -> list[OrderLine]:
    products = repo.products_by_ids(uow.session, [ln.product_id for ln, _ in items])
    errors: list[DomainError] = []
    out = []
    for i, (line, quantity) in enumerate(items):
        product = products.get(line.product_id)
        if product is None or not product.is_active:
            errors.append(DomainError(
                f"{line.sku} is no longer sold: refund or repair instead of exchanging",
                field=["lines", str(i)], code=ErrorCode.NOT_FOUND))
            continue
        out.append(OrderLine(product_id=product.id, sku=product.sku, name=product.name,
                             quantity=quantity, unit_price=product.price, discount_rate=FREE,
                             line_total=pricing.line_total(quantity, product.price, FREE)))
    if errors:
        raise ValidationFailed(errors)
    return out


def _copy(uow: UnitOfWork, original: Order, request: ReturnRequest) -> Order:
    return Order(
        number=numbering.placeholder(), customer_id=original.customer_id,
        contact_id=original.contact_id, channel=original.channel,
        payment_method=original.payment_method, currency=original.currency,
        ship_recipient=original.ship_recipient, ship_phone=original.ship_phone,
        ship_region=original.ship_region, ship_address=original.ship_address,
        notes=f"换货 Replacement for return {request.number} (order {original.number})",
        created_by_id=uow.actor_id)


def create_replacement(uow: UnitOfWork, original: Order, request: ReturnRequest,
                       items: Sequence[tuple[OrderLine, int]]) -> Order:
    """A PENDING_REVIEW order for `items` (order line, units) at no charge."""
    s = uow.session
    lines = _lines(uow, items)
    order = _copy(uow, original, request)
    s.add(order)
    s.flush()
    numbering.assign_number(order)
    totals = pricing.totals(lines)
    order.subtotal, order.discount_total, order.total = (
        totals.subtotal, totals.discount_total, totals.total)
    order.payment_status = derive_status(order)
    for line in lines:
        line.order_id = order.id
    s.add(order)
    s.add_all(lines)
    s.flush()
    history.record(uow, order, EventType.CREATED,
                   details={"lines": len(lines), "total": str(order.total),
                            "replacementFor": request.id, "originalOrderId": original.id})
    transitions.submit(uow, order)
    return order
