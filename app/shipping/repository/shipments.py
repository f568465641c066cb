"""SQL for shipments, their lines and tracking events, with row scope applied."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, insert
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.customers import repository as customers
from app.orders.models import Order
from app.persistence.fast import rows
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    grouped,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.shipping.models import (
    Shipment,
    ShipmentException,
    ShipmentLine,
    ShipmentParcel,
    ShipmentStatus,
    TrackingEvent,
)


class ShipmentSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
    NUMBER_ASC = "NUMBER_ASC"
    NUMBER_DESC = "NUMBER_DESC"


_SORTS = sort_table(ShipmentSort, {
    "CREATED_AT": Shipment.created_at, "UPDATED_AT": Shipment.updated_at,
    "NUMBER": Shipment.number,
})


@dataclass(frozen=True)
class ShipmentFilter:
    statuses: tuple[str, ...] | None = None
    warehouse_id: int | None = None
    order_id: int | None = None
    carrier_id: int | None = None
    tracking_number: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Restrict a select over Shipment to what the principal may see.

    CUSTOMER: shipments of its own orders; SALES: of orders of customers it owns;
    WAREHOUSE: shipments leaving its assigned warehouses. Other roles see all.
    """
    if principal.customer_scope is not None:
        own_orders = select(Order.id).where(Order.customer_id == principal.customer_scope)
        stmt = stmt.where(Shipment.order_id.in_(own_orders))
    if principal.owner_scope is not None:
        owned = customers.owned(principal.owner_scope)
        stmt = stmt.where(Shipment.order_id.in_(
            select(Order.id).where(Order.customer_id.in_(owned))))
    if principal.warehouse_scope is not None:
        stmt = stmt.where(Shipment.warehouse_id.in_(sorted(principal.warehouse_scope)))
    return stmt


def get_visible(session: Session, principal: Principal, shipment_id: int) -> Shipment | None:
    stmt = scope(select(Shipment).where(Shipment.id == shipment_id), principal)
    return session.exec(stmt).first()


def list_shipments(session: Session, principal: Principal, flt: ShipmentFilter,
                   sort: ShipmentSort, page: PageRequest) -> Page[Shipment]:
    return paginate(session, filtered(principal, flt), _SORTS[sort], page, Shipment.id)


def filtered(principal: Principal, flt: ShipmentFilter):  # noqa: ANN201
    """The list's statement: the principal's shipments that match `flt` (the list and the
    bulk export read the same rows: app/exports/)."""
    tracking = flt.tracking_number.strip() if flt.tracking_number else None
    return where(scope(select(Shipment), principal),
                 one_of(Shipment.status, flt.statuses),
                 equal(Shipment.warehouse_id, flt.warehouse_id),
                 equal(Shipment.order_id, flt.order_id),
                 equal(Shipment.carrier_id, flt.carrier_id),
                 equal(Shipment.tracking_number, tracking),
                 in_period(Shipment.created_at, flt.created_after, flt.created_before))


# Batched fetches for dataloaders: one statement per batch of keys ----------------

def shipments_by_order(session: Session, order_ids: Sequence[int]) -> dict[int, list[Shipment]]:
    stmt = select(Shipment).where(Shipment.order_id.in_(list(order_ids))).order_by(
        Shipment.order_id, Shipment.created_at, Shipment.id)
    return grouped(session.exec(stmt), "order_id")


def shipment_rows_by_order(session: Session, order_ids: Sequence[int]
                           ) -> dict[int, list[Any]]:
    """Read-only rows for display (app/persistence/fast/rows.py), in the order of
    `shipments_by_order`."""
    return rows.grouped(session, Shipment, "order_id", order_ids, ("order_id", "created_at", "id"))


def tracking_events_by_shipment(session: Session, shipment_ids: Sequence[int]
                                ) -> dict[int, list[TrackingEvent]]:
    stmt = select(TrackingEvent).where(TrackingEvent.shipment_id.in_(list(shipment_ids))).order_by(
        TrackingEvent.shipment_id, TrackingEvent.occurred_at, TrackingEvent.id)
    return grouped(session.exec(stmt), "shipment_id")


def shipment_lines_by_shipment(session: Session, shipment_ids: Sequence[int]
                               ) -> dict[int, list[ShipmentLine]]:
    stmt = select(ShipmentLine).where(ShipmentLine.shipment_id.in_(list(shipment_ids))).order_by(
        ShipmentLine.shipment_id, ShipmentLine.id)
    return grouped(session.exec(stmt), "shipment_id")


def shipments_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Shipment]:
    return {s.id: s for s in session.exec(select(Shipment).where(Shipment.id.in_(list(ids))))}


# Lookups for the service -------------------------------------------------------

def shipped_quantities(session: Session, order_line_ids: Sequence[int]) -> dict[int, int]:
    """Quantity already on non-cancelled shipments, per order line."""
    stmt = (select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .where(ShipmentLine.order_line_id.in_(list(order_line_ids)),
                   Shipment.status != ShipmentStatus.CANCELLED.value)
            .group_by(ShipmentLine.order_line_id))
    return {line_id: int(total or 0) for line_id, total in session.exec(stmt)}


def number_exists(session: Session, number: str) -> bool:
    return session.exec(select(Shipment.id).where(Shipment.number == number)).first() is not None


