"""GraphQL types of shipments, their lines, parcels and tracking events
(docs/architecture.md#shipments)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.shipping import lifecycle, service
from app.shipping import models as m
from app.shipping import repository as repo
from schema.core.guards import SHIP_TO_RULE, ship_to_value
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires, visibility
from schema.core.scalars import Money, money
from schema.core.writes import run_read
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    from schema.inventory.types import Warehouse
    from schema.orders.types import Order, OrderLine
    from schema.shipping.types.exceptions import ShipmentException
from schema.shipping.types.carriers import Carrier, CarrierService, QuoteReasonCode

register_loader("shipments_by_order", repo.shipment_rows_by_order, default=[])
register_loader("tracking_events_by_shipment", repo.tracking_events_by_shipment, default=[])
register_loader("shipment_lines_by_shipment", repo.shipment_lines_by_shipment, default=[])
register_loader("parcels_by_shipment", repo.parcels_by_shipment, default=[])
register_relation("Shipment", "order", "order_by_id", "order_id", child="Order")
register_relation("Shipment", "warehouse", "warehouse_by_id", "warehouse_id",
                  child="Warehouse")
register_relation("Shipment", "carrier", "carrier_by_id", "carrier_id")
register_relation("Shipment", "lines", "shipment_lines_by_shipment", "id",
                  child="ShipmentLine", many=True)
register_relation("Shipment", "trackingEvents", "tracking_events_by_shipment",
                  "id", many=True)
register_relation("Shipment", "parcels", "parcels_by_shipment", "id", many=True)
register_relation("ShipmentLine", "orderLine", "order_line_by_id",
                  "order_line_id", child="OrderLine")

ShipmentStatus = strawberry.enum(m.ShipmentStatus, name="ShipmentStatus",
                                 description="CREATED -> PICKED_UP -> IN_TRANSIT -> "
                                 "OUT_FOR_DELIVERY -> DELIVERED, with FAILED_ATTEMPT, "
                                 "EXCEPTION, RETURNED_TO_SENDER and CANCELLED.")



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


ShipmentActionName = strawberry.enum(lifecycle.ShipmentAction, name="ShipmentAction",
                                     description="A step of a shipment's workflow.")


@strawberry.type(description="Whether the caller may take an action now, and why not.")
class ShipmentActionState:
    action: ShipmentActionName  # type: ignore[valid-type]
    allowed: bool
    reason: str | None


@strawberry.type(description="One box as packed.")
class ShipmentParcel:
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


@strawberry.type(description="Who the parcel goes to, as the order said when it was made.")
class ShipmentRecipient:
    region: str
    # the order's ship-to rule (docs/architecture.md#permissions): shippers see them,
    # ANALYST masked; every other role that reads shipments sees contact data in full
    _name: strawberry.Private[str]
    _phone: strawberry.Private[str]
    _address: strawberry.Private[str]

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def name(self, info: strawberry.Info) -> str:
        return ship_to_value(info, self._name)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def phone(self, info: strawberry.Info) -> str:
        return ship_to_value(info, self._phone)

    @strawberry.field(description=SHIP_TO_RULE, directives=visibility(SHIP_TO_RULE))
    def address(self, info: strawberry.Info) -> str:
        return ship_to_value(info, self._address)


@strawberry.type(description="A service considered for a shipment, as quoted then.")
class CarrierChoiceOption:
    service_id: strawberry.ID
    carrier_id: strawberry.ID
    service_code: str
    service_name: str
    price: Decimal | None
    estimated_delivery: date | None
    eligible: bool
    reasons: list[QuoteReasonCode]  # type: ignore[valid-type]

    @classmethod
    def build(cls, d: dict[str, Any]) -> CarrierChoiceOption:
        return cls(service_id=gid("CarrierService", d["serviceId"]),
                   carrier_id=gid("Carrier", d["carrierId"]), service_code=d["serviceCode"],
                   service_name=d["serviceName"],
                   price=Decimal(d["price"]) if d.get("price") is not None else None,
                   estimated_delivery=date.fromisoformat(d["estimatedDelivery"])
                   if d.get("estimatedDelivery") else None,
                   eligible=d["eligible"], reasons=list(d.get("reasons") or []))


@strawberry.type(description="Why the shipment goes with its service, and the alternatives "
                 "that were considered (most preferable first).")
class CarrierChoice:
    reason: str
    chosen: CarrierChoiceOption | None
    alternatives: list[CarrierChoiceOption]


@strawberry.type(description="Goods of one order leaving one warehouse with one carrier.")
class Shipment(Node):
    number: str
    tracking_number: str | None
    status: ShipmentStatus  # type: ignore[valid-type]
    exception_reason: str | None
    estimated_delivery: date | None = strawberry.field(
        description="The carrier's estimate (from its rate card when the shipment was made).")
    promised_date: date | None = strawberry.field(description="What the order promised.")
    created_at: datetime
    updated_at: datetime
    packed_at: datetime | None
    shipped_at: datetime | None = strawberry.field(description="Picked up by the carrier.")
    delivered_at: datetime | None
    accepted_at: datetime | None = strawberry.field(description="Accepted by the customer.")
    cancelled_at: datetime | None
    failed_attempts: int
    charge: Money = strawberry.field(description="What the customer pays for this parcel's "
                                     "shipping, per the customer's agreement.")
    cod_amount: Money = strawberry.field(description="Cash to collect on delivery (0: none).")
    cod_collected: Money | None = strawberry.field(description="Cash the courier collected.")
    cod_collected_at: datetime | None
    recipient: ShipmentRecipient
    delivery_signer: str | None
    delivery_proof: str | None
    version: int
    _pk: strawberry.Private[int]
    _order_id: strawberry.Private[int]
    _warehouse_id: strawberry.Private[int]
    _carrier_id: strawberry.Private[int | None]
    _row: strawberry.Private[Any]

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

    @strawberry.field(extensions=requires(Perm.RATES_READ),
                      description="The carrier service it goes with.")
    def service(self, info: strawberry.Info) -> CarrierService | None:
        sid = self._row.service_id
        return None if sid is None else info.context.loaders.one(
            "carrier_service_by_id", sid, CarrierService)

    @strawberry.field(extensions=requires(Perm.RATES_READ),
                      description="What the carrier charges us for it.")
    def cost(self) -> Money | None:
        return money(self._row.cost, self._row.currency)

    @strawberry.field(extensions=requires(Perm.RATES_READ))
    def billable_weight_kg(self) -> Decimal | None:
        return self._row.billable_weight_kg

    @strawberry.field(extensions=requires(Perm.RATES_READ),
                      description="Why this service, and what else was considered.")
    def carrier_choice(self) -> CarrierChoice | None:
        d = self._row.carrier_choice
        if not d:
            return None
        return CarrierChoice(
            reason=d["reason"],
            chosen=CarrierChoiceOption.build(d["chosen"]) if d.get("chosen") else None,
            alternatives=[CarrierChoiceOption.build(a) for a in d.get("alternatives", [])])

    @strawberry.field(description="The boxes, as packed.")
    def parcels(self, info: strawberry.Info) -> list[ShipmentParcel]:
        return info.context.loaders.resolve("parcels_by_shipment", self._pk, lambda rows: [
            ShipmentParcel(weight_kg=r.weight_kg, length_cm=r.length_cm, width_cm=r.width_cm,
                           height_cm=r.height_cm) for r in rows])

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

    @strawberry.field(extensions=requires(Perm.EXCEPTIONS_READ),
                      description="Its delivery exceptions, open and resolved, oldest first "
                      "(docs/architecture.md#delivery-exceptions).")
    def exceptions(self, info: strawberry.Info) -> list[Annotated[
            ShipmentException, strawberry.lazy("schema.shipping.types.exceptions")]] | None:
        loaders = info.context.loaders
        return loaders.resolve("exceptions_by_shipment", self._pk, lambda rows: [
            loaders.cached(object_type("ShipmentException"), r) for r in rows])

    @strawberry.field(description="Every workflow action, whether you may take it now, and "
                      "why not.")
    def available_actions(self, info: strawberry.Info) -> list[ShipmentActionState]:
        return [ShipmentActionState(action=a.action, allowed=a.allowed, reason=a.reason)
                for a in lifecycle.available_actions(current_principal(info), self._row)]

    @classmethod
    def from_row(cls, row: m.Shipment) -> Shipment:
        cur = row.currency
        return cls(
            id=gid("Shipment", row.id), number=row.number, tracking_number=row.tracking_number,
            status=row.status, exception_reason=row.exception_reason,
            estimated_delivery=row.estimated_delivery, promised_date=row.promised_date,
            created_at=row.created_at, updated_at=row.updated_at, packed_at=row.packed_at,
            shipped_at=row.shipped_at, delivered_at=row.delivered_at,
            accepted_at=row.accepted_at, cancelled_at=row.cancelled_at,
            failed_attempts=row.failed_attempts, charge=money(row.charge, cur),
            cod_amount=money(row.cod_amount, cur),
            cod_collected=money(row.cod_collected, cur) if row.cod_collected is not None
            else None, cod_collected_at=row.cod_collected_at,
            recipient=ShipmentRecipient(_name=row.recipient_name, _phone=row.recipient_phone,
                                        _address=row.recipient_address,
                                        region=row.recipient_region),
            delivery_signer=row.delivery_signer, delivery_proof=row.delivery_proof,
            version=row.version, _pk=row.id, _order_id=row.order_id,
            _warehouse_id=row.warehouse_id, _carrier_id=row.carrier_id, _row=row,
        )


async def fetch_shipment(info: strawberry.Info, pk: int) -> Shipment | None:
    principal = current_principal(info)
    if not principal.can(Perm.SHIPMENTS_READ):
        return None
    row = await run_read(info, service.get_shipment, principal, pk)
    return Shipment.from_row(row) if row else None


register_node("Shipment", fetch_shipment)
register_types(Shipment)
