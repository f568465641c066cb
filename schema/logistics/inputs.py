"""Input types of the logistics back office, and their translation into service arguments
(global IDs decoded here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from schema.core.node import parse_ids


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
