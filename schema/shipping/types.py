"""GraphQL types of carriers, shipments, shipment lines and tracking events."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.shipping import models as m
from app.shipping.repository import CarrierSort as _CarrierSort
from app.shipping.repository import ShipmentSort as _ShipmentSort
from schema.core.node import Node, gid

if TYPE_CHECKING:
    from schema.inventory.types import Warehouse
    from schema.orders.types import Order, OrderLine

ShipmentStatus = strawberry.enum(m.ShipmentStatus, name="ShipmentStatus",
                                 description="CREATED -> PICKED_UP -> IN_TRANSIT -> "
                                 "OUT_FOR_DELIVERY -> DELIVERED, with FAILED_ATTEMPT, "
                                 "EXCEPTION, RETURNED_TO_SENDER and CANCELLED.")
ShipmentSort = strawberry.enum(_ShipmentSort, name="ShipmentSort")
CarrierSort = strawberry.enum(_CarrierSort, name="CarrierSort")


@strawberry.type(description="A parcel carrier (SF Express, JD Logistics, ...).")
class Carrier(Node):
    code: str
    name: str
    is_active: bool
    _regions: strawberry.Private[str]

    @strawberry.field(description="Regions the carrier serves.")
    def regions(self) -> list[str]:
        return [r.strip() for r in self._regions.split(",") if r.strip()]

    @classmethod
    def from_row(cls, row: m.Carrier) -> Carrier:
        return cls(id=gid("Carrier", row.id), code=row.code, name=row.name,
                   is_active=row.is_active, _regions=row.regions)


@strawberry.type(description="One carrier scan: where the parcel was, and when.")
class TrackingEvent:
    status: ShipmentStatus  # type: ignore[valid-type]
    location: str
    description: str
    occurred_at: datetime

    @classmethod
    def from_row(cls, row: m.TrackingEvent) -> TrackingEvent:
        return cls(status=row.status, location=row.location, description=row.description,
                   occurred_at=row.occurred_at)


@strawberry.type(description="A quantity of one order line in a shipment.")
class ShipmentLine:
    quantity: int
    _order_line_id: strawberry.Private[int]

    @strawberry.field(description="The order line shipped.")
    def order_line(self, info: strawberry.Info) -> Annotated[
            OrderLine, strawberry.lazy("schema.orders.types")] | None:
        from schema.orders.types import OrderLine
        return info.context.loaders.one("order_line_by_id", self._order_line_id, OrderLine)

    @classmethod
    def from_row(cls, row: m.ShipmentLine) -> ShipmentLine:
        return cls(quantity=row.quantity, _order_line_id=row.order_line_id)


@strawberry.type(description="Goods of one order leaving one warehouse with one carrier.")
class Shipment(Node):
    number: str
    tracking_number: str | None
    status: ShipmentStatus  # type: ignore[valid-type]
    exception_reason: str | None
    estimated_delivery: date | None
    created_at: datetime
    updated_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    version: int
    _pk: strawberry.Private[int]
    _order_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _carrier_id: strawberry.Private[int | None]

    @strawberry.field(description="The order this shipment belongs to.")
    def order(self, info: strawberry.Info) -> Annotated[
            Order, strawberry.lazy("schema.orders.types")] | None:
        from schema.orders.types import Order
        return info.context.loaders.one("order_by_id", self._order_id, Order)

    @strawberry.field(description="The warehouse the goods leave from.")
    def warehouse(self, info: strawberry.Info) -> Annotated[
            Warehouse, strawberry.lazy("schema.inventory.types")] | None:
        from schema.inventory.types import Warehouse
        return info.context.loaders.one("warehouse_by_id", self._warehouse_id, Warehouse)

    @strawberry.field
    def carrier(self, info: strawberry.Info) -> Carrier | None:
        return info.context.loaders.one("carrier_by_id", self._carrier_id, Carrier)

    @strawberry.field(description="What is in the parcel.")
    def lines(self, info: strawberry.Info) -> list[ShipmentLine]:
        return info.context.loaders.resolve(
            "shipment_lines_by_shipment", self._pk,
            lambda rows: [ShipmentLine.from_row(r) for r in rows])

    @strawberry.field(description="Carrier scans, oldest first.")
    def tracking_events(self, info: strawberry.Info) -> list[TrackingEvent]:
        return info.context.loaders.resolve(
            "tracking_events_by_shipment", self._pk,
            lambda rows: [TrackingEvent.from_row(r) for r in rows])

    @classmethod
    def from_row(cls, row: m.Shipment) -> Shipment:
        return cls(
            id=gid("Shipment", row.id), number=row.number, tracking_number=row.tracking_number,
            status=row.status, exception_reason=row.exception_reason,
            estimated_delivery=row.estimated_delivery, created_at=row.created_at,
            updated_at=row.updated_at, shipped_at=row.shipped_at, delivered_at=row.delivered_at,
            version=row.version, _pk=row.id, _order_id=row.order_id,
            _warehouse_id=row.warehouse_id, _carrier_id=row.carrier_id,
        )


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
