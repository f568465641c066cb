"""GraphQL types of shipping quotes (docs/architecture.md#carriers-and-quotes)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import strawberry

from app.shipping import models as m
from app.shipping import rates
from app.shipping.quoting import QuoteSet
from schema.core.scalars import Money, money

if TYPE_CHECKING:
    pass
from schema.shipping.types.carriers import (
    Carrier,
    CarrierRateRule,
    CarrierService,
    QuoteReasonCode,
)


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
