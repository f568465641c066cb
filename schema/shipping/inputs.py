"""Input types of shipments and carriers, and their translation into repository
arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping import repository as repo
from schema.shipping.types import ShipmentStatus

ShipmentSort = strawberry.enum(repo.ShipmentSort, name="ShipmentSort")
CarrierSort = strawberry.enum(repo.CarrierSort, name="CarrierSort")


@strawberry.input(description="All given conditions must hold.")
class ShipmentFilter:
    status: list[ShipmentStatus] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Any of these statuses.")
    warehouse_id: strawberry.ID | None = None
    order_id: strawberry.ID | None = None
    carrier_id: strawberry.ID | None = None
    tracking_number: str | None = strawberry.field(default=None, description="Exact match.")
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input
class CarrierFilter:
    is_active: bool | None = None


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return parse_id(value, type_name, field) if value else None


def filter_from(flt: ShipmentFilter | None) -> repo.ShipmentFilter | None:
    """The repository filter, or None when an ID names nothing (the list is then empty)."""
    if flt is None:
        return repo.ShipmentFilter()
    try:
        ids = {
            "warehouse_id": _optional_id(flt.warehouse_id, "Warehouse", "warehouseId"),
            "order_id": _optional_id(flt.order_id, "Order", "orderId"),
            "carrier_id": _optional_id(flt.carrier_id, "Carrier", "carrierId"),
        }
    except DomainError:  # a malformed or foreign ID matches no shipment
        return None
    # an empty status list is treated like no status condition (a cleared multi-select)
    statuses = tuple(s.value for s in flt.status) if flt.status else None
    return repo.ShipmentFilter(
        statuses=statuses, tracking_number=flt.tracking_number,
        created_after=flt.created_after, created_before=flt.created_before, **ids,
    )
