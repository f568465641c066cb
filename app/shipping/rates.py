"""What a carrier service would charge for a parcel, when it would arrive, and every reason
it cannot take it: plain functions over plain values, no database
(docs/architecture.md#carriers-and-quotes).

A quote is *eligible* when it has no reason at all. Reasons come in two kinds: the service
cannot carry the parcel (TOO_HEAVY, OVERSIZE, NO_COD, NO_COLD_CHAIN, REGION_NOT_SERVED), or
it can but arrives after the promised date (MISSES_PROMISED_DATE, or PAST_CUTOFF when it
misses only because today's cutoff has passed). `can_carry` tells them apart, so that the
chooser (app/shipping/choice.py) can still fall back on a late service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.shipping.models import ANY_REGION

CENT = Decimal("0.01")
ZERO = Decimal("0")


class ReasonCode(StrEnum):
    TOO_HEAVY = "TOO_HEAVY"
    OVERSIZE = "OVERSIZE"
    NO_COD = "NO_COD"
    NO_COLD_CHAIN = "NO_COLD_CHAIN"
    REGION_NOT_SERVED = "REGION_NOT_SERVED"
    MISSES_PROMISED_DATE = "MISSES_PROMISED_DATE"
    PAST_CUTOFF = "PAST_CUTOFF"


# the service cannot take the parcel at all (the others only make it late)
CANNOT_CARRY = frozenset({ReasonCode.TOO_HEAVY, ReasonCode.OVERSIZE, ReasonCode.NO_COD,
                          ReasonCode.NO_COLD_CHAIN, ReasonCode.REGION_NOT_SERVED})


@dataclass(frozen=True)
class Item:
    """Units of one product in the parcel; measures of one unit."""

    sku: str
    quantity: int
    weight_kg: Decimal
    length_cm: Decimal = ZERO
    width_cm: Decimal = ZERO
    height_cm: Decimal = ZERO
    cold_chain: bool = False

    @property
    def dimensions(self) -> tuple[Decimal, Decimal, Decimal]:
        return (self.length_cm, self.width_cm, self.height_cm)


@dataclass(frozen=True)
class Parcel:
    """Everything a quote depends on besides the service and the clock."""

    items: tuple[Item, ...]
    origin_region: str
    destination_region: str
    cash_on_delivery: bool = False
    promised_date: date | None = None

    @property
    def weight_kg(self) -> Decimal:
        return sum((i.weight_kg * i.quantity for i in self.items), ZERO)

    @property
    def volume_cm3(self) -> Decimal:
        return sum((i.length_cm * i.width_cm * i.height_cm * i.quantity for i in self.items),
                   ZERO)

    @property
    def cold_chain(self) -> bool:
        return any(i.cold_chain for i in self.items)


@dataclass(frozen=True)
class RateRule:
    origin_region: str  # ANY_REGION matches every region
    destination_region: str
    base_fee: Decimal
    per_kg_fee: Decimal
    transit_days: int
    id: int | None = None


@dataclass(frozen=True)
class ServiceTerms:
    """A carrier service as the rules see it (app/shipping/models.py CarrierService)."""

    id: int
    carrier_id: int
    code: str
    name: str
    level: str
    rules: tuple[RateRule, ...] = ()
    currency: str = "CNY"
    volumetric_divisor: int = 6000
    max_weight_kg: Decimal | None = None
    max_dimensions: tuple[Decimal, Decimal, Decimal] | None = None  # cm
    cutoff: time | None = None  # local time
    cod_supported: bool = False
    cod_fee: Decimal = ZERO
    cold_chain: bool = False


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    message: str


@dataclass(frozen=True)
class Quote:
    service: ServiceTerms
    weight_kg: Decimal
    volumetric_weight_kg: Decimal
    billable_weight_kg: Decimal
    pickup_date: date
    rule: RateRule | None = None  # None: no lane from origin to destination
    price: Decimal | None = None
    estimated_delivery: date | None = None
    promised_date: date | None = None  # the parcel's, which the dates were measured against
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def can_carry(self) -> bool:
        return not any(r.code in CANNOT_CARRY for r in self.reasons)


def up_to_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_CEILING)


def volumetric_weight(volume_cm3: Decimal, divisor: int) -> Decimal:
    """Volume over the carrier's divisor, rounded up to 0.01 kg (carriers round up)."""
    return up_to_cent(volume_cm3 / Decimal(divisor))


def _specificity(rule: RateRule, origin: str, destination: str) -> int | None:
    """How closely a rule names the lane (3 both regions, 2 the destination, 1 the origin,
    0 neither); None when it does not match. The destination counts more than the origin:
    carriers price by where the parcel goes."""
    if rule.origin_region not in (origin, ANY_REGION):
        return None
    if rule.destination_region not in (destination, ANY_REGION):
        return None
    return 2 * (rule.destination_region != ANY_REGION) + (rule.origin_region != ANY_REGION)


