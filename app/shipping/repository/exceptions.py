"""SQL for delivery exceptions and their notes, the late and failed-delivery shipments the
exception work reads, with the row scope of the shipment applied
(docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import and_, exists, null, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.orders.models import Order
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    grouped,
    one_of,
    paginate,
    sort_table,
    where,
)
from app.shipping.models import (
    ExceptionType,
    Shipment,
    ShipmentException,
    ShipmentExceptionNote,
    ShipmentStatus,
    TrackingEvent,
)
from app.shipping.repository import shipments

S = ShipmentStatus
# with the carrier and not delivered: what the delay check looks at
AWAITING_DELIVERY = (S.PICKED_UP.value, S.IN_TRANSIT.value, S.OUT_FOR_DELIVERY.value,
                     S.FAILED_ATTEMPT.value)
# no follow-up once a parcel is delivered, back at the sender or cancelled
SETTLED = (S.DELIVERED.value, S.RETURNED_TO_SENDER.value, S.CANCELLED.value)


class ExceptionSort(StrEnum):
    OPENED_AT_ASC = "OPENED_AT_ASC"  # oldest first: the queue's default
    OPENED_AT_DESC = "OPENED_AT_DESC"
    SLA_DUE_AT_ASC = "SLA_DUE_AT_ASC"  # most urgent first
    SLA_DUE_AT_DESC = "SLA_DUE_AT_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


_SORTS = sort_table(ExceptionSort, {
    "OPENED_AT": ShipmentException.opened_at, "SLA_DUE_AT": ShipmentException.sla_due_at,
    "UPDATED_AT": ShipmentException.updated_at,
})


class FailedDeliverySort(StrEnum):
    SHIPPED_AT_ASC = "SHIPPED_AT_ASC"  # longest on the way first: the list's default
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


_FAILED_SORTS = sort_table(FailedDeliverySort, {
    "SHIPPED_AT": Shipment.shipped_at, "UPDATED_AT": Shipment.updated_at,
})


@dataclass(frozen=True)
class ExceptionFilter:
    statuses: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    severities: tuple[str, ...] | None = None
    assignee_id: int | None = None
    unassigned: bool = False  # only those without an assignee
    shipment_id: int | None = None
    sla_breached: bool | None = None


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Restrict a select over ShipmentException to exceptions of shipments the principal
    sees (WAREHOUSE: leaving its warehouses; SALES: of its customers' orders). Customers
    hold no exceptions permission; should one get here, it sees its own parcels' only."""
    if principal.customer_scope is None and principal.owner_scope is None \
            and principal.warehouse_scope is None:
        return stmt
    visible = shipments.scope(select(Shipment.id), principal)
    return stmt.where(ShipmentException.shipment_id.in_(visible))


def _breach(flag: bool | None, now: datetime):  # noqa: ANN202
    """Past its SLA (True): still open after the due time, or resolved after it; within it
    (False) otherwise. Spelled out both ways: NOT of the first would be NULL, not true, for
    an open exception (resolved_at NULL)."""
    if flag is None:
        return None
    e = ShipmentException
    if flag:
        return or_(and_(e.resolved_at.is_(None), e.sla_due_at < now),
                   and_(e.resolved_at.is_not(None), e.resolved_at > e.sla_due_at))
    return or_(and_(e.resolved_at.is_(None), e.sla_due_at >= now),
               and_(e.resolved_at.is_not(None), e.resolved_at <= e.sla_due_at))


def list_exceptions(session: Session, principal: Principal, flt: ExceptionFilter,
                    sort: ExceptionSort, page: PageRequest, now: datetime
                    ) -> Page[ShipmentException]:
    stmt = where(scope(select(ShipmentException), principal),
                 one_of(ShipmentException.status, flt.statuses),
                 one_of(ShipmentException.type, flt.types),
                 one_of(ShipmentException.severity, flt.severities),
                 equal(ShipmentException.assignee_id, flt.assignee_id),
                 ShipmentException.assignee_id.is_(None) if flt.unassigned else None,
                 equal(ShipmentException.shipment_id, flt.shipment_id),
                 _breach(flt.sla_breached, now))
    return paginate(session, stmt, _SORTS[sort], page, ShipmentException.id)


def get_visible_exception(session: Session, principal: Principal, exception_id: int
                          ) -> ShipmentException | None:
    stmt = scope(select(ShipmentException).where(ShipmentException.id == exception_id),
                 principal)
    return session.exec(stmt).first()


def lock_exception(session: Session, principal: Principal, exception_id: int
                   ) -> ShipmentException | None:
    """The exception if the principal may see it, locked for the unit of work (PostgreSQL;
    SQLite's single writer already serializes)."""
    stmt = scope(select(ShipmentException).where(ShipmentException.id == exception_id),
                 principal)
    return session.exec(stmt.with_for_update(of=ShipmentException)).first()


