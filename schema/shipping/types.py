"""GraphQL types of carriers with their services and rate rules, shipping quotes,
shipments, shipment lines and tracking events."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.shipping import lifecycle, rates, service
from app.shipping import models as m
from app.shipping import repository as repo
from app.shipping.quoting import QuoteSet
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal, requires
from schema.core.scalars import Money, money
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


@strawberry.type(description="A parcel carrier (SF Express, JD Logistics, ...).")
class Carrier(Node):
    code: str
    name: str
    is_active: bool
    _regions: strawberry.Private[str]
    _pk: strawberry.Private[int]

    @strawberry.field(description="Regions the carrier serves, as its staff describe it "
                      "(quotes go by the rate rules of its services).")
    def regions(self) -> list[str]:
        return [r.strip() for r in self._regions.split(",") if r.strip()]

    @strawberry.field(extensions=requires(Perm.RATES_READ),
                      description="Its services with their rate cards, by code.")
    def services(self, info: strawberry.Info, include_inactive: bool = False
                 ) -> list[CarrierService] | None:
        loaders = info.context.loaders
        return loaders.resolve("services_by_carrier", self._pk, lambda rows: [
            loaders.cached(CarrierService, r) for r in rows if include_inactive or r.is_active])

    @strawberry.field(extensions=requires(Perm.CARRIERS_WRITE),
                      description="Whether a webhook secret is set (the secret itself is "
                      "shown once, by carrierWebhookSecretRotate, and never again).")
    def has_webhook_secret(self, info: strawberry.Info) -> bool | None:
        return info.context.loaders.resolve("webhook_secret_rotated_at", self._pk,
                                            lambda at: at is not False)

    @strawberry.field(extensions=requires(Perm.CARRIERS_WRITE),
                      description="When the webhook secret was last set.")
    def webhook_secret_rotated_at(self, info: strawberry.Info) -> datetime | None:
        return info.context.loaders.resolve("webhook_secret_rotated_at", self._pk,
                                            lambda at: at or None)

    @classmethod
    def from_row(cls, row: m.Carrier) -> Carrier:
        return cls(id=gid("Carrier", row.id), code=row.code, name=row.name,
                   is_active=row.is_active, _regions=row.regions, _pk=row.id)


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
    name: str
    phone: str
    address: str
    region: str


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
            recipient=ShipmentRecipient(name=row.recipient_name, phone=row.recipient_phone,
                                        address=row.recipient_address,
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


async def fetch_carrier(info: strawberry.Info, pk: int) -> Carrier | None:
    if not current_principal(info).can(Perm.SHIPMENTS_READ):
        return None
    row = await info.context.loaders.load("carrier_by_id", pk)
    return Carrier.from_row(row) if row else None


register_node("Shipment", fetch_shipment)
register_node("Carrier", fetch_carrier)
register_types(Shipment, Carrier)


# Carrier services, rate rules and quotes (docs/architecture.md#carriers-and-quotes) ------

register_loader("services_by_carrier", repo.services_by_carrier, default=[])
register_loader("carrier_service_by_id", repo.services_by_ids)
register_loader("rate_rules_by_service", repo.rules_by_service, default=[])
register_loader("rate_rule_by_id", repo.rules_by_ids)
# False: no secret set (None would read as "not loaded" to a to-one relation)
register_loader("webhook_secret_rotated_at", repo.webhook_secret_rotations,
                default=False)
register_relation("Carrier", "services", "services_by_carrier", "id", child="CarrierService",
                  many=True, perm=Perm.RATES_READ)
register_relation("CarrierService", "rateRules", "rate_rules_by_service", "id", many=True)
register_relation("CarrierService", "carrier", "carrier_by_id", "carrier_id")

CarrierServiceLevel = strawberry.enum(m.ServiceLevel, name="CarrierServiceLevel",
                                      description="What a carrier service is for.")
QuoteReasonCode = strawberry.enum(
    rates.ReasonCode, name="QuoteReasonCode",
    description="Why a service's quote is not eligible. TOO_HEAVY, OVERSIZE, NO_COD, "
    "NO_COLD_CHAIN and REGION_NOT_SERVED: it cannot take the parcel; MISSES_PROMISED_DATE "
    "and PAST_CUTOFF (late only because today's cutoff has passed): it arrives after the "
    "order's promised date.")


@strawberry.type(description="Length, width and height in cm.")
class Dimensions:
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal


@strawberry.type(description="A service's price and transit time from one region to "
                 "another; '*' stands for any region. The most specific rule of a lane "
                 "applies (both regions named, then the destination, then the origin).")
class CarrierRateRule(Node):
    origin_region: str
    destination_region: str
    transit_days: int = strawberry.field(description="Calendar days from pickup to delivery.")
    base_fee: Money
    per_kg_fee: Money = strawberry.field(description="Per billable kg.")

    @classmethod
    def from_row(cls, row: Any, currency: str) -> CarrierRateRule:
        """From a rate-rule row or a rates.RateRule (the same attributes)."""
        return cls(id=gid("CarrierRateRule", row.id), origin_region=row.origin_region,
                   destination_region=row.destination_region, transit_days=row.transit_days,
                   base_fee=money(row.base_fee, currency),
                   per_kg_fee=money(row.per_kg_fee, currency))


@strawberry.type(description="One product of a carrier (express, freight, cold chain, ...): "
                 "its limits, daily cutoff, options and rate rules.")
class CarrierService(Node):
    code: str
    name: str
    level: CarrierServiceLevel  # type: ignore[valid-type]
    is_active: bool
    currency: str
    volumetric_divisor: int = strawberry.field(
        description="Billable weight = max(actual kg, length x width x height in cm / this).")
    max_weight_kg: Decimal | None = strawberry.field(description="Null: no limit.")
    max_dimensions: Dimensions | None = strawberry.field(
        description="Null: no limit. An item fits when its sides, longest first, fit these.")
    cutoff_time: time | None = strawberry.field(
        description="Local time (CRM_BUSINESS_TIMEZONE) after which a parcel is picked up "
        "the next day; null: no cutoff.")
    cod_supported: bool = strawberry.field(description="Collects cash on delivery.")
    cod_fee: Money = strawberry.field(description="Added to the price of a COD parcel.")
    cold_chain: bool = strawberry.field(description="Carries refrigerated goods.")
    created_at: datetime
    updated_at: datetime
    _pk: strawberry.Private[int]
    _carrier_id: strawberry.Private[int]

    @strawberry.field
    def carrier(self, info: strawberry.Info) -> Carrier | None:
        return info.context.loaders.one("carrier_by_id", self._carrier_id, Carrier)

    @strawberry.field(description="Its lanes, by origin then destination.")
    def rate_rules(self, info: strawberry.Info) -> list[CarrierRateRule]:
        return info.context.loaders.resolve("rate_rules_by_service", self._pk, lambda rows: [
            CarrierRateRule.from_row(r, self.currency) for r in rows])

    @classmethod
    def from_row(cls, row: Any) -> CarrierService:
        dims = (row.max_length_cm, row.max_width_cm, row.max_height_cm)
        return cls(
            id=gid("CarrierService", row.id), code=row.code, name=row.name, level=row.level,
            is_active=row.is_active, currency=row.currency,
            volumetric_divisor=row.volumetric_divisor, max_weight_kg=row.max_weight_kg,
            max_dimensions=Dimensions(length_cm=dims[0], width_cm=dims[1], height_cm=dims[2])
            if all(d is not None for d in dims) else None,
            cutoff_time=row.cutoff_time, cod_supported=row.cod_supported,
            cod_fee=money(row.cod_fee, row.currency), cold_chain=row.cold_chain,
            created_at=row.created_at, updated_at=row.updated_at, _pk=row.id,
            _carrier_id=row.carrier_id)


async def fetch_carrier_service(info: strawberry.Info, pk: int) -> CarrierService | None:
    if not current_principal(info).can(Perm.RATES_READ):
        return None
    row = await info.context.loaders.load("carrier_service_by_id", pk)
    return CarrierService.from_row(row) if row else None


async def fetch_rate_rule(info: strawberry.Info, pk: int) -> CarrierRateRule | None:
    if not current_principal(info).can(Perm.RATES_READ):
        return None
    row = await info.context.loaders.load("rate_rule_by_id", pk)
    if row is None:
        return None
    service = await info.context.loaders.load("carrier_service_by_id", row.service_id)
    return CarrierRateRule.from_row(row, service.currency)


register_node("CarrierService", fetch_carrier_service)
register_node("CarrierRateRule", fetch_rate_rule)
register_types(CarrierService, CarrierRateRule)


@strawberry.type(description="One reason a quote is not eligible.")
class QuoteReason:
    code: QuoteReasonCode  # type: ignore[valid-type]
    message: str


@strawberry.type(description="What one service would charge for the parcel, when it would "
                 "arrive, and why it is not eligible if it is not.")
class ShippingQuote:
    carrier: Carrier
    service: CarrierService
    price: Money | None = strawberry.field(
        description="Base fee + per-kg fee x billable weight (+ COD fee); null when the "
        "service has no rate for the lane.")
    weight_kg: Decimal = strawberry.field(description="Actual weight of the parcel.")
    volumetric_weight_kg: Decimal
    billable_weight_kg: Decimal = strawberry.field(
        description="The greater of the actual and the volumetric weight.")
    pickup_date: date = strawberry.field(description="Today, or tomorrow past the cutoff.")
    estimated_delivery: date | None
    rate_rule: CarrierRateRule | None = strawberry.field(description="The rule that applied.")
    eligible: bool = strawberry.field(description="No reason at all: it can take the parcel "
                                      "and arrives by the promised date.")
    can_carry: bool = strawberry.field(description="It can take the parcel (late, perhaps).")
    reasons: list[QuoteReason]

    @classmethod
    def build(cls, q: rates.Quote, carrier: m.Carrier, service: m.CarrierService
              ) -> ShippingQuote:
        currency = q.service.currency
        return cls(
            carrier=Carrier.from_row(carrier), service=CarrierService.from_row(service),
            price=money(q.price, currency), weight_kg=q.weight_kg,
            volumetric_weight_kg=q.volumetric_weight_kg, billable_weight_kg=q.billable_weight_kg,
            pickup_date=q.pickup_date, estimated_delivery=q.estimated_delivery,
            rate_rule=CarrierRateRule.from_row(q.rule, currency) if q.rule else None,
            eligible=q.eligible, can_carry=q.can_carry,
            reasons=[QuoteReason(code=r.code, message=r.message) for r in q.reasons])


@strawberry.type(description="Units of one order line in the parcel, with one unit's "
                 "measures.")
class QuoteItem:
    sku: str
    quantity: int
    weight_kg: Decimal
    length_cm: Decimal
    width_cm: Decimal
    height_cm: Decimal
    cold_chain: bool


_ITEM = ("sku", "quantity", "weight_kg", "length_cm", "width_cm", "height_cm", "cold_chain")


@strawberry.type(description="Every active service's quote for what is left to ship of an "
                 "order from a warehouse, and the recommended one.")
class ShippingQuotes:
    origin_region: str = strawberry.field(description="The warehouse's region.")
    destination_region: str = strawberry.field(description="The order's shipping region.")
    promised_date: date | None
    cash_on_delivery: bool
    cold_chain: bool = strawberry.field(description="Some item must travel refrigerated.")
    weight_kg: Decimal
    volume_cm3: Decimal
    ready_at: datetime = strawberry.field(description="When the parcel is handed over, in "
                                          "the business time zone.")
    items: list[QuoteItem]
    quotes: list[ShippingQuote] = strawberry.field(
        description="Most preferable first: eligible ones cheapest first, then late ones "
        "earliest first, then those that cannot take the parcel.")
    recommended: ShippingQuote | None = strawberry.field(
        description="The cheapest eligible service, the named one (serviceId), or the "
        "earliest late one; null when no service can take the parcel.")
    recommendation: str = strawberry.field(description="Why, in words.")
    customer_charge: Money | None = strawberry.field(
        description="What the customer's shipping agreement charges for the recommended "
        "service (free above its threshold, else the carrier's price).")
    customer_charge_reason: str | None

    @classmethod
    def build(cls, qs: QuoteSet) -> ShippingQuotes:
        p, choice, charge = qs.parcel, qs.choice, qs.charge
        ordered = ([choice.quote] if choice.quote else []) + list(choice.alternatives)
        quotes = [ShippingQuote.build(q, qs.carriers[q.service.carrier_id],
                                      qs.services[q.service.id]) for q in ordered]
        return cls(
            origin_region=p.origin_region, destination_region=p.destination_region,
            promised_date=p.promised_date, cash_on_delivery=p.cash_on_delivery,
            cold_chain=p.cold_chain, weight_kg=p.weight_kg, volume_cm3=p.volume_cm3,
            ready_at=qs.ready_at, items=[QuoteItem(**{f: getattr(i, f) for f in _ITEM})
                                         for i in p.items],
            quotes=quotes, recommended=quotes[0] if choice.quote else None,
            recommendation=choice.reason,
            customer_charge=money(charge.amount, quotes[0].service.currency) if charge else None,
            customer_charge_reason=charge.reason if charge else None)
