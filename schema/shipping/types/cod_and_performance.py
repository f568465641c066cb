"""GraphQL types of the logistics back office over the shipping domain: cash-on-delivery
remittances and a carrier's reconciliation (docs/architecture.md#cash-on-delivery), and
delivery performance (docs/architecture.md#delivery-performance). Shipments and carriers
are schema/shipping's types, named lazily."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from app.auth.roles import Perm
from app.shipping import cod, performance
from app.shipping.cod_reconciliation import ParcelDiscrepancy, RemittanceTotal
from app.shipping.repository import PerformanceGroup
from schema.core.node import Node, gid, register_node
from schema.core.objects import object_type, register_types
from schema.core.permissions import current_principal
from schema.core.scalars import Money, money
from schema.loading.loaders import register_loader

if TYPE_CHECKING:
    from schema.shipping.types import Carrier

register_loader("cod_remittance_by_id", cod.remittances_by_ids)

DeliveryPerformanceGroup = strawberry.enum(
    PerformanceGroup, name="DeliveryPerformanceGroup",
    description="How delivery performance is grouped: by carrier, carrier service, "
    "warehouse shipped from, or the recipient's region.")


def _carrier(info: strawberry.Info, carrier_id: int) -> Any:
    return info.context.loaders.one("carrier_by_id", carrier_id, object_type("Carrier"))


@strawberry.type(description="What a carrier paid out of the cash its couriers collected "
                 "on delivery, for the shipments it names. Amounts in CNY.")
class CodRemittance(Node):
    reference: str = strawberry.field(description="The carrier's payout reference (unique "
                                      "per carrier).")
    amount: Money = strawberry.field(description="What the carrier paid.")
    received_at: datetime
    shipment_count: int = strawberry.field(description="Shipments it pays for.")
    collected: Money = strawberry.field(description="Cash those shipments collected.")
    difference: Money = strawberry.field(description="amount - collected: paid over (+) or "
                                         "under (-) what was collected.")
    _carrier_id: strawberry.Private[int]

    @strawberry.field
    def carrier(self, info: strawberry.Info) -> Annotated[
            Carrier, strawberry.lazy("schema.shipping.types")] | None:
        return _carrier(info, self._carrier_id)

    @classmethod
    def from_row(cls, r: RemittanceTotal) -> CodRemittance:
        return cls(id=gid("CodRemittance", r.remittance_id), reference=r.reference,
                   amount=money(r.amount), received_at=r.received_at,
                   shipment_count=r.shipment_count, collected=money(r.collected),
                   difference=money(r.difference), _carrier_id=r.carrier_id)


@strawberry.type(description="A shipment whose cash collected on delivery is not what was "
                 "due.")
class CodShipmentDiscrepancy:
    shipment_id: strawberry.ID
    number: str
    due: Money
    collected: Money
    difference: Money = strawberry.field(description="collected - due (short: negative).")
    remitted: bool = strawberry.field(description="A remittance covers it already.")

    @classmethod
    def build(cls, d: ParcelDiscrepancy) -> CodShipmentDiscrepancy:
        return cls(shipment_id=gid("Shipment", d.shipment_id), number=d.number,
                   due=money(d.due), collected=money(d.collected),
                   difference=money(d.difference), remitted=d.remitted)


@strawberry.type(description="A carrier's cash on delivery over whole days (business time "
                 "zone): cash collected on delivery in the period, remitted in the "
                 "period, and still owed. Amounts in CNY.")
class CodReconciliation:
    from_: date = strawberry.field(name="from")
    to: date
    due: Money = strawberry.field(description="What the shipments collected in the period "
                                  "were to collect.")
    collected: Money = strawberry.field(description="Cash collected in the period.")
    remitted: Money = strawberry.field(description="Remittances received in the period.")
    outstanding: Money = strawberry.field(description="Cash collected in the period that no "
                                          "remittance covers yet.")
    collection_difference: Money = strawberry.field(description="collected - due.")
    remittance_difference: Money = strawberry.field(
        description="The period's remittances minus the cash their shipments collected.")
    collected_shipments: int
    remitted_shipments: int = strawberry.field(description="Of the shipments collected in "
                                               "the period, those a remittance covers.")
    outstanding_shipments: int
    remittance_count: int
    shipment_discrepancies: list[CodShipmentDiscrepancy] = strawberry.field(
        description="Shipments collected in the period with another amount than was due.")
    remittances: list[CodRemittance] = strawberry.field(
        description="Remittances received in the period, oldest first.")
    remittance_discrepancies: list[CodRemittance] = strawberry.field(
        description="Those of `remittances` whose amount is not what their shipments "
        "collected.")
    _carrier: strawberry.Private[Any]

    @strawberry.field
    def carrier(self) -> Annotated[Carrier, strawberry.lazy("schema.shipping.types")]:
        return self._carrier

    @classmethod
    def build(cls, found: cod.CarrierReconciliation) -> CodReconciliation:
        r = found.result
        remittances = [CodRemittance.from_row(x) for x in r.remittances]
        return cls(
            from_=found.period.first_day, to=found.period.last_day, due=money(r.due),
            collected=money(r.collected), remitted=money(r.remitted),
            outstanding=money(r.outstanding),
            collection_difference=money(r.collection_difference),
            remittance_difference=money(r.remittance_difference),
            collected_shipments=r.collected_count, remitted_shipments=r.remitted_count,
            outstanding_shipments=r.outstanding_count, remittance_count=len(remittances),
            shipment_discrepancies=[CodShipmentDiscrepancy.build(d)
                                    for d in r.parcel_discrepancies],
            remittances=remittances,
            remittance_discrepancies=[o for o, x in zip(remittances, r.remittances,
                                                        strict=True) if x.difference != 0],
            _carrier=object_type("Carrier").from_row(found.carrier))


async def fetch_remittance(info: strawberry.Info, pk: int) -> CodRemittance | None:
    if not current_principal(info).can(Perm.COD_READ):
        return None
    found = await info.context.loaders.load("cod_remittance_by_id", pk)
    return CodRemittance.from_row(found) if found else None


register_node("CodRemittance", fetch_remittance)
register_types(CodRemittance)


# Delivery performance (docs/architecture.md#delivery-performance) ----------------------

_KEY_TYPES = {PerformanceGroup.CARRIER: "Carrier", PerformanceGroup.SERVICE: "CarrierService",
              PerformanceGroup.WAREHOUSE: "Warehouse"}


@strawberry.type(description="What a delivery performance row is about.")
class DeliveryPerformanceKey:
    id: strawberry.ID | None = strawberry.field(
        description="The carrier's, service's or warehouse's global ID; null for a region, "
        "and for shipments without a carrier service.")
    code: str = strawberry.field(description="Its code, or the region.")
    name: str = strawberry.field(description="Its name (a service's with its carrier's), "
                                 "the region, or \"(none)\".")


@strawberry.type(description="Delivery performance of one group over the shipments picked "
                 "up in the period. Rates are 0 to 1; null when nothing counts toward them.")
class DeliveryPerformanceRow:
    key: DeliveryPerformanceKey
    shipments: int = strawberry.field(description="Picked up in the period.")
    delivered: int = strawberry.field(description="Of those, delivered (by now).")
    on_time_rate_promised: float | None = strawberry.field(
        description="Delivered on or before the date promised to the customer (local day), "
        "among the delivered shipments with a promised date.")
    on_time_rate_estimate: float | None = strawberry.field(
        description="Delivered on or before the carrier's estimate (local day), among the "
        "delivered shipments with an estimate.")
    avg_transit_hours: float | None = strawberry.field(
        description="Pickup to delivery, over the delivered shipments.")
    p90_transit_hours: float | None = strawberry.field(
        description="The nearest-rank 90th percentile of the transit hours: 90% of the "
        "delivered shipments took at most this long.")
    exception_rate: float = strawberry.field(
        description="Shipments with at least one delivery exception (any type, open or "
        "resolved).")
    failed_attempt_rate: float = strawberry.field(
        description="Shipments with at least one failed delivery attempt.")
    cost_per_kg: Money | None = strawberry.field(
        description="What carriers charged per billable kg (sum of costs / sum of billable "
        "weights of the shipments with a weight); null without weights or when the "
        "services' currencies differ.")

    @classmethod
    def build(cls, p: performance.GroupPerformance) -> DeliveryPerformanceRow:
        kind = _KEY_TYPES.get(p.group)
        key_id = gid(kind, p.key) if kind and p.key is not None else None
        return cls(
            key=DeliveryPerformanceKey(id=key_id, code=p.code, name=p.name),
            shipments=p.shipments, delivered=p.delivered,
            on_time_rate_promised=p.on_time_promised, on_time_rate_estimate=p.on_time_estimate,
            avg_transit_hours=p.avg_transit_hours, p90_transit_hours=p.p90_transit_hours,
            exception_rate=p.exception_rate, failed_attempt_rate=p.failed_attempt_rate,
            cost_per_kg=money(p.cost_per_kg, p.currency) if p.cost_per_kg is not None
            else None)
