"""Shipment rules: creating a shipment for an order, recording carrier tracking events,
and the scoped reads behind the `shipments` / `shipment` queries.

Dispatching (the stock ledger `ship` step) and the order status side of shipping belong
to the logistics workflow; these two writers only keep the shipment itself consistent.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from app.auth.principal import SYSTEM, Principal
from app.auth.roles import Perm
from app.errors import (
    DomainError,
    ErrorCode,
    Forbidden,
    InvalidTransition,
    NotFound,
    Validator,
)
from app.events import topics
from app.inventory.models import Warehouse
from app.orders import repository as orders
from app.orders.models import Order, OrderLine, OrderStatus
from app.persistence.columns import utcnow
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import repository as repo
from app.shipping.models import Carrier, Shipment, ShipmentLine, ShipmentStatus, TrackingEvent

# Orders whose stock is reserved and not yet fully out of the door.
SHIPPABLE_ORDER_STATUSES = frozenset({
    OrderStatus.CONFIRMED.value, OrderStatus.SCHEDULED.value,
    OrderStatus.IN_FULFILLMENT.value, OrderStatus.PARTIALLY_SHIPPED.value,
})
# Statuses that mean the parcel has left the warehouse.
ON_THE_WAY = frozenset({
    ShipmentStatus.PICKED_UP.value, ShipmentStatus.IN_TRANSIT.value,
    ShipmentStatus.OUT_FOR_DELIVERY.value, ShipmentStatus.FAILED_ATTEMPT.value,
    ShipmentStatus.EXCEPTION.value, ShipmentStatus.DELIVERED.value,
})
_PROBLEMS = frozenset({ShipmentStatus.EXCEPTION.value, ShipmentStatus.FAILED_ATTEMPT.value})
MAX_TRACKING_NUMBER = 64


def new_shipment_number(session: Session, at: datetime | None = None) -> str:
    """`SH` + date + random suffix; unique (retried on the rare collision)."""
    day = (at or utcnow()).strftime("%y%m%d")
    while True:
        number = f"SH{day}-{secrets.token_hex(3).upper()}"
        if not repo.number_exists(session, number):
            return number


def _check_writer(principal: Principal, warehouse_id: int) -> None:
    if not principal.can(Perm.SHIPMENTS_WRITE):
        raise Forbidden("you may not create shipments")
    scope = principal.warehouse_scope
    if scope is not None and warehouse_id not in scope:  # out of scope == missing
        raise NotFound("warehouse not found", field=["warehouseId"])


def _validate_lines(session: Session, order: Order, lines: Sequence[tuple[int, int]]
                    ) -> list[tuple[OrderLine, int]]:
    v = Validator()
    v.check(bool(lines), "lines", "a shipment needs at least one line")
    v.raise_if_any()
    ids = [line_id for line_id, _ in lines]
    rows = orders.lines_by_ids(session, ids)
    already = repo.shipped_quantities(session, ids)
    out: list[tuple[OrderLine, int]] = []
    seen: set[int] = set()
    for i, (line_id, quantity) in enumerate(lines):
        row = rows.get(line_id)
        if not v.check(row is not None and row.order_id == order.id and line_id not in seen,
                       ["lines", str(i), "orderLineId"], "not a line of this order (or repeated)"):
            continue
        seen.add(line_id)
        if not v.check(quantity > 0, ["lines", str(i), "quantity"], "quantity must be positive"):
            continue
        open_qty = row.quantity - already.get(line_id, 0)
        if quantity > open_qty:
            v.errors.append(DomainError(
                f"only {open_qty} of {row.sku} left to ship", field=["lines", str(i), "quantity"],
                code=ErrorCode.QUANTITY_EXCEEDED))
            continue
        out.append((row, quantity))
    v.raise_if_any()
    return out


def _carrier(session: Session, carrier_id: int | None) -> Carrier | None:
    if carrier_id is None:
        return None
    carrier = session.get(Carrier, carrier_id)
    if carrier is None or not carrier.is_active:
        raise NotFound("carrier not found", field=["carrierId"])
    return carrier


def create_shipment(
    uow: UnitOfWork, order_id: int, warehouse_id: int, lines: Sequence[tuple[int, int]],
    carrier_id: int | None = None, tracking_number: str | None = None, *,
    estimated_delivery: date | None = None, number: str | None = None,
) -> Shipment:
    """A CREATED shipment of (order_line_id, quantity) pairs from one warehouse."""
    s = uow.session
    _check_writer(uow.principal or SYSTEM, warehouse_id)
    order = s.get(Order, order_id)
    if order is None:
        raise NotFound("order not found", field=["orderId"])
    if order.status not in SHIPPABLE_ORDER_STATUSES:
        raise InvalidTransition("order", order.status, "create a shipment for")
    warehouse = s.get(Warehouse, warehouse_id)
    if warehouse is None or not warehouse.is_active:
        raise NotFound("warehouse not found", field=["warehouseId"])
    carrier = _carrier(s, carrier_id)
    tracking = (tracking_number or "").strip() or None
    if tracking is not None and len(tracking) > MAX_TRACKING_NUMBER:
        raise DomainError("tracking number is at most 64 characters", field=["trackingNumber"])
    checked = _validate_lines(s, order, lines)
    shipment = Shipment(
        number=number or new_shipment_number(s), order_id=order.id, warehouse_id=warehouse.id,
        carrier_id=carrier.id if carrier else None, tracking_number=tracking,
        status=ShipmentStatus.CREATED.value, estimated_delivery=estimated_delivery,
    )
    s.add(shipment)
    s.flush()
    s.add_all([ShipmentLine(shipment_id=shipment.id, order_line_id=row.id, quantity=q)
               for row, q in checked])
    uow.audit("shipment.create", "Shipment", shipment.id, after={
        **snapshot(shipment), "lines": [[row.id, q] for row, q in checked]})
    _emit(uow, shipment, order, carrier, None)
    return shipment


def _emit(uow: UnitOfWork, shipment: Shipment, order: Order, carrier: Carrier | None,
          reason: str | None) -> None:
    uow.emit(topics.SHIPMENT_STATUS_CHANGED, shipment_id=shipment.id, order_id=order.id,
             customer_id=order.customer_id, warehouse_id=shipment.warehouse_id,
             status=shipment.status, tracking_number=shipment.tracking_number,
             carrier=carrier.code if carrier else None, at=utcnow().isoformat(), reason=reason)


def _validate_event(status: str, location: str, description: str, occurred_at: datetime) -> None:
    v = Validator()
    v.check(status in ShipmentStatus.__members__, "status",
            "status must be one of " + ", ".join(ShipmentStatus.__members__))
    v.check(len(location) <= 200, "location", "location is at most 200 characters")
    v.check(len(description) <= 400, "description", "description is at most 400 characters")
    v.check(isinstance(occurred_at, datetime) and occurred_at.tzinfo is not None,
            "occurredAt", "occurredAt must be a timezone-aware timestamp")
    v.raise_if_any()


def apply_status(shipment: Shipment, status: str, at: datetime, description: str) -> None:
    """Move a shipment to `status` as of `at` (shared with the demo seed)."""
    shipment.status = status
    if status in ON_THE_WAY and shipment.shipped_at is None:
        shipment.shipped_at = at
    if status == ShipmentStatus.DELIVERED.value:
        shipment.delivered_at = at
    shipment.exception_reason = (description or status) if status in _PROBLEMS else None


def add_tracking_event(
    uow: UnitOfWork, shipment_id: int, status: str, location: str, description: str,
    occurred_at: datetime, *, external_id: str | None = None,
) -> TrackingEvent:
    """Record a carrier event; the newest event decides the shipment's status.

    Events may arrive out of order: an older one is kept in the history without
    moving the status back. A repeated `external_id` returns the stored event.
    """
    s = uow.session
    location, description = (location or "").strip(), (description or "").strip()
    _validate_event(status, location, description, occurred_at)
    principal = uow.principal or SYSTEM
    if not principal.can(Perm.SHIPMENTS_WRITE):
        raise Forbidden("you may not record tracking events")
    shipment = repo.get_visible(s, principal, shipment_id)
    if shipment is None:
        raise NotFound("shipment not found", field=["shipmentId"])
    if external_id:
        found = repo.tracking_event_by_external_id(s, shipment.id, external_id)
        if found is not None:
            return found
    if shipment.status == ShipmentStatus.CANCELLED.value:
        raise InvalidTransition("shipment", shipment.status, "track")
    latest = repo.latest_event(s, shipment.id)
    event = TrackingEvent(shipment_id=shipment.id, status=status, location=location,
                          description=description, external_id=external_id,
                          occurred_at=occurred_at)
    s.add(event)
    s.flush()
    uow.audit("shipment.tracking_event", "Shipment", shipment.id,
              after=snapshot(event))
    newest = latest is None or occurred_at >= latest.occurred_at
    _apply_event(uow, shipment, status, occurred_at, description, newest)
    return event


def _apply_event(uow: UnitOfWork, shipment: Shipment, status: str, at: datetime,
                 description: str, newest: bool) -> None:
    """The newest scan sets the status; a late older scan can still date the dispatch."""
    moves = newest and status != shipment.status
    earlier = (status in ON_THE_WAY and shipment.shipped_at is not None
               and at < shipment.shipped_at)
    if not (moves or earlier):
        return
    before = snapshot(shipment)
    if moves:
        apply_status(shipment, status, at, description)
    if earlier:
        shipment.shipped_at = at
    shipment.version += 1
    shipment.updated_at = utcnow()
    uow.session.add(shipment)
    uow.audit("shipment.status", "Shipment", shipment.id, before=before,
              after=snapshot(shipment))
    if moves:
        order = uow.session.get(Order, shipment.order_id)
        carrier = uow.session.get(Carrier, shipment.carrier_id) if shipment.carrier_id else None
        _emit(uow, shipment, order, carrier, shipment.exception_reason)


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

