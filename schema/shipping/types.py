"""GraphQL types of carriers, shipments, shipment lines and tracking events."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app.auth.roles import Perm
from app.shipping import models as m
from app.shipping import repository as repo
from app.shipping import service
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.inventory.types import Warehouse
    from schema.orders.types import Order, OrderLine

register_loader("shipments_by_order", repo.shipment_rows_by_order, default=[])
register_loader("tracking_events_by_shipment", repo.tracking_events_by_shipment, default=[])
register_loader("shipment_lines_by_shipment", repo.shipment_lines_by_shipment, default=[])
register_loader("carrier_by_id", repo.carriers_by_ids)
register_relation("Shipment", "order", "order_by_id", "order_id", child="Order")
register_relation("Shipment", "warehouse", "warehouse_by_id", "warehouse_id",
                  child="Warehouse")
register_relation("Shipment", "carrier", "carrier_by_id", "carrier_id")
register_relation("Shipment", "lines", "shipment_lines_by_shipment", "id",
                  child="ShipmentLine", many=True)
register_relation("Shipment", "trackingEvents", "tracking_events_by_shipment",
                  "id", many=True)
register_relation("ShipmentLine", "orderLine", "order_line_by_id",
                  "order_line_id", child="OrderLine")

ShipmentStatus = strawberry.enum(m.ShipmentStatus, name="ShipmentStatus",
                                 description="CREATED -> PICKED_UP -> IN_TRANSIT -> "
                                 "OUT_FOR_DELIVERY -> DELIVERED, with FAILED_ATTEMPT, "
                                 "EXCEPTION, RETURNED_TO_SENDER and CANCELLED.")


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
        return info.context.loaders.one("order_line_by_id", self._order_line_id,
                                        object_type("OrderLine"))

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
        return info.context.loaders.one("order_by_id", self._order_id, object_type("Order"))

    @strawberry.field(description="The warehouse the goods leave from.")
    def warehouse(self, info: strawberry.Info) -> Annotated[
            Warehouse, strawberry.lazy("schema.inventory.types")] | None:
        return info.context.loaders.one("warehouse_by_id", self._warehouse_id,
                                        object_type("Warehouse"))

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


async def fetch_shipment(info: strawberry.Info, pk: int) -> Shipment | None:
    principal = current_principal(info)
    if not principal.can(Perm.SHIPMENTS_READ):
        return None
    row = await run_read(info, service.get_shipment, principal, pk)
    return Shipment.from_row(row) if row else None


async def fetch_carrier(info: strawberry.Info, pk: int) -> Carrier | None:
    if not current_principal(info).can(Perm.SHIPMENTS_READ):
        return None
    row = await info.context.loaders.load("carrier_by_id", pk)
    return Carrier.from_row(row) if row else None


register_node("Shipment", fetch_shipment)
register_node("Carrier", fetch_carrier)
register_types(Shipment, Carrier)
