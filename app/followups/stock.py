"""What a follow-up's resolution does to the goods and the parcel
(docs/architecture.md#failed-delivery-follow-up). Every stock change goes through the
ledger, whose movements record the level's owner (the consignor), so the ledger balances
per owner whatever the resolution.

* REDELIVER: a parcel the carrier still has gets a new attempt on `redeliverOn` (its
  estimated delivery, which the delay check goes by); goods back at, or on their way back
  to, the warehouse go again on a new shipment, reserved again first (as a delivery
  exception's RESHIP, app/orders/undelivered.py), once per parcel.
* RETURN_TO_STOCK: the parcel is received back (app/shipping/exceptions/returning.py:
  RETURN_RESTOCK, exactly once per parcel); nothing more when it was received already.
* RETURN_TO_CONSIGNOR: received back as above, then the units leave to the consignor:
  movement CONSIGNOR_RETURN referencing the follow-up (the consignor's goods only).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.auth.principal import SYSTEM
from app.errors import Conflict, DomainError, ErrorCode
from app.followups.models import DeliveryFollowUp
from app.inventory import ledger
from app.inventory.alerts import available_snapshot, check_stock_alerts
from app.inventory.models import MovementKind
from app.orders import repository as orders
from app.orders import undelivered
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import creation, lifecycle
from app.shipping import repository as shipping
from app.shipping.exceptions import returning
from app.shipping.models import Shipment


def _not_final(shipment: Shipment, allowed: frozenset[str], what: str) -> None:
    if shipment.status not in allowed or shipment.shipped_at is None:
        raise DomainError(f"{what}; shipment {shipment.number} is {shipment.status}",
                          code=ErrorCode.INVALID_TRANSITION, field=["resolution"])


def redeliver(uow: UnitOfWork, row: DeliveryFollowUp, shipment: Shipment,
              redeliver_on: date | None, timezone: str) -> None:
    if shipment.restocked_at is None and shipment.status in lifecycle.ON_THE_WAY:
        today = datetime.now(ZoneInfo(timezone)).date()
        if redeliver_on is None or redeliver_on < today:
            raise DomainError(f"a new attempt needs redeliverOn, today ({today}) or later",
                              field=["redeliverOn"])
        before = snapshot(shipment)
        shipment.estimated_delivery = redeliver_on
        lifecycle.changed(uow, shipment, before, "redeliver")
        row.redeliver_on = redeliver_on
        return
    _not_final(shipment, returning.RECEIVABLE, "only goods that left and were not "
               "delivered can go again")
    creation.check_writer(uow.principal or SYSTEM, shipment.warehouse_id)
    existing = shipping.reship_of(uow.session, shipment.id)
    if existing is not None:
        raise Conflict(f"shipment {shipment.number} was sent again already, as "
                       f"{existing.number}", field=["resolution"])
    quantities = [(ln.order_line_id, ln.quantity)
                  for ln in shipping.lines_of_shipment(uow.session, shipment.id)]
    undelivered.reserve_again(uow, shipment.order_id, shipment.warehouse_id, quantities,
                              shipment_id=shipment.id, unship=shipment.restocked_at is None)
    again = creation.create_shipment(uow, creation.ShipmentDraft(
        shipment.order_id, shipment.warehouse_id, lines=quantities), timezone)
    again.reship_of_id = shipment.id
    uow.session.add(again)
    row.redelivery_shipment_id = again.id
    row.redeliver_on = redeliver_on


def return_to_stock(uow: UnitOfWork, row: DeliveryFollowUp, shipment: Shipment,
                    redeliver_on: date | None, timezone: str) -> None:
    if shipment.restocked_at is not None:
        return  # back on hand already (the carrier's return or staff's receipt)
    returning.receive_return(uow, shipment.id)


def _units(uow: UnitOfWork, shipment: Shipment) -> dict[int, int]:
    products = {ln.id: ln.product_id for ln in orders.lines_of(uow.session, shipment.order_id)}
    units: dict[int, int] = {}
    for line in shipping.lines_of_shipment(uow.session, shipment.id):
        product_id = products[line.order_line_id]
        units[product_id] = units.get(product_id, 0) + line.quantity
    return units


def return_to_consignor(uow: UnitOfWork, row: DeliveryFollowUp, shipment: Shipment,
                        redeliver_on: date | None, timezone: str) -> None:
    if row.consignor_id is None:
        raise DomainError("the company's own goods cannot go to a consignor: return them "
                          "to stock", field=["resolution"])
    creation.check_writer(uow.principal or SYSTEM, shipment.warehouse_id)
    return_to_stock(uow, row, shipment, redeliver_on, timezone)
    units = _units(uow, shipment)
    pairs = [(p, shipment.warehouse_id) for p in sorted(units)]  # the ledger's lock order
    before = available_snapshot(uow.session, pairs)
    ref = ledger.Reference(type="DeliveryFollowUp", id=row.id, actor_id=uow.actor_id,
                           reason=f"returned to the consignor: {shipment.number}")
    for product_id, warehouse_id in pairs:
        ledger.remove_on_hand(uow.session, ledger.StockLine(
            product_id, warehouse_id, units[product_id]), MovementKind.CONSIGNOR_RETURN, ref)
    check_stock_alerts(uow, pairs, before)
