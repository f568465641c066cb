"""A parcel back at the sender (the RETURN_TO_SENDER resolution, or a carrier returning it
on its own): when it arrives (the carrier's RETURNED_TO_SENDER event, app/shipping/
tracking.py, or staff's `shipmentReturnReceive`) its units go back on hand in its
warehouse through the ledger (movement RETURN_RESTOCK referencing the shipment) exactly
once (`restocked_at`, set under the shipment's row lock), and the order stops counting them
as shipped (app/orders/undelivered.py) unless a reship already did
(docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from datetime import datetime

from app.auth.principal import SYSTEM
from app.errors import DomainError, ErrorCode, NotFound
from app.inventory import ledger
from app.inventory.alerts import available_snapshot, check_stock_alerts
from app.inventory.models import MovementKind
from app.orders import repository as orders
from app.orders import undelivered
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import lifecycle
from app.shipping import repository as repo
from app.shipping.creation import check_writer
from app.shipping.models import Shipment, ShipmentStatus, TrackingEvent

S = ShipmentStatus
# dispatched, and neither delivered nor cancelled: a parcel that can come back
RECEIVABLE = frozenset({*lifecycle.ON_THE_WAY, S.RETURNED_TO_SENDER.value})


def restock_locked(uow: UnitOfWork, shipment: Shipment, at: datetime) -> bool:
    """Put a locked, dispatched shipment's units back on hand; False when it was done
    before (or the parcel never left, so nothing came back)."""
    if shipment.restocked_at is not None or shipment.shipped_at is None:
        return False
    s = uow.session
    lines = repo.lines_of_shipment(s, shipment.id)
    products = {ln.id: ln.product_id for ln in orders.lines_of(s, shipment.order_id)}
    units: dict[int, int] = {}
    for line in lines:
        product_id = products[line.order_line_id]
        units[product_id] = units.get(product_id, 0) + line.quantity
    pairs = [(p, shipment.warehouse_id) for p in sorted(units)]  # the ledger's lock order
    before = available_snapshot(s, pairs)
    ref = ledger.Reference(type="Shipment", id=shipment.id, actor_id=uow.actor_id,
                           reason=f"returned to sender: {shipment.number}")
    for product_id, warehouse_id in pairs:
        ledger.add_on_hand(s, ledger.StockLine(product_id, warehouse_id, units[product_id]),
                           MovementKind.RETURN_RESTOCK, ref)
    check_stock_alerts(uow, pairs, before)
    shipment.restocked_at = at
    if repo.reship_of(s, shipment.id) is None:  # a reship took the units off already
        undelivered.return_to_stock(uow, shipment.order_id,
                                    [(ln.order_line_id, ln.quantity) for ln in lines],
                                    shipment_id=shipment.id)
    return True


def receive_return(uow: UnitOfWork, shipment_id: int) -> Shipment:
    """Staff received a parcel back at its warehouse (shipments:write; WAREHOUSE users for
    their own warehouses): RETURNED_TO_SENDER, and its units back in stock once."""
    principal = uow.principal or SYSTEM
    shipment = repo.lock_shipment(uow.session, principal, shipment_id)
    if shipment is None:
        raise NotFound("shipment not found", field=["id"])
    check_writer(principal, shipment.warehouse_id)
    if shipment.restocked_at is not None:
        raise DomainError(f"shipment {shipment.number} was received back on "
                          f"{shipment.restocked_at:%Y-%m-%d %H:%M} UTC already",
                          code=ErrorCode.INVALID_TRANSITION, field=["id"])
    if shipment.status not in RECEIVABLE or shipment.shipped_at is None:
        raise DomainError(f"cannot receive back a shipment that is {shipment.status} "
                          "(allowed once the carrier has it: "
                          + ", ".join(sorted(RECEIVABLE)) + ")",
                          code=ErrorCode.INVALID_TRANSITION, field=["id"])
    before = snapshot(shipment)
    now = utcnow()
    shipment.status = S.RETURNED_TO_SENDER.value
    restock_locked(uow, shipment, now)
    uow.session.add(TrackingEvent(shipment_id=shipment.id, status=S.RETURNED_TO_SENDER.value,
                                  description="received back at the warehouse by staff",
                                  occurred_at=now))
    lifecycle.changed(uow, shipment, before, "return_receive",
                      reason="returned to sender")
    return shipment
