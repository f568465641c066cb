"""Order steps that shipments must follow, called by the order mutations in place of the
plain order steps (the orders domain does not know shipments): a cancelled order's parcels
waiting for pickup are cancelled with it, and an order whose parcels wait for pickup is not
re-planned under them (docs/architecture.md#shipments)."""

from __future__ import annotations

from datetime import date

from app.auth.principal import SYSTEM
from app.errors import Conflict
from app.orders import scheduling, transitions
from app.orders.models import Order
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import lifecycle
from app.shipping import repository as repo
from app.shipping.creation import live_charges, set_shipping_total


def _waiting(uow: UnitOfWork, order_id: int) -> list:
    return [s for s in repo.shipments_of_order(uow.session, order_id)
            if s.status in lifecycle.BEFORE_PICKUP]


def cancel_order(uow: UnitOfWork, order_id: int, reason: str) -> Order:
    # shipments before their order, as every shipment step locks them (no deadlock with a
    # dispatch running at the same time); the statuses are read again under the locks
    locked = [repo.lock_shipment(uow.session, SYSTEM, sh.id)
              for sh in _waiting(uow, order_id)]
    order = transitions.cancel_order(uow, order_id, reason)  # checks the caller and state
    for shipment in (sh for sh in locked if sh.status in lifecycle.BEFORE_PICKUP):
        before = snapshot(shipment)
        shipment.status = lifecycle.S.CANCELLED.value
        shipment.cancelled_at = utcnow()
        shipment.exception_reason = f"order cancelled: {order.close_reason}"[:400]
        lifecycle.changed(uow, shipment, before, "cancel", order, shipment.exception_reason)
    uow.session.flush()
    set_shipping_total(uow, order, live_charges(uow, order.id))
    return order


def schedule_order(uow: UnitOfWork, order_id: int, scheduled_date: date | None = None,
                   promised_date: date | None = None, warehouse_id: int | None = None
                   ) -> Order:
    waiting = _waiting(uow, order_id)
    if waiting:
        raise Conflict("shipments of this order wait for pickup ("
                       + ", ".join(s.number for s in waiting)
                       + "): cancel them before planning the order again", field=["id"])
    return scheduling.schedule_order(uow, order_id, scheduled_date, promised_date,
                                     warehouse_id)