def latest_event(session: Session, shipment_id: int) -> TrackingEvent | None:
    stmt = select(TrackingEvent).where(TrackingEvent.shipment_id == shipment_id).order_by(
        TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
    return session.exec(stmt).first()


def tracking_event_by_external_id(session: Session, shipment_id: int,
                                  external_id: str) -> TrackingEvent | None:
    stmt = select(TrackingEvent).where(TrackingEvent.shipment_id == shipment_id,
                                       TrackingEvent.external_id == external_id)
    return session.exec(stmt).first()


def lock_shipment(session: Session, principal: Principal, shipment_id: int) -> Shipment | None:
    """The shipment if the principal may see it, locked for the rest of the unit of work
    (PostgreSQL; SQLite's single writer already serializes): a status check after this
    cannot race a second writer (docs/architecture.md#shipments)."""
    stmt = scope(select(Shipment).where(Shipment.id == shipment_id), principal)
    # populate_existing: a row this session read before the lock is read again under it
    return session.exec(stmt.with_for_update().execution_options(
        populate_existing=True)).first()


def shipped_from(session: Session, order_id: int) -> dict[tuple[int, int], int]:
    """{(order line id, warehouse id): units on the order's non-cancelled shipments}."""
    stmt = (select(ShipmentLine.order_line_id, Shipment.warehouse_id,
                   func.sum(ShipmentLine.quantity))
            .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
            .where(Shipment.order_id == order_id,
                   Shipment.status != ShipmentStatus.CANCELLED.value)
            .group_by(ShipmentLine.order_line_id, Shipment.warehouse_id))
    return {(line_id, wh): int(total or 0) for line_id, wh, total in session.exec(stmt)}


def shipments_of_order(session: Session, order_id: int) -> list[Shipment]:
    stmt = select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
    return list(session.exec(stmt))


def lines_of_shipment(session: Session, shipment_id: int) -> list[ShipmentLine]:
    stmt = select(ShipmentLine).where(ShipmentLine.shipment_id == shipment_id).order_by(
        ShipmentLine.id)
    return list(session.exec(stmt))


def tracking_number_taken(session: Session, carrier_id: int | None, number: str) -> bool:
    stmt = select(Shipment.id).where(Shipment.tracking_number == number,
                                     Shipment.carrier_id == carrier_id)
    return session.exec(stmt).first() is not None


def parcels_by_shipment(session: Session, shipment_ids: Sequence[int]
                        ) -> dict[int, list[ShipmentParcel]]:
    stmt = select(ShipmentParcel).where(
        ShipmentParcel.shipment_id.in_(list(shipment_ids))).order_by(
        ShipmentParcel.shipment_id, ShipmentParcel.id)
    return grouped(session.exec(stmt), "shipment_id")


def replace_parcels(session: Session, shipment_id: int, parcels: Sequence[ShipmentParcel]
                    ) -> None:
    session.execute(delete(ShipmentParcel).where(ShipmentParcel.shipment_id == shipment_id))
    session.add_all(parcels)


def open_exception_of(session: Session, shipment_id: int, type_: str
                      ) -> ShipmentException | None:
    stmt = select(ShipmentException).where(ShipmentException.shipment_id == shipment_id,
                                           ShipmentException.open_key == type_)
    return session.exec(stmt).first()


# The batch path of plain carrier scans (app/shipping/tracking.py apply_scans) ----------

# RETURNING the row's identity rather than sorting by parameter order: SQLite's
# insertmanyvalues can only keep the order row by row, one statement each
_EVENT_KEY = ("shipment_id", "external_id", "status", "occurred_at", "location",
              "description")
_INSERT_EVENTS = insert(TrackingEvent).returning(
    TrackingEvent.id, *(getattr(TrackingEvent, k) for k in _EVENT_KEY))


def latest_event_times(session: Session, shipment_ids: Collection[int]) -> dict[int, datetime]:
    """{shipment id: its newest event's occurred_at} in one statement."""
    if not shipment_ids:
        return {}
    stmt = (select(TrackingEvent.shipment_id, func.max(TrackingEvent.occurred_at))
            .where(TrackingEvent.shipment_id.in_(sorted(shipment_ids)))
            .group_by(TrackingEvent.shipment_id))
    return dict(session.exec(stmt).all())


def events_by_external_ids(session: Session, keys: Collection[tuple[int, str]]
                           ) -> dict[tuple[int, str], int]:
    """{(shipment id, external id): event id} of those already recorded, in one statement."""
    if not keys:
        return {}
    stmt = select(TrackingEvent.id, TrackingEvent.shipment_id, TrackingEvent.external_id).where(
        TrackingEvent.shipment_id.in_(sorted({k[0] for k in keys})),
        TrackingEvent.external_id.in_(sorted({k[1] for k in keys})))
    return {(sid, ext): pk for pk, sid, ext in session.exec(stmt) if (sid, ext) in keys}


def insert_tracking_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """The rows in one INSERT (several VALUES), their ids in the rows' order (rows alike in
    every column but the time recorded are interchangeable)."""
    if not rows:
        return []
    ids: dict[tuple, list[int]] = {}
    for pk, *key in session.execute(_INSERT_EVENTS, list(rows)):
        ids.setdefault(tuple(key), []).append(pk)
    for found in ids.values():
        found.sort(reverse=True)  # popped lowest first
    return [ids[tuple(row[k] for k in _EVENT_KEY)].pop() for row in rows]
