"""The scoped reads behind the `shipments` / `shipment` queries, and the status rule the
demo seed shares. The workflow's steps are in creation.py (shipmentCreate,
orderCreateShipments), lifecycle.py (pack, dispatch, cancel), tracking.py (tracking events)
and delivery.py (delivery, cash on delivery, acceptance) (docs/architecture.md#shipments).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.auth.principal import Principal
from app.persistence.pagination import Page, PageRequest
from app.shipping import lifecycle
from app.shipping import repository as repo
from app.shipping.models import Carrier, Shipment, ShipmentStatus

# Statuses that mean the parcel has left the warehouse (delivered included).
ON_THE_WAY = lifecycle.ON_THE_WAY | {ShipmentStatus.DELIVERED.value}


def apply_status(shipment: Shipment, status: str, at: datetime, description: str) -> None:
    """Move a shipment to `status` as of `at` (shared with the demo seed)."""
    shipment.status = status
    if status in ON_THE_WAY and shipment.shipped_at is None:
        shipment.shipped_at = at
    if status == ShipmentStatus.DELIVERED.value:
        shipment.delivered_at = at
    shipment.exception_reason = (description or status) if status in lifecycle.PROBLEMS else None


# Reads ----------------------------------------------------------------------

def get_shipment(session: Session, principal: Principal, shipment_id: int) -> Shipment | None:
    return repo.get_visible(session, principal, shipment_id)


def list_shipments(session: Session, principal: Principal, flt: repo.ShipmentFilter,
                   sort: repo.ShipmentSort, page: PageRequest) -> Page[Shipment]:
    return repo.list_shipments(session, principal, flt, sort, page)


def visible_of_order(principal: Principal, shipments: list[Shipment]) -> list[Shipment]:
    """The shipments of an order the caller already sees, as that caller may see them.

    For `Order.shipments`: the per-order loader is shared by every caller, and a
    WAREHOUSE user sees only parcels leaving its own warehouses.
    """
    scope = principal.warehouse_scope
    return shipments if scope is None else [s for s in shipments if s.warehouse_id in scope]


def list_carriers(session: Session, active: bool | None, sort: repo.CarrierSort,
                  page: PageRequest) -> Page[Carrier]:
    return repo.list_carriers(session, active, sort, page)


def get_carrier(session: Session, carrier_id: int) -> Carrier | None:
    return session.get(Carrier, carrier_id)

