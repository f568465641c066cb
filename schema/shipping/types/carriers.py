"""GraphQL types of carriers, their services and rate rules
(docs/architecture.md#carriers-and-quotes)."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import strawberry

from app.auth.roles import Perm
from app.shipping import models as m
from app.shipping import rates
from app.shipping import repository as repo
from schema.core.node import Node, gid, register_node
from schema.core.objects import register_types
from schema.core.permissions import current_principal, requires
from schema.core.scalars import Money, money
from schema.loading.loaders import register_loader
from schema.loading.prefetch import register_relation

if TYPE_CHECKING:
    pass

register_loader("carrier_by_id", repo.carriers_by_ids)


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


async def fetch_carrier(info: strawberry.Info, pk: int) -> Carrier | None:
    if not current_principal(info).can(Perm.SHIPMENTS_READ):
        return None
    row = await info.context.loaders.load("carrier_by_id", pk)
    return Carrier.from_row(row) if row else None



register_node("Carrier", fetch_carrier)


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
register_types(Carrier, CarrierService, CarrierRateRule)
