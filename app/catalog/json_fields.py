"""Products as PostgreSQL builds their JSON for a compiled read
(app/persistence/json_sql.py; docs/architecture.md#compiled-reads). Cost and margin
(hidden per role) are left to the resolvers."""

from __future__ import annotations

from app.persistence import json_sql as j

PRODUCT = j.JsonType("Product", {
    "id": j.gid("Product"),
    **{name: j.column(name) for name in ("sku", "name", "description", "category", "unit",
                                         "currency", "cold_chain", "is_active")},
    **{name: j.decimal(name) for name in ("weight_kg", "length_cm", "width_cm", "height_cm")},
    "price": j.money("price"),
    **{name: j.time(name) for name in ("created_at", "updated_at")},
}, {
    # the resolver cuts them to a WAREHOUSE caller's warehouses: not compiled for those
    "stock_levels": j.Relation("StockLevel", "stock_level",
                               lambda p, lv: f"{lv}.product_id = {p}.id", many=True,
                               order=lambda lv: f"{lv}.warehouse_id", warehouse_cut=True),
})
