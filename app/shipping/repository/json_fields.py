"""Shipments as PostgreSQL builds their JSON for a compiled read
(app/persistence/json_sql.py; docs/architecture.md#compiled-reads). The recipient (masked
per role) and cash collected (nullable money) are left to the resolvers."""

from __future__ import annotations

from app.persistence import json_sql as j

SHIPMENT = j.JsonType("Shipment", {
    "id": j.gid("Shipment"),
    **{name: j.column(name) for name in ("number", "tracking_number", "status",
                                         "exception_reason", "failed_attempts",
                                         "delivery_signer", "delivery_proof", "version")},
    **{name: j.day(name) for name in ("estimated_delivery", "promised_date")},
    **{name: j.time(name) for name in ("created_at", "updated_at", "packed_at", "shipped_at",
                                       "delivered_at", "accepted_at", "cancelled_at")},
    **{name: j.money(name) for name in ("charge", "cod_amount")},
})
