"""Units that left the warehouse but never reached the customer: hooks for the shipping
domain's delivery exceptions (docs/architecture.md#delivery-exceptions). Like those of
fulfillment.py they check no permission (the calling service has authorized and scoped its
shipment); they check the order's state and quantities and write its history.

    return_to_stock(uow, order_id, [(order_line_id, quantity)], shipment_id=...)
        a parcel came back to the sender and its units are back in stock (the caller
        restocks them through the ledger): the order no longer counts them as shipped, so
        quantity_shipped drops (never below what was delivered) and a SHIPPED order is
        PARTIALLY_SHIPPED again. The allocation keeps them as shipped: it says what left
        the warehouse for the order, which the ledger's SHIPMENT movements also say.
    reserve_again(uow, order_id, warehouse_id, [(order_line_id, quantity)], ...)
        a parcel is sent again (RESHIP): its units are reserved again in the warehouse
        (ledger.reserve; INSUFFICIENT_STOCK when they are not there) and the allocation
        grows by them, so that a new shipment can take them and its dispatch ships them
        through the ledger like any other; unless a return already did, they no longer
        count as shipped, so the new dispatch makes the line whole again.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from app.errors import Conflict, DomainError, ErrorCode, NotFound
from app.inventory import ledger
from app.orders import history
from app.orders import repository as repo
from app.orders.models import Order, OrderLine, OrderStatus
from app.persistence.uow import UnitOfWork, snapshot

S = OrderStatus
AFTER_SHIPPING = frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED})


class UndeliveredEvent(StrEnum):
    """Order history entry types written here (OrderEvent.type)."""

    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"
    RESHIP_RESERVED = "RESHIP_RESERVED"


def _locked(uow: UnitOfWork, order_id: int) -> Order:
    order = repo.lock_order(uow.session, order_id)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    return order


def _unship(lines: dict[int, OrderLine], quantities: Sequence[tuple[int, int]]
            ) -> list[tuple[int, int]]:
    """Take units off the lines' shipped quantities (at most what is shipped and not
    delivered); the units taken, per line."""
    taken = []
    for line_id, quantity in quantities:
        line = lines[line_id]
        take = min(quantity, line.quantity_shipped - line.quantity_delivered)
        if take > 0:
            line.quantity_shipped -= take
            taken.append((line_id, take))
    return taken


def _record(uow: UnitOfWork, order: Order, lines: dict[int, OrderLine], event: str,
            details: dict, before: dict) -> None:
    """SHIPPED -> PARTIALLY_SHIPPED when a line is no longer fully shipped, else a history
    entry."""
    uow.session.add_all(lines.values())
    if order.status == S.SHIPPED and any(ln.quantity_shipped < ln.quantity
                                         for ln in lines.values()):
        history.transition(uow, order, S.PARTIALLY_SHIPPED, event, details=details,
                           before=before)
    else:
        history.touch(order)
        uow.session.add(order)
        history.record(uow, order, event, details=details, before=before)


def return_to_stock(uow: UnitOfWork, order_id: int, quantities: Sequence[tuple[int, int]],
                    *, shipment_id: int) -> Order:
    order = _locked(uow, order_id)
    before = snapshot(order)
    lines = {ln.id: ln for ln in repo.lines_of(uow.session, order.id)}
    taken = _unship(lines, quantities) if order.status in AFTER_SHIPPING else []
    _record(uow, order, lines, UndeliveredEvent.RETURNED_TO_SENDER.value, {
        "shipmentId": shipment_id,
        "lines": [{"orderLineId": i, "quantity": q} for i, q in quantities],
        "unshipped": [{"orderLineId": i, "quantity": q} for i, q in taken]}, before)
    return order


def _short(exc: ledger.InsufficientStock, lines: dict[int, OrderLine],
           quantities: Sequence[tuple[int, int]]) -> DomainError:
    sku = next((ln.sku for ln in lines.values() if ln.product_id == exc.product_id),
               str(exc.product_id))
    wanted = sum(q for i, q in quantities if lines[i].product_id == exc.product_id)
    return DomainError(f"not enough stock of {sku} in the shipment's warehouse to send "
                       f"{wanted} again: receive or move stock there first",
                       field=["resolution"], code=ErrorCode.INSUFFICIENT_STOCK)


def reserve_again(uow: UnitOfWork, order_id: int, warehouse_id: int,
                  quantities: Sequence[tuple[int, int]], *, shipment_id: int,
                  unship: bool) -> Order:
    s = uow.session
    order = _locked(uow, order_id)
    if order.status not in AFTER_SHIPPING:
        raise DomainError(f"cannot send goods again for an order in state {order.status} "
                          "(allowed from PARTIALLY_SHIPPED, SHIPPED)",
                          code=ErrorCode.INVALID_TRANSITION, field=["resolution"])
    before = snapshot(order)
    lines = {ln.id: ln for ln in repo.lines_of(s, order.id)}
    allocations = {(a.order_line_id, a.warehouse_id): a for a in repo.allocations_of(s, order.id)}
    if any((i, warehouse_id) not in allocations for i, _ in quantities):
        raise Conflict("the shipment's units were not allocated in its warehouse",
                       field=["resolution"])
    ref = ledger.Reference(type="Shipment", id=shipment_id, actor_id=uow.actor_id,
                           reason="sent again")
    try:
        ledger.reserve(s, [ledger.StockLine(lines[i].product_id, warehouse_id, q)
                           for i, q in quantities], ref)
    except ledger.InsufficientStock as exc:
        raise _short(exc, lines, quantities) from None
    for line_id, quantity in quantities:
        allocation = allocations[(line_id, warehouse_id)]
        allocation.quantity += quantity
        s.add(allocation)
    if unship and _unship(lines, quantities) != [(i, q) for i, q in quantities if q > 0]:
        raise Conflict("some of the shipment's units are recorded as delivered",
                       field=["resolution"])
    _record(uow, order, lines, UndeliveredEvent.RESHIP_RESERVED.value, {
        "shipmentId": shipment_id, "warehouseId": warehouse_id,
        "lines": [{"orderLineId": i, "quantity": q} for i, q in quantities]}, before)
    return order
