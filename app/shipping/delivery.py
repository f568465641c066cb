"""Delivery: the parcel reached the door (a carrier's DELIVERED event or staff's
`shipmentConfirmDelivery`), cash collected on delivery becomes a payment of the order (a
different amount than was due opens a COD_MISMATCH exception), and the customer's
acceptance of the order marks its shipments accepted
(docs/architecture.md#cash-on-delivery)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from app.auth.principal import SYSTEM
from app.errors import DomainError
from app.orders import fulfillment
from app.orders.models import Order
from app.payments.service import collect_on_delivery
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import lifecycle
from app.shipping import repository as repo
from app.shipping.exceptions.opening import open_exception
from app.shipping.models import ExceptionSource, ExceptionType, Shipment, ShipmentStatus
from app.shipping.models import TrackingEvent as Event

S = ShipmentStatus


def deliver_locked(uow: UnitOfWork, shipment: Shipment, at: datetime, signer: str | None,
                   proof: str | None, cod_collected: Decimal | None) -> None:
    """A dispatched, locked shipment reached the customer: its lines are delivered to the
    order, and cash due is collected (None: in full, as carriers report it by default)."""
    lines = repo.lines_of_shipment(uow.session, shipment.id)
    order = fulfillment.record_delivery(
        uow, shipment.order_id, [(ln.order_line_id, ln.quantity) for ln in lines],
        shipment_id=shipment.id)
    shipment.status = S.DELIVERED.value
    shipment.delivered_at = at
    shipment.exception_reason = None
    shipment.delivery_signer = signer or shipment.delivery_signer
    shipment.delivery_proof = proof or shipment.delivery_proof
    if shipment.cod_amount > 0 or (cod_collected or 0) > 0:
        _collect(uow, shipment, order, at,
                 shipment.cod_amount if cod_collected is None else cod_collected)


def _collect(uow: UnitOfWork, shipment: Shipment, order: Order, at: datetime,
             collected: Decimal) -> None:
    shipment.cod_collected = collected
    shipment.cod_collected_at = at
    collect_on_delivery(uow, order, collected, shipment.number)
    if collected != shipment.cod_amount:
        open_exception(uow, shipment, ExceptionType.COD_MISMATCH.value,
                       ExceptionSource.DELIVERY.value,
                       f"collected {collected} on delivery, {shipment.cod_amount} was due",
                       at=at)


def confirm_delivery(uow: UnitOfWork, shipment_id: int, *, signer: str,
                     proof: str | None = None, delivered_at: datetime | None = None,
                     cod_collected: Decimal | None = None) -> Shipment:
    """Staff record a delivery (a proof of delivery from the courier, a customer's call)."""
    signer, proof = (signer or "").strip(), (proof or "").strip() or None
    at = delivered_at or utcnow()
    if not signer or len(signer) > 100:
        raise DomainError("name who signed, in at most 100 characters", field=["signer"])
    if proof is not None and len(proof) > 200:
        raise DomainError("a proof reference is at most 200 characters", field=["proof"])
    if at.tzinfo is None or at > utcnow():
        raise DomainError("the delivery time needs a time zone and cannot be in the future",
                          field=["deliveredAt"])
    if cod_collected is not None and not (cod_collected.is_finite()
                                          and 0 <= cod_collected < 10 ** 10):
        raise DomainError("cash collected is 0 or more", field=["codCollected"])
    shipment = lifecycle.locked(uow, shipment_id, lifecycle.ShipmentAction.CONFIRM_DELIVERY)
    if shipment.cod_amount > 0 and cod_collected is None:
        raise DomainError(f"{shipment.cod_amount} was due on delivery: say how much was "
                          "collected", field=["codCollected"])
    if shipment.shipped_at is not None and at < shipment.shipped_at:
        raise DomainError("delivered before it was picked up?", field=["deliveredAt"])
    before = snapshot(shipment)
    deliver_locked(uow, shipment, at, signer, proof, cod_collected)
    uow.session.add(Event(shipment_id=shipment.id, status=S.DELIVERED.value,
                          description=f"delivery confirmed by staff, signed by {signer}",
                          occurred_at=at))
    lifecycle.changed(uow, shipment, before, "deliver")
    return shipment


def accept_order(uow: UnitOfWork, order_id: int, rating: int | None,
                 comment: str | None) -> Order:
    """The customer's acceptance of the order (`orderConfirmDelivery`): the order step,
    then every parcel of it on its way or delivered is marked accepted (a parcel the
    customer holds is delivered, whatever the carrier has reported)."""
    # the shipments first, as every shipment step locks them before the order (a carrier's
    # event for one of them at the same time waits instead of deadlocking)
    parcels = [repo.lock_shipment(uow.session, SYSTEM, sh.id)
               for sh in repo.shipments_of_order(uow.session, order_id)
               if sh.status in lifecycle.ON_THE_WAY | {S.DELIVERED.value}]
    order = fulfillment.confirm_delivery(uow, order_id, rating, comment)
    now = utcnow()
    for locked in parcels:
        if locked.status not in lifecycle.ON_THE_WAY | {S.DELIVERED.value}:
            continue
        before = snapshot(locked)
        if locked.status != S.DELIVERED.value:
            locked.status = S.DELIVERED.value
            locked.delivered_at = now
            locked.exception_reason = None
        locked.accepted_at = locked.accepted_at or now
        lifecycle.changed(uow, locked, before, "accept", order)
    return order
