"""Stock levels and warehouses as PostgreSQL builds their JSON for a compiled read
(app/persistence/json_sql.py; docs/architecture.md#compiled-reads). A warehouse's address
(hidden from other warehouses' staff) is left to its resolver."""

from __future__ import annotations

from app.persistence import json_sql as j

STOCK_LEVEL = j.JsonType("StockLevel", {
    "id": j.gid("StockLevel"),
    **{name: j.column(name) for name in ("on_hand", "reserved", "incoming", "safety_stock",
                                         "reorder_point")},
    # as StockLevel.from_row computes them
    "available": lambda lv: f"({lv}.on_hand - {lv}.reserved)",
    "is_low": lambda lv: f"({lv}.on_hand - {lv}.reserved < {lv}.safety_stock)",
    "updated_at": j.time("updated_at"),
}, {
    "warehouse": j.Relation("Warehouse", "warehouse",
                            lambda lv, w: f"{w}.id = {lv}.warehouse_id"),
    "product": j.Relation("Product", "product", lambda lv, p: f"{p}.id = {lv}.product_id"),
})

WAREHOUSE = j.JsonType("Warehouse", {
    "id": j.gid("Warehouse"),
    **{name: j.column(name) for name in ("code", "name", "region", "is_active")},
    "created_at": j.time("created_at"),
})