def match_rule(rules: tuple[RateRule, ...], origin: str, destination: str) -> RateRule | None:
    """The most specific rule for the lane; None when no rule covers it."""
    ranked = [(s, r) for r in rules if (s := _specificity(r, origin, destination)) is not None]
    return max(ranked, key=lambda pair: pair[0])[1] if ranked else None


def price_of(rule: RateRule, service: ServiceTerms, billable_kg: Decimal, cod: bool) -> Decimal:
    """Base fee + per-kg fee x billable kg (+ the service's COD fee), in cents."""
    amount = rule.base_fee + rule.per_kg_fee * billable_kg
    if cod:
        amount += service.cod_fee
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def pickup_date(ready_at: datetime, cutoff: time | None) -> date:
    """Today when the parcel is ready before the cutoff (or the service has none), else
    tomorrow. `ready_at` is local time (Settings.business_timezone)."""
    if cutoff is None or ready_at.time() < cutoff:
        return ready_at.date()
    return ready_at.date() + timedelta(days=1)


def _fits(item: Item, limit: tuple[Decimal, Decimal, Decimal]) -> bool:
    """Longest side against the longest limit, and so on: an item may be turned."""
    return all(a <= b for a, b in zip(sorted(item.dimensions, reverse=True),
                                      sorted(limit, reverse=True), strict=True))


def _num(value: Decimal) -> str:
    """12.50 -> "12.5", 10.00 -> "10": for messages."""
    return f"{value.normalize():f}"


def _dims(values: tuple[Decimal, ...]) -> str:
    return "x".join(_num(v) for v in values)


def carrying_reasons(parcel: Parcel, service: ServiceTerms, rule: RateRule | None
                     ) -> list[Reason]:
    """Why the service cannot take the parcel at all."""
    out: list[Reason] = []
    limit = service.max_weight_kg
    if limit is not None and parcel.weight_kg > limit:
        out.append(Reason(ReasonCode.TOO_HEAVY, f"the parcel weighs {_num(parcel.weight_kg)} "
                          f"kg; {service.name} takes at most {_num(limit)} kg"))
    if service.max_dimensions is not None:
        for item in parcel.items:
            if not _fits(item, service.max_dimensions):
                out.append(Reason(ReasonCode.OVERSIZE, f"{item.sku} measures "
                                  f"{_dims(item.dimensions)} cm; {service.name} takes at most "
                                  f"{_dims(service.max_dimensions)} cm"))
    if parcel.cash_on_delivery and not service.cod_supported:
        out.append(Reason(ReasonCode.NO_COD, f"the order is paid cash on delivery; "
                          f"{service.name} does not collect cash"))
    if parcel.cold_chain and not service.cold_chain:
        skus = ", ".join(i.sku for i in parcel.items if i.cold_chain)
        out.append(Reason(ReasonCode.NO_COLD_CHAIN, f"{skus} must travel refrigerated; "
                          f"{service.name} has no cold chain"))
    if rule is None:
        out.append(Reason(ReasonCode.REGION_NOT_SERVED, f"{service.name} has no rate from "
                          f"{parcel.origin_region or '(no region)'} to "
                          f"{parcel.destination_region or '(no region)'}"))
    return out


def date_reason(parcel: Parcel, service: ServiceTerms, ready_at: datetime, pickup: date,
                arrives: date) -> Reason | None:
    """Why the service arrives too late, if it does: PAST_CUTOFF when a pickup today would
    have made the promised date, MISSES_PROMISED_DATE otherwise."""
    promised = parcel.promised_date
    if promised is None or arrives <= promised:
        return None
    if pickup > ready_at.date() and arrives - (pickup - ready_at.date()) <= promised:
        return Reason(ReasonCode.PAST_CUTOFF, f"ready after today's "
                      f"{service.cutoff:%H:%M} cutoff: picked up {pickup}, arrives {arrives}, "
                      f"after the promised {promised}")
    return Reason(ReasonCode.MISSES_PROMISED_DATE,
                  f"arrives {arrives}, after the promised {promised}")


def quote(parcel: Parcel, service: ServiceTerms, ready_at: datetime) -> Quote:
    """The service's quote for the parcel, handed over at `ready_at` (local time)."""
    volumetric = volumetric_weight(parcel.volume_cm3, service.volumetric_divisor)
    billable = max(up_to_cent(parcel.weight_kg), volumetric)
    rule = match_rule(service.rules, parcel.origin_region, parcel.destination_region)
    reasons = carrying_reasons(parcel, service, rule)
    pickup = pickup_date(ready_at, service.cutoff)
    price = arrives = None
    if rule is not None:
        price = price_of(rule, service, billable, parcel.cash_on_delivery)
        arrives = pickup + timedelta(days=rule.transit_days)
        late = date_reason(parcel, service, ready_at, pickup, arrives)
        reasons += [late] if late else []
    return Quote(service, up_to_cent(parcel.weight_kg), volumetric, billable, pickup, rule=rule,
                 price=price, estimated_delivery=arrives, promised_date=parcel.promised_date,
                 reasons=tuple(reasons))
