"""Shipment workflow mutations: create (per warehouse or explicit lines), pack, dispatch,
cancel, tracking events, delivery (docs/architecture.md#shipments). Thin: parse the input,
call one service, map the result."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping import creation, delivery, lifecycle, tracking
from schema.core.errors import UserError, user_errors
from schema.core.writes import run_write
from schema.shipping.types import Shipment, ShipmentStatus, TrackingEvent

_WRITE = ("Requires shipments:write (LOGISTICS, WAREHOUSE for its own warehouses, MANAGER, "
          "ADMIN).")


@strawberry.input(description="Units of one order line to put on the shipment.")
class ShipmentLineInput:
    order_line_id: strawberry.ID
    quantity: int


@strawberry.input(description="One box: weight in kg, sides in cm.")
class ShipmentParcelInput:
    weight_kg: Decimal
    length_cm: Decimal = Decimal("0")
    width_cm: Decimal = Decimal("0")
    height_cm: Decimal = Decimal("0")


@strawberry.input
class ShipmentCreateInput:
    order_id: strawberry.ID
    warehouse_id: strawberry.ID
    lines: list[ShipmentLineInput] | None = strawberry.field(
        default=None, description="Null: everything reserved there and not yet on a shipment.")
    service_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the cheapest service that arrives by the promised "
        "date (see shippingQuotes).")
    tracking_number: str | None = strawberry.field(
        default=None, description="Null: the carrier's next label number.")
    parcels: list[ShipmentParcelInput] | None = None
    ready_at: datetime | None = strawberry.field(
        default=None, description="When it is handed over (cutoffs); null: now.")


@strawberry.input
class TrackingEventInput:
    status: ShipmentStatus  # type: ignore[valid-type]
    occurred_at: datetime
    location: str = ""
    description: str = ""
    external_id: str | None = strawberry.field(default=None,
                                               description="The carrier's event id.")
    problem: str | None = strawberry.field(
        default=None, description="For EXCEPTION: DAMAGED, LOST, ADDRESS_PROBLEM, REFUSED.")
    cod_collected: Decimal | None = None
    signer: str | None = None


@strawberry.input
class ShipmentDeliveryInput:
    signer: str
    proof: str | None = strawberry.field(default=None,
                                         description="A proof-of-delivery reference.")
    delivered_at: datetime | None = None
    cod_collected: Decimal | None = strawberry.field(
        default=None, description="Required when cash was due on delivery.")


@strawberry.type
class ShipmentPayload:
    shipment: Shipment | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ShipmentsPayload:
    shipments: list[Shipment] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TrackingEventPayload:
    shipment: Shipment | None = None
    tracking_event: TrackingEvent | None = None
    duplicate: bool = strawberry.field(default=False, description="The external id was "
                                       "recorded before: nothing changed.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _parcels(items: list[ShipmentParcelInput] | None) -> list[creation.ParcelDraft]:
    return [creation.ParcelDraft(p.weight_kg, p.length_cm, p.width_cm, p.height_cm)
            for p in items or []]


def _draft(i: ShipmentCreateInput) -> creation.ShipmentDraft:
    lines = None if i.lines is None else [
        (parse_id(ln.order_line_id, "OrderLine", ["lines", str(n), "orderLineId"]), ln.quantity)
        for n, ln in enumerate(i.lines)]
    return creation.ShipmentDraft(
        order_id=parse_id(i.order_id, "Order", "orderId"),
        warehouse_id=parse_id(i.warehouse_id, "Warehouse", "warehouseId"), lines=lines,
        service_id=parse_id(i.service_id, "CarrierService", "serviceId") if i.service_id
        else None, tracking_number=i.tracking_number, parcels=_parcels(i.parcels),
        ready_at=i.ready_at)


async def _step(info: strawberry.Info, parse: Callable[[], tuple], fn: Callable[..., Any],
                **kw: Any) -> ShipmentPayload:
    """Parse the ids (a bad one is a user error, like a missing one), run one service."""
    try:
        args = parse()
    except DomainError as exc:
        return ShipmentPayload(user_errors=user_errors(exc))
    row, errors = await run_write(info, fn, *args, **kw)
    return ShipmentPayload(shipment=Shipment.from_row(row) if row else None,
                           user_errors=errors)


def _tz(info: strawberry.Info) -> str:
    return info.context.settings.business_timezone


@strawberry.type
class ShipmentMutation:
    @strawberry.mutation(description="Make a shipment of an order from one warehouse, with "
                         "the service chosen from quotes (see Shipment.carrierChoice) and the "
                         "customer's charge per agreement. " + _WRITE)
    async def shipment_create(self, info: strawberry.Info,
                              input: ShipmentCreateInput) -> ShipmentPayload:
        return await _step(info, lambda: (_draft(input), _tz(info)), creation.create_shipment)

    @strawberry.mutation(description="One shipment per warehouse that still holds reserved "
                         "units of the order. " + _WRITE)
    async def order_create_shipments(self, info: strawberry.Info, order_id: strawberry.ID,
                                     service_id: strawberry.ID | None = None
                                     ) -> ShipmentsPayload:
        try:
            oid = parse_id(order_id, "Order", "orderId")
            sid = parse_id(service_id, "CarrierService", "serviceId") if service_id else None
        except DomainError as exc:
            return ShipmentsPayload(user_errors=user_errors(exc))
        rows, errors = await run_write(info, creation.create_order_shipments, oid, sid,
                                       _tz(info))
        return ShipmentsPayload(shipments=[Shipment.from_row(r) for r in rows or []],
                                user_errors=errors)

    @strawberry.mutation(description="Record the boxes packed (CREATED or PACKED -> PACKED). "
                         + _WRITE)
    async def shipment_pack(self, info: strawberry.Info, id: strawberry.ID,
                            parcels: list[ShipmentParcelInput]) -> ShipmentPayload:
        return await _step(info, lambda: (parse_id(id, "Shipment"), _parcels(parcels)),
                           lifecycle.pack)

    @strawberry.mutation(description="The carrier picked it up: stock leaves the warehouse "
                         "(once), the order becomes PARTIALLY_SHIPPED or SHIPPED. " + _WRITE)
    async def shipment_dispatch(self, info: strawberry.Info, id: strawberry.ID,
                                picked_up_at: datetime | None = None) -> ShipmentPayload:
        return await _step(info, lambda: (parse_id(id, "Shipment"), picked_up_at),
                           lifecycle.dispatch)

    @strawberry.mutation(description="Cancel before pickup; the order keeps its reserved "
                         "stock and no longer owes this parcel's charge. " + _WRITE)
    async def shipment_cancel(self, info: strawberry.Info, id: strawberry.ID,
                              reason: str) -> ShipmentPayload:
        return await _step(info, lambda: (parse_id(id, "Shipment"), reason), lifecycle.cancel)

    @strawberry.mutation(description="Record a carrier scan by hand (carriers post theirs to "
                         "/webhooks/carriers/{code}). " + _WRITE)
    async def tracking_event_record(self, info: strawberry.Info, shipment_id: strawberry.ID,
                                    input: TrackingEventInput) -> TrackingEventPayload:
        try:
            pk = parse_id(shipment_id, "Shipment", "shipmentId")
        except DomainError as exc:
            return TrackingEventPayload(user_errors=user_errors(exc))
        draft = tracking.EventDraft(
            status=input.status.value, occurred_at=input.occurred_at, location=input.location,
            description=input.description, external_id=input.external_id,
            problem=input.problem, cod_collected=input.cod_collected, signer=input.signer)
        done, errors = await run_write(info, tracking.record_event, pk, draft)
        if done is None:
            return TrackingEventPayload(user_errors=errors)
        return TrackingEventPayload(shipment=Shipment.from_row(done.shipment),
                                    tracking_event=TrackingEvent.from_row(done.event),
                                    duplicate=not done.new)

    @strawberry.mutation(description="Record a delivery: who signed, the proof, and the cash "
                         "collected when some was due (a different amount opens a "
                         "COD_MISMATCH exception). " + _WRITE)
    async def shipment_confirm_delivery(self, info: strawberry.Info, id: strawberry.ID,
                                        input: ShipmentDeliveryInput) -> ShipmentPayload:
        return await _step(info, lambda: (parse_id(id, "Shipment"),), delivery.confirm_delivery,
                           signer=input.signer, proof=input.proof,
                           delivered_at=input.delivered_at, cod_collected=input.cod_collected)
