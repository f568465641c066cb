"""A shipment's own steps before the carrier has it: pack, dispatch (the hand-over: stock
leaves through the ledger exactly once, the order becomes PARTIALLY_SHIPPED or SHIPPED) and
cancel; the state machine and `availableActions` (docs/architecture.md#shipments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import DomainError, ErrorCode, NotFound
from app.orders import fulfillment
from app.orders import repository as orders
from app.orders.models import Order
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import repository as repo
from app.shipping.creation import (
    ParcelDraft,
    check_parcels,
    check_writer,
    live_charges,
    set_shipping_total,
)
from app.shipping.models import Shipment, ShipmentParcel, ShipmentStatus
from app.shipping.notify import emit_status

S = ShipmentStatus
BEFORE_PICKUP = frozenset({S.CREATED.value, S.PACKED.value})
# with the carrier: tracking events move the shipment among these
ON_THE_WAY = frozenset({S.PICKED_UP.value, S.IN_TRANSIT.value, S.OUT_FOR_DELIVERY.value,
                        S.FAILED_ATTEMPT.value, S.EXCEPTION.value})
FINAL = frozenset({S.DELIVERED.value, S.RETURNED_TO_SENDER.value, S.CANCELLED.value})
PROBLEMS = frozenset({S.EXCEPTION.value, S.FAILED_ATTEMPT.value})


class ShipmentAction(StrEnum):
    PACK = "PACK"
    DISPATCH = "DISPATCH"
    CANCEL = "CANCEL"
    RECORD_TRACKING = "RECORD_TRACKING"
    CONFIRM_DELIVERY = "CONFIRM_DELIVERY"


ALLOWED_FROM: dict[ShipmentAction, frozenset[str]] = {
    ShipmentAction.PACK: BEFORE_PICKUP,
    ShipmentAction.DISPATCH: BEFORE_PICKUP,
    ShipmentAction.CANCEL: BEFORE_PICKUP,
    ShipmentAction.RECORD_TRACKING: frozenset({*BEFORE_PICKUP, *ON_THE_WAY}),
    ShipmentAction.CONFIRM_DELIVERY: ON_THE_WAY,
}


@dataclass(frozen=True)
class ActionState:
    action: ShipmentAction
    allowed: bool
    reason: str | None


def available_actions(principal: Principal, shipment: Shipment) -> list[ActionState]:
    """Every action with whether this caller may take it now, and why not."""
    out = []
    writer = principal.can(Perm.SHIPMENTS_WRITE) and (
        principal.warehouse_scope is None or shipment.warehouse_id in principal.warehouse_scope)
    for action, states in ALLOWED_FROM.items():
        if not writer:
            out.append(ActionState(action, False, "you may not change this shipment"))
        elif shipment.status not in states:
            out.append(ActionState(action, False, f"not possible while the shipment is "
                                   f"{shipment.status} (allowed from "
                                   + ", ".join(sorted(states)) + ")"))
        else:
            out.append(ActionState(action, True, None))
    return out


def locked(uow: UnitOfWork, shipment_id: int, action: ShipmentAction) -> Shipment:
    """The shipment, locked, checked against the caller's scope and the state machine."""
    principal = uow.principal or SYSTEM
    shipment = repo.lock_shipment(uow.session, principal, shipment_id)
    if shipment is None:
        raise NotFound("shipment not found", field=["id"])
    check_writer(principal, shipment.warehouse_id)
    if shipment.status not in ALLOWED_FROM[action]:
        raise DomainError(
            f"cannot {action.value.lower().replace('_', ' ')} a shipment that is "
            f"{shipment.status} (allowed from " + ", ".join(sorted(ALLOWED_FROM[action])) + ")",
            code=ErrorCode.INVALID_TRANSITION, field=["id"])
    return shipment


def changed(uow: UnitOfWork, shipment: Shipment, before: dict, action: str,
            order: Order | None = None, reason: str | None = None) -> None:
    """Version, audit and the status event for a step that changed the shipment."""
    shipment.version += 1
    shipment.updated_at = utcnow()
    uow.session.add(shipment)
    uow.audit(f"shipment.{action}", "Shipment", shipment.id, before=before,
              after=snapshot(shipment))
    if before.get("status") != shipment.status:
        order = order or uow.session.get(Order, shipment.order_id)
        carrier = repo.get_carrier(uow.session, shipment.carrier_id) if shipment.carrier_id \
            else None
        emit_status(uow, shipment, order, carrier.code if carrier else None, reason)


def pack(uow: UnitOfWork, shipment_id: int, parcels: Sequence[ParcelDraft]) -> Shipment:
    """Record the boxes as packed (again, if repacked before pickup): CREATED -> PACKED."""
    if not parcels:
        raise DomainError("packing needs at least one parcel", field=["parcels"])
    check_parcels(parcels)
    shipment = locked(uow, shipment_id, ShipmentAction.PACK)
    before = snapshot(shipment)
    repo.replace_parcels(uow.session, shipment.id, [
        ShipmentParcel(shipment_id=shipment.id, **vars(p)) for p in parcels])
    shipment.status = S.PACKED.value
    shipment.packed_at = utcnow()
    changed(uow, shipment, before, "pack")
    return shipment


def dispatch_locked(uow: UnitOfWork, shipment: Shipment, at: datetime) -> None:
    """The hand-over of a locked CREATED/PACKED shipment: its units leave the warehouse
    through the stock ledger (reservation consumed, on-hand down) and the order moves.
    The status check under the lock makes it happen once, however many callers race."""
    lines = repo.lines_of_shipment(uow.session, shipment.id)
    fulfillment.record_shipment(
        uow, shipment.order_id,
        [(ln.order_line_id, shipment.warehouse_id, ln.quantity) for ln in lines],
        shipment_id=shipment.id)
    shipment.status = S.PICKED_UP.value
    shipment.shipped_at = at


def dispatch(uow: UnitOfWork, shipment_id: int, at: datetime | None = None) -> Shipment:
    shipment = locked(uow, shipment_id, ShipmentAction.DISPATCH)
    when = at or utcnow()
    if when.tzinfo is None or when > utcnow():
        raise DomainError("the pick-up time needs a time zone and cannot be in the future",
                          field=["pickedUpAt"])
    before = snapshot(shipment)
    dispatch_locked(uow, shipment, when)
    changed(uow, shipment, before, "dispatch")
    return shipment


def cancel(uow: UnitOfWork, shipment_id: int, reason: str) -> Shipment:
    """Before pickup only; the order keeps its reservation (a new shipment can take it) and
    no longer owes this parcel's shipping charge."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 400:
        raise DomainError("say why, in at most 400 characters", field=["reason"])
    shipment = locked(uow, shipment_id, ShipmentAction.CANCEL)
    before = snapshot(shipment)
    shipment.status = S.CANCELLED.value
    shipment.cancelled_at = utcnow()
    shipment.exception_reason = reason
    uow.session.flush()
    order = orders.lock_order(uow.session, shipment.order_id)
    set_shipping_total(uow, order, live_charges(uow, order.id))
    changed(uow, shipment, before, "cancel", order, reason)
    return shipment
