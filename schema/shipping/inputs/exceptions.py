"""The exception queue's filter and sorts, and their translation into repository arguments
(global IDs decoded here)."""

from __future__ import annotations

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping import repository as repo
from app.shipping.models import ExceptionStatus
from schema.shipping.types.exceptions import (
    ShipmentExceptionSeverity,
    ShipmentExceptionStatus,
    ShipmentExceptionType,
)

ShipmentExceptionSort = strawberry.enum(
    repo.ExceptionSort, name="ShipmentExceptionSort",
    description="OPENED_AT_ASC: oldest first (the queue's default); SLA_DUE_AT_ASC: the "
    "nearest (or most overdue) SLA first.")
FailedDeliverySort = strawberry.enum(
    repo.FailedDeliverySort, name="FailedDeliverySort",
    description="SHIPPED_AT_ASC: longest with the carrier first (the default).")


def _open() -> list[ExceptionStatus]:
    return [ExceptionStatus.OPEN]


@strawberry.input(description="All given conditions must hold.")
class ShipmentExceptionFilter:
    status: list[ShipmentExceptionStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default_factory=_open, description="Any of these statuses; default OPEN (the queue), "
        "null or [] for any.")
    type: list[ShipmentExceptionType] | None = None  # type: ignore[valid-type]
    severity: list[ShipmentExceptionSeverity] | None = None  # type: ignore[valid-type]
    assignee_id: strawberry.ID | None = None
    unassigned: bool | None = strawberry.field(default=None,
                                               description="true: only those nobody works.")
    sla_breached: bool | None = strawberry.field(
        default=None, description="true: past their SLA (open past slaDueAt, or resolved "
        "after it); false: within it.")
    shipment_id: strawberry.ID | None = None


def _values(items: list | None) -> tuple[str, ...] | None:
    # an empty list is treated like no condition (a cleared multi-select)
    return tuple(i.value for i in items) if items else None


def filter_from(flt: ShipmentExceptionFilter | None) -> repo.ExceptionFilter | None:
    """The repository filter, or None when an ID names nothing (the list is then empty)."""
    if flt is None:
        return repo.ExceptionFilter(statuses=(ExceptionStatus.OPEN.value,))
    try:
        assignee = parse_id(flt.assignee_id, "User", "assigneeId") if flt.assignee_id else None
        shipment = parse_id(flt.shipment_id, "Shipment", "shipmentId") if flt.shipment_id \
            else None
    except DomainError:  # a malformed or foreign ID matches no exception
        return None
    return repo.ExceptionFilter(
        statuses=_values(flt.status), types=_values(flt.type), severities=_values(flt.severity),
        assignee_id=assignee, unassigned=bool(flt.unassigned), shipment_id=shipment,
        sla_breached=flt.sla_breached)
