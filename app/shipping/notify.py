"""The `shipment.status_changed` event every shipment step emits (app/events/topics.py)."""

from __future__ import annotations

from app.events import topics
from app.persistence.columns import utcnow
from app.persistence.uow import UnitOfWork


def emit_status(uow: UnitOfWork, shipment, order, carrier_code: str | None,  # noqa: ANN001
                reason: str | None) -> None:
    uow.emit(topics.SHIPMENT_STATUS_CHANGED, shipment_id=shipment.id, order_id=order.id,
             customer_id=order.customer_id, warehouse_id=shipment.warehouse_id,
             status=shipment.status, tracking_number=shipment.tracking_number,
             carrier=carrier_code, at=utcnow().isoformat(), reason=reason)
