"""Input types of shipments, carriers and the carrier webhook inbox, and their translation
into repository arguments (global IDs decoded here)."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from typing import Any

import strawberry

from app.errors import DomainError
from app.ids import parse_id
from app.shipping import repository as repo
from schema.core.node import parse_ids
from schema.shipping.types import CarrierServiceLevel, ShipmentStatus
from schema.shipping.types.webhooks import CarrierWebhookEventResult

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


# Carrier administration (docs/architecture.md#carriers-and-quotes) -----------------------

_REGIONS = "Regions the carrier serves, as its staff describe it (quotes go by rate rules)."
_DIVISOR = "Billable weight = max(actual kg, L x W x H cm / divisor). Default 6000."
_CUTOFF = "Local time (CRM_BUSINESS_TIMEZONE) after which parcels leave the next day."
_LIMIT = "Greater than 0; null: no limit. Dimensions: all three or none."


@strawberry.input
class CarrierCreateInput:
    code: str = strawberry.field(description="Unique; letters, digits, '.', '_', '-'.")
    name: str
    regions: list[str] | None = strawberry.field(default=None, description=_REGIONS)
    is_active: bool | None = None


@strawberry.input
class CarrierUpdateInput:
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    regions: list[str] | None = strawberry.field(default=strawberry.UNSET, description=_REGIONS)
    is_active: bool | None = strawberry.UNSET


@strawberry.input
class CarrierServiceCreateInput:
    code: str = strawberry.field(description="Unique within the carrier.")
    name: str
    level: CarrierServiceLevel  # type: ignore[valid-type]
    currency: str | None = strawberry.field(default=None, description="Default CNY.")
    is_active: bool | None = None
    volumetric_divisor: int | None = strawberry.field(default=None, description=_DIVISOR)
    max_weight_kg: Decimal | None = strawberry.field(default=None, description=_LIMIT)
    max_length_cm: Decimal | None = None
    max_width_cm: Decimal | None = None
    max_height_cm: Decimal | None = None
    cutoff_time: time | None = strawberry.field(default=None, description=_CUTOFF)
    cod_supported: bool | None = None
    cod_fee: Decimal | None = None
    cold_chain: bool | None = None


@strawberry.input(description="The fields given change; null clears a limit or the cutoff.")
class CarrierServiceUpdateInput:
    code: str | None = strawberry.UNSET
    name: str | None = strawberry.UNSET
    level: CarrierServiceLevel | None = strawberry.UNSET  # type: ignore[valid-type]
    currency: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET
    volumetric_divisor: int | None = strawberry.field(default=strawberry.UNSET,
                                                      description=_DIVISOR)
    max_weight_kg: Decimal | None = strawberry.field(default=strawberry.UNSET,
                                                     description=_LIMIT)
    max_length_cm: Decimal | None = strawberry.UNSET
    max_width_cm: Decimal | None = strawberry.UNSET
    max_height_cm: Decimal | None = strawberry.UNSET
    cutoff_time: time | None = strawberry.field(default=strawberry.UNSET, description=_CUTOFF)
    cod_supported: bool | None = strawberry.UNSET
    cod_fee: Decimal | None = strawberry.UNSET
    cold_chain: bool | None = strawberry.UNSET


@strawberry.input(description="A lane's price and transit time; '*' stands for any region.")
class CarrierRateRuleInput:
    origin_region: str
    destination_region: str
    base_fee: Decimal
    per_kg_fee: Decimal
    transit_days: int


def service_data(data: dict[str, Any]) -> dict[str, Any]:
    """Service input as the service functions take it (the level as its name)."""
    if data.get("level") is not None:
        data["level"] = data["level"].value
    return data


@strawberry.input(description="A carrier's payout of cash collected on delivery.")
class CodRemittanceRecordInput:
    carrier_id: strawberry.ID
    amount: Decimal = strawberry.field(
        description="What the carrier paid: positive, at most two decimals. It may differ "
        "from what the shipments collected (codReconciliation shows the difference).")
    reference: str = strawberry.field(
        description="The carrier's payout reference, 1 to 100 characters, unique per "
        "carrier.")
    shipment_ids: list[strawberry.ID] = strawberry.field(
        description="1 to 1000 shipments of that carrier, delivered with cash collected and "
        "in no remittance yet.")
    received_at: datetime | None = strawberry.field(
        default=None, description="When the money arrived (with a time zone offset); "
        "default now.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retry with the same key and input to get the first "
        "result, never a second remittance.")


def remittance_args(inp: CodRemittanceRecordInput) -> dict[str, Any]:
    """`record_remittance`'s arguments; a ValidationFailed naming each ID that names
    nothing (`carrierId`, `shipmentIds.<i>`)."""
    carrier_id, *shipment_ids = parse_ids(
        (inp.carrier_id, "Carrier", "carrierId"),
        *((sid, "Shipment", ["shipmentIds", str(i)]) for i, sid in enumerate(inp.shipment_ids)))
    return {"carrier_id": carrier_id, "amount": inp.amount, "reference": inp.reference,
            "shipment_ids": shipment_ids, "received_at": inp.received_at,
            "idempotency_key": inp.idempotency_key}


# The carrier webhook inbox (docs/architecture.md#carrier-webhooks) ---------------------

@strawberry.input(description="All given conditions must hold.")
class CarrierWebhookEventFilter:
    carrier_id: strawberry.ID | None = None
    result: CarrierWebhookEventResult | None = None  # type: ignore[valid-type]
    tracking_number: str | None = strawberry.field(default=None, description="Exact match.")
    reviewed: bool | None = strawberry.field(
        default=None, description="true: reviewed ones only; false: those still to review.")


def webhook_filter_from(flt: CarrierWebhookEventFilter | None
                        ) -> repo.WebhookEventFilter | None:
    """The repository filter, or None when the carrier ID names nothing (an empty list)."""
    if flt is None:
        return repo.WebhookEventFilter()
    try:
        carrier_id = _optional_id(flt.carrier_id, "Carrier", "carrierId")
    except DomainError:
        return None
    return repo.WebhookEventFilter(
        carrier_id=carrier_id, result=flt.result.value if flt.result else None,
        tracking_number=flt.tracking_number, reviewed=flt.reviewed)
