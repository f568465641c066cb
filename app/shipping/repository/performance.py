"""SQL for delivery performance: the facts of the shipments shipped in a period, with the
row scope, and the names of their groups; the shipments at risk of arriving after their
promised date (docs/architecture.md#delivery-performance)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.inventory.models import Warehouse
from app.persistence.repository import Page, PageRequest, paginate
from app.shipping.models import (
    Carrier,
    CarrierService,
    Shipment,
    ShipmentException,
    ShipmentStatus,
)
from app.shipping.repository.shipments import scope


class PerformanceGroup(StrEnum):
    CARRIER = "CARRIER"
    SERVICE = "SERVICE"
    WAREHOUSE = "WAREHOUSE"
    REGION = "REGION"  # the recipient's region, as it was when the shipment was made


_KEYS = {
    PerformanceGroup.CARRIER: Shipment.carrier_id,
    PerformanceGroup.SERVICE: Shipment.service_id,
    PerformanceGroup.WAREHOUSE: Shipment.warehouse_id,
    PerformanceGroup.REGION: Shipment.recipient_region,
}
# parcels whose delivery can still be late: not delivered, returned or cancelled
_SETTLED = (ShipmentStatus.DELIVERED.value, ShipmentStatus.RETURNED_TO_SENDER.value,
            ShipmentStatus.CANCELLED.value)


def shipped_facts(session: Session, principal: Principal, group: PerformanceGroup,
                  start: datetime, end: datetime) -> list[Any]:
    """One row per shipment the principal may see that was shipped (picked up) in
    [start, end): its group key, times, dates, failed attempts, cost, billable weight, its
    service's currency and whether it ever had a delivery exception. One statement."""
    had_exception = exists().where(ShipmentException.shipment_id == Shipment.id)
    stmt = (select(_KEYS[group].label("key"), Shipment.shipped_at, Shipment.delivered_at,
                   Shipment.promised_date, Shipment.estimated_delivery,
                   Shipment.failed_attempts, Shipment.cost, Shipment.billable_weight_kg,
                   CarrierService.currency, had_exception.label("had_exception"))
            .outerjoin(CarrierService, CarrierService.id == Shipment.service_id)
            .where(Shipment.shipped_at >= start, Shipment.shipped_at < end))
    return list(session.exec(scope(stmt, principal)).all())


def group_names(session: Session, group: PerformanceGroup, keys: Iterable[Any]
                ) -> dict[Any, tuple[str, str]]:
    """{key: (code, name)} of carriers, services (named with their carrier) or warehouses;
    regions name themselves (no statement)."""
    ids = sorted(k for k in keys if k is not None)
    if group is PerformanceGroup.REGION or not ids:
        return {}
    if group is PerformanceGroup.SERVICE:
        stmt = (select(CarrierService.id, CarrierService.code, Carrier.name,
                       CarrierService.name)
                .join(Carrier, Carrier.id == CarrierService.carrier_id)
                .where(CarrierService.id.in_(ids)))
        return {pk: (code, f"{carrier} {name}")
                for pk, code, carrier, name in session.exec(stmt).all()}
    table = Carrier if group is PerformanceGroup.CARRIER else Warehouse
    stmt = select(table.id, table.code, table.name).where(table.id.in_(ids))
    return {pk: (code, name) for pk, code, name in session.exec(stmt).all()}


def at_risk(session: Session, principal: Principal, page: PageRequest) -> Page[Shipment]:
    """Shipments on their way (or not yet picked up) whose carrier estimate is later than
    the date promised to the customer, the oldest promise first."""
    stmt = scope(select(Shipment).where(Shipment.status.not_in(_SETTLED),
                                        Shipment.estimated_delivery > Shipment.promised_date),
                 principal)
    return paginate(session, stmt, [(Shipment.promised_date, False)], page, Shipment.id)
