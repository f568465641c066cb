"""All of the inventory domain's SQL, by concept: `warehouses` (and the WAREHOUSE row scope),
`levels` (stock levels: reads, and the ledger's conditional changes), `movements` (the
movement ledger's rows). Callers use `from app.inventory import repository as repo`."""

from app.inventory.repository import levels, movements, warehouses
from app.inventory.repository.levels import (
    ADD,
    AVAILABLE,
    OPEN_DEMAND_STATUSES,
    RELEASE,
    REMOVE,
    RESERVE,
    SHIP,
    Pair,
    StockLevelFilter,
    StockLevelSort,
    availability,
    change_level,
    change_levels,
    ensure_level,
    get_visible_level,
    level_at,
    levels_by_product,
    levels_by_warehouse,
    list_stock_levels,
    network_available,
    open_demand,
    replenishment_levels,
    reserve_levels_query,
)
from app.inventory.repository.movements import (
    MovementFilter,
    MovementSort,
    add_movement,
    get_visible_movement,
    list_movements,
    movements_by_ids,
)
from app.inventory.repository.warehouses import (
    WarehouseFilter,
    WarehouseSort,
    existing_warehouse_ids,
    get_visible_warehouse,
    in_scope,
    list_warehouses,
    regions_of,
    reserved_in_warehouse,
    visible_active_warehouse_ids,
    warehouse_by_code,
    warehouse_code_taken,
    warehouse_rows_by_ids,
    warehouses_by_ids,
)

__all__ = [
    "ADD", "AVAILABLE", "OPEN_DEMAND_STATUSES", "RELEASE", "REMOVE", "RESERVE", "SHIP",
    "MovementFilter", "MovementSort", "Pair", "StockLevelFilter", "StockLevelSort",
    "WarehouseFilter", "WarehouseSort", "add_movement", "availability", "change_level",
    "change_levels",
    "ensure_level", "existing_warehouse_ids", "get_visible_level", "get_visible_movement",
    "get_visible_warehouse", "in_scope", "level_at", "levels", "levels_by_product",
    "levels_by_warehouse", "list_movements", "list_stock_levels", "list_warehouses",
    "movements", "movements_by_ids", "network_available", "open_demand", "regions_of",
    "replenishment_levels", "reserve_levels_query", "reserved_in_warehouse",
    "visible_active_warehouse_ids",
    "warehouse_by_code", "warehouse_code_taken", "warehouse_rows_by_ids", "warehouses",
    "warehouses_by_ids",
]
