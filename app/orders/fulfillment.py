"""Shipping and delivery hooks for the logistics domain, and the customer's acceptance.

The hooks do not check permissions: the calling shipping service has already
authorized and scoped its shipment. They check the order's state and quantities
and write history like every other step.

    record_shipment(uow, order_id, [(order_line_id, warehouse_id, quantity)], shipment_id=None)
        stock leaves via ledger.ship (reserved and on-hand drop), allocation and
        line quantity_shipped grow; status -> PARTIALLY_SHIPPED or SHIPPED.
    record_delivery(uow, order_id, [(order_line_id, quantity)] | None, shipment_id=None)
        quantity_delivered grows (None: everything shipped so far); when every
        unit is delivered, status -> DELIVERED.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.errors import DomainError, ErrorCode, NotFound
from app.inventory import ledger
from app.orders import history
from app.orders import repository as repo
from app.orders.history import EventType
from app.orders.loading import load
from app.orders.models import Order, OrderLine, OrderStatus
from app.orders.workflow import RESERVED_STATES, Action
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot

S = OrderStatus
# Stock is reserved in these states; a dispatch from CONFIRMED/SCHEDULED (no explicit
# orderStartFulfillment) is accepted: the goods have left, the record must follow.
SHIPPABLE = frozenset({*RESERVED_STATES, S.PARTIALLY_SHIPPED})
DELIVERABLE = frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED})


def _locked(uow: UnitOfWork, order_id: int, allowed: frozenset[S], verb: str) -> Order:
    order = repo.lock_order(uow.session, order_id)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    if order.status not in allowed:
        raise DomainError(f"cannot {verb} an order in state {order.status} (allowed from "
                          + ", ".join(s.value for s in S if s in allowed) + ")",
                          code=ErrorCode.INVALID_TRANSITION)
    return order


def _exceeded(message: str, index: int, name: str) -> DomainError:
    return DomainError(message, field=["lines", str(index), name],
                       code=ErrorCode.QUANTITY_EXCEEDED)


def record_shipment(uow: UnitOfWork, order_id: int, lines: Sequence[tuple[int, int, int]],
                    *, shipment_id: int | None = None) -> Order:
    s = uow.session
    order = _locked(uow, order_id, SHIPPABLE, "ship")
    if not lines:
        raise DomainError("a shipment needs at least one line", field=["lines"])
    before = snapshot(order)
    order_lines = {ln.id: ln for ln in repo.lines_of(s, order.id)}
    allocs = {(a.order_line_id, a.warehouse_id): a for a in repo.allocations_of(s, order.id)}
    moves = []
    for i, (line_id, warehouse_id, quantity) in enumerate(lines):
        line = order_lines.get(line_id)
        if line is None:
            raise NotFound("order line not found", field=["lines", str(i), "orderLineId"])
        if quantity <= 0:
            raise DomainError("quantity must be positive", field=["lines", str(i), "quantity"])
        alloc = allocs.get((line_id, warehouse_id))
        if alloc is None or alloc.quantity - alloc.quantity_shipped < quantity:
            raise _exceeded(f"{line.sku}: more than is reserved in this warehouse", i, "quantity")
        alloc.quantity_shipped += quantity
        line.quantity_shipped += quantity
        s.add_all([alloc, line])
        moves.append(ledger.StockLine(line.product_id, warehouse_id, quantity))
    ref = ledger.Reference(type="Shipment" if shipment_id else "Order",
                           id=shipment_id or order.id, actor_id=uow.actor_id, reason="shipped")
    ledger.ship(s, moves, ref)
    details = {"shipmentId": shipment_id,
               "lines": [{"orderLineId": a, "warehouseId": b, "quantity": c}
                         for a, b, c in lines]}
    done = all(ln.quantity_shipped == ln.quantity for ln in order_lines.values())
    target = S.SHIPPED if done else S.PARTIALLY_SHIPPED
    if done:
        order.shipped_at = utcnow()
    _advance(uow, order, target, EventType.SHIPPED if done else EventType.PARTIALLY_SHIPPED,
             EventType.SHIPMENT_RECORDED, details, before)
    return order


def _advance(uow: UnitOfWork, order: Order, target: S, moved: EventType, stayed: EventType,
             details: dict, before: dict | None) -> None:
    """A status change when the status changes, otherwise an `order.event` entry."""
    if order.status != target:
        history.transition(uow, order, target, moved, details=details, before=before)
    else:
        history.touch(order)
        uow.session.add(order)
        history.record(uow, order, stayed, details=details, before=before)


def _deliver(order_lines: dict[int, OrderLine],
             deliveries: Sequence[tuple[int, int]] | None) -> list[tuple[int, int]]:
    if deliveries is None:  # everything shipped and not yet delivered
        deliveries = [(ln.id, ln.quantity_shipped - ln.quantity_delivered)
                      for ln in order_lines.values() if ln.quantity_shipped > ln.quantity_delivered]
    for i, (line_id, quantity) in enumerate(deliveries):
        line = order_lines.get(line_id)
        if line is None:
            raise NotFound("order line not found", field=["lines", str(i), "orderLineId"])
        if quantity <= 0:
            raise DomainError("quantity must be positive", field=["lines", str(i), "quantity"])
        if line.quantity_delivered + quantity > line.quantity_shipped:
            raise _exceeded(f"{line.sku}: more delivered than shipped", i, "quantity")
        line.quantity_delivered += quantity
    return list(deliveries)


def record_delivery(uow: UnitOfWork, order_id: int,
                    lines: Sequence[tuple[int, int]] | None = None, *,
                    shipment_id: int | None = None) -> Order:
    s = uow.session
    order = _locked(uow, order_id, DELIVERABLE, "deliver")
    before = snapshot(order)
    order_lines = {ln.id: ln for ln in repo.lines_of(s, order.id)}
    delivered = _deliver(order_lines, lines)
    s.add_all(order_lines.values())
    done = all(ln.quantity_delivered == ln.quantity for ln in order_lines.values())
    if done:
        order.delivered_at = utcnow()
    details = {"shipmentId": shipment_id,
               "lines": [{"orderLineId": a, "quantity": b} for a, b in delivered]}
    _advance(uow, order, S.DELIVERED if done else order.status, EventType.DELIVERED,
             EventType.DELIVERY_RECORDED, details, before)
    return order


def confirm_delivery(uow: UnitOfWork, order_id: int, rating: int | None = None,
                     comment: str | None = None) -> Order:
    """The customer accepts the goods (SHIPPED -> DELIVERED, or acceptance of a DELIVERED
    order), with an optional rating 1-5 and comment."""
    if rating is not None and not 1 <= rating <= 5:
        raise DomainError("rating is 1 to 5", field=["rating"])
    if comment is not None and len(comment) > 2000:
        raise DomainError("a comment is at most 2000 characters", field=["comment"])
    s = uow.session
    order = load(uow, order_id, Action.CONFIRM_DELIVERY)
    before = snapshot(order)
    if order.status == S.SHIPPED:
        order_lines = {ln.id: ln for ln in repo.lines_of(s, order.id)}
        _deliver(order_lines, None)
        s.add_all(order_lines.values())
        order.delivered_at = utcnow()
    if rating is not None:
        order.rating = rating
    if comment is not None and comment.strip():
        order.feedback = comment.strip()
    _advance(uow, order, S.DELIVERED, EventType.DELIVERY_CONFIRMED,
             EventType.DELIVERY_CONFIRMED, {"rating": rating}, before)
    return order
