"""Customers as PostgreSQL builds their JSON for a compiled read
(app/persistence/json_sql.py; docs/architecture.md#compiled-reads). Contact data and credit
(masked or hidden per role and owner) are left to the resolvers."""

from __future__ import annotations

from app.persistence import json_sql as j

CUSTOMER = j.JsonType("Customer", {
    "id": j.gid("Customer"),
    **{name: j.column(name) for name in ("code", "name", "kind", "tier", "status", "region",
                                         "language", "notes", "is_consignor",
                                         "version")},
    "discount_rate": j.decimal("discount_rate"),
    **{name: j.time(name) for name in ("created_at", "updated_at")},
})
