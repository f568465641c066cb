"""Opening a delivery exception: one open exception per parcel and type (a repeated event
or check finds the open one), its severity and SLA due time by type, and the
`shipment.exception_opened` event staff subscribe to
(docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.events import topics
from app.orders.models import Order
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork, snapshot
from app.shipping import repository as repo
from app.shipping.models import (
    ExceptionSeverity,
    ExceptionSource,
    ExceptionStatus,
    ExceptionType,
    Shipment,
    ShipmentException,
)

T, SEV = ExceptionType, ExceptionSeverity
# how bad each type is by default, and how long customer service has to act on it
SEVERITY: dict[str, str] = {
    T.FAILED_ATTEMPT: SEV.MEDIUM, T.DAMAGED: SEV.HIGH, T.LOST: SEV.CRITICAL,
    T.ADDRESS_PROBLEM: SEV.MEDIUM, T.REFUSED: SEV.HIGH, T.DELAYED: SEV.MEDIUM,
    T.COD_MISMATCH: SEV.HIGH, T.OTHER: SEV.LOW,
}
SLA_HOURS: dict[str, int] = {SEV.CRITICAL: 4, SEV.HIGH: 8, SEV.MEDIUM: 24, SEV.LOW: 72}


def open_exception(uow: UnitOfWork, shipment: Shipment, type_: str, source: str,
                   description: str, *, severity: str | None = None,
                   tracking_event_id: int | None = None, at: datetime | None = None
                   ) -> tuple[ShipmentException, bool]:
    """The open exception of this type on the parcel, opened now if there is none;
    `(exception, opened)`."""
    found = repo.open_exception_of(uow.session, shipment.id, type_)
    if found is not None:
        return found, False
    severity = severity or SEVERITY.get(type_, SEV.MEDIUM)
    opened_at = at or utcnow()
    row = ShipmentException(
        shipment_id=shipment.id, order_id=shipment.order_id, type=type_, severity=severity,
        status=ExceptionStatus.OPEN.value, source=source, description=description[:400],
        open_key=type_, opened_at=opened_at,
        sla_due_at=opened_at + timedelta(hours=SLA_HOURS[severity]),
        tracking_event_id=tracking_event_id)
    uow.session.add(row)
    uow.session.flush()
    uow.audit("shipment_exception.open", "ShipmentException", row.id, after=snapshot(row))
    # the order's customer: a CUSTOMER's or CONSIGNOR's subscription is scoped by it
    # (schema/subscriptions/access.py); usually in the session already
    order = uow.session.get(Order, shipment.order_id)
    uow.emit(topics.SHIPMENT_EXCEPTION_OPENED, exception_id=row.id, shipment_id=shipment.id,
             order_id=shipment.order_id, warehouse_id=shipment.warehouse_id,
             customer_id=order.customer_id if order is not None else None, type=type_,
             severity=severity, source=source, at=opened_at.isoformat())
    return row, True


# carrier event status (and the carrier's problem code) -> exception type
def type_for_event(status: str, problem: str | None) -> str | None:
    if status == "FAILED_ATTEMPT":
        return T.FAILED_ATTEMPT.value
    if status == "EXCEPTION":
        return problem if problem in T.__members__ else T.OTHER.value
    return None


EVENT_SOURCE = ExceptionSource.EVENT.value