def reship_of(session: Session, shipment_id: int) -> Shipment | None:
    """The shipment sent again in place of this one, if any."""
    stmt = select(Shipment).where(Shipment.reship_of_id == shipment_id).order_by(Shipment.id)
    return session.exec(stmt).first()


def late_shipments(session: Session, today: date, limit: int) -> list[Shipment]:
    """Shipments with the carrier whose estimated delivery is before `today` and whose
    lateness nobody has raised yet, locked (PostgreSQL), oldest estimate first.

    Raised: a DELAYED exception still open, or one opened on or after the estimated date
    (resolved by staff, it is not opened again for the same date; a new estimate, e.g. a
    redelivery, can be late again). The comparison of a timestamp with a date reads the
    date as its midnight on both databases: PostgreSQL promotes the date, and SQLite
    compares the stored texts 'YYYY-MM-DD HH:MM:SS...' and 'YYYY-MM-DD'."""
    raised = exists().where(
        ShipmentException.shipment_id == Shipment.id,
        ShipmentException.type == ExceptionType.DELAYED.value,
        or_(ShipmentException.open_key.is_not(None),
            ShipmentException.opened_at >= Shipment.estimated_delivery))
    stmt = (select(Shipment)
            .where(Shipment.status.in_(AWAITING_DELIVERY),
                   Shipment.estimated_delivery.is_not(None),
                   Shipment.estimated_delivery < today, ~raised)
            .order_by(Shipment.estimated_delivery, Shipment.id).limit(limit))
    return list(session.exec(stmt.with_for_update(of=Shipment)))


def list_failed_deliveries(session: Session, principal: Principal, sort: FailedDeliverySort,
                           page: PageRequest) -> Page[Shipment]:
    """Shipments with at least one failed delivery attempt and not delivered, back at the
    sender or cancelled: the follow-up list."""
    stmt = scope_failed(select(Shipment), principal)
    return paginate(session, stmt, _FAILED_SORTS[sort], page, Shipment.id)


def scope_failed(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """Shipments the principal sees with a failed attempt, not settled: failedDeliveries."""
    return shipments.scope(stmt, principal).where(
        Shipment.failed_attempts > 0, Shipment.status.not_in(SETTLED))


def customer_keys():  # noqa: ANN201
    """(exception id, its customer, None): an exception's customer is its shipment's
    order's (the delta sync's keys, app/sync/entities.py)."""
    return (select(ShipmentException.id, Order.customer_id, null())
            .join(Shipment, Shipment.id == ShipmentException.shipment_id)
            .join(Order, Order.id == Shipment.order_id))


# Batched fetches for dataloaders: one statement per batch of keys ----------------

def exceptions_by_ids(session: Session, ids: Sequence[int]) -> dict[int, ShipmentException]:
    stmt = select(ShipmentException).where(ShipmentException.id.in_(list(ids)))
    return {row.id: row for row in session.exec(stmt)}


def exceptions_by_shipment(session: Session, shipment_ids: Sequence[int]
                           ) -> dict[int, list[ShipmentException]]:
    """Every exception of each shipment, oldest first."""
    stmt = select(ShipmentException).where(
        ShipmentException.shipment_id.in_(list(shipment_ids))).order_by(
        ShipmentException.shipment_id, ShipmentException.opened_at, ShipmentException.id)
    return grouped(session.exec(stmt), "shipment_id")


def open_exceptions_by_shipment(session: Session, shipment_ids: Sequence[int]
                                ) -> dict[int, list[ShipmentException]]:
    stmt = select(ShipmentException).where(
        ShipmentException.shipment_id.in_(list(shipment_ids)),
        ShipmentException.open_key.is_not(None)).order_by(
        ShipmentException.shipment_id, ShipmentException.opened_at, ShipmentException.id)
    return grouped(session.exec(stmt), "shipment_id")


def notes_by_exception(session: Session, exception_ids: Sequence[int]
                       ) -> dict[int, list[ShipmentExceptionNote]]:
    stmt = select(ShipmentExceptionNote).where(
        ShipmentExceptionNote.exception_id.in_(list(exception_ids))).order_by(
        ShipmentExceptionNote.exception_id, ShipmentExceptionNote.created_at,
        ShipmentExceptionNote.id)
    return grouped(session.exec(stmt), "exception_id")


def last_failed_attempts(session: Session, shipment_ids: Sequence[int]
                         ) -> dict[int, TrackingEvent]:
    """The newest FAILED_ATTEMPT event of each shipment."""
    stmt = select(TrackingEvent).where(
        TrackingEvent.shipment_id.in_(list(shipment_ids)),
        TrackingEvent.status == S.FAILED_ATTEMPT.value).order_by(
        TrackingEvent.shipment_id, TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())
    out: dict[int, TrackingEvent] = {}
    for row in session.exec(stmt):
        out.setdefault(row.shipment_id, row)
    return out
