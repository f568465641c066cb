"""SQL for warehouses and stock levels, with the WAREHOUSE row scope applied.

A WAREHOUSE principal sees only its assigned warehouses; every query here that
returns warehouse-bound rows filters by that scope, so a foreign row answers
exactly like a missing one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, or_
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.inventory.models import StockLevel, Warehouse
from app.inventory.status import StockStatus
from app.orders.models import Order, OrderAllocation, OrderLine
from app.persistence.fast import rows
from app.persistence.pagination import Page, PageRequest, SortKey, paginate

Pair = tuple[int, int]  # (product_id, warehouse_id)


def in_scope(stmt, principal: Principal, column):  # noqa: ANN001, ANN201
    """Restrict `stmt` to the principal's warehouses (no-op for non-WAREHOUSE roles)."""
    scope = principal.warehouse_scope
    if scope is not None:
        stmt = stmt.where(column.in_(sorted(scope)))
    return stmt


def like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Warehouses -------------------------------------------------------------------

class WarehouseSort(StrEnum):
    CODE_ASC = "CODE_ASC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


_WAREHOUSE_SORTS: dict[WarehouseSort, SortKey] = {
    WarehouseSort.CODE_ASC: [(Warehouse.code, False)],
    WarehouseSort.NAME_ASC: [(Warehouse.name, False)],
    WarehouseSort.NAME_DESC: [(Warehouse.name, True)],
    WarehouseSort.CREATED_AT_DESC: [(Warehouse.created_at, True)],
}


@dataclass(frozen=True)
class WarehouseFilter:
    search: str | None = None
    region: str | None = None
    is_active: bool | None = None


def get_visible_warehouse(session: Session, principal: Principal,
                          warehouse_id: int) -> Warehouse | None:
    stmt = in_scope(select(Warehouse).where(Warehouse.id == warehouse_id), principal,
                    Warehouse.id)
    return session.exec(stmt).first()


def list_warehouses(session: Session, principal: Principal, flt: WarehouseFilter,
                    sort: WarehouseSort, page: PageRequest) -> Page[Warehouse]:
    stmt = in_scope(select(Warehouse), principal, Warehouse.id)
    if flt.search and flt.search.strip():
        pattern = like(flt.search)
        stmt = stmt.where(or_(Warehouse.name.ilike(pattern, escape="\\"),
                              Warehouse.code.ilike(pattern, escape="\\"),
                              Warehouse.address.ilike(pattern, escape="\\")))
    if flt.region is not None:
        stmt = stmt.where(Warehouse.region == flt.region)
    if flt.is_active is not None:
        stmt = stmt.where(Warehouse.is_active.is_(flt.is_active))
    return paginate(session, stmt, _WAREHOUSE_SORTS[sort], page, Warehouse.id)


def visible_active_warehouse_ids(session: Session, principal: Principal) -> list[int]:
    stmt = in_scope(select(Warehouse.id).where(Warehouse.is_active.is_(True)), principal,
                    Warehouse.id)
    return list(session.exec(stmt.order_by(Warehouse.id)))


def warehouses_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Warehouse]:
    return {w.id: w for w in session.exec(select(Warehouse).where(Warehouse.id.in_(list(ids))))}


def warehouse_code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    stmt = select(Warehouse.id).where(Warehouse.code == code)
    if except_id is not None:
        stmt = stmt.where(Warehouse.id != except_id)
    return session.exec(stmt).first() is not None


def reserved_in_warehouse(session: Session, warehouse_id: int) -> int:
    rows = session.exec(select(StockLevel.reserved).where(StockLevel.warehouse_id == warehouse_id))
    return sum(rows)


# Stock levels -----------------------------------------------------------------

class StockLevelSort(StrEnum):
    PRODUCT_ASC = "PRODUCT_ASC"
    WAREHOUSE_ASC = "WAREHOUSE_ASC"
    ON_HAND_ASC = "ON_HAND_ASC"
    ON_HAND_DESC = "ON_HAND_DESC"
    RESERVED_DESC = "RESERVED_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


_LEVEL_SORTS: dict[StockLevelSort, SortKey] = {
    StockLevelSort.PRODUCT_ASC: [(StockLevel.product_id, False), (StockLevel.warehouse_id, False)],
    StockLevelSort.WAREHOUSE_ASC: [(StockLevel.warehouse_id, False),
                                   (StockLevel.product_id, False)],
    StockLevelSort.ON_HAND_ASC: [(StockLevel.on_hand, False)],
    StockLevelSort.ON_HAND_DESC: [(StockLevel.on_hand, True)],
    StockLevelSort.RESERVED_DESC: [(StockLevel.reserved, True)],
    StockLevelSort.UPDATED_AT_DESC: [(StockLevel.updated_at, True)],
}

AVAILABLE = StockLevel.on_hand - StockLevel.reserved
_STATUS_WHERE = {
    StockStatus.OUT_OF_STOCK: AVAILABLE <= 0,
    StockStatus.LOW_STOCK: and_(AVAILABLE > 0, StockLevel.safety_stock > AVAILABLE),
    StockStatus.IN_STOCK: and_(AVAILABLE > 0, StockLevel.safety_stock <= AVAILABLE),
}


@dataclass(frozen=True)
class StockLevelFilter:
    product_id: int | None = None
    warehouse_id: int | None = None
    status: StockStatus | None = None
    below_safety_stock: bool | None = None  # available < safety stock
    below_reorder_point: bool | None = None  # available + incoming <= reorder point (> 0)


def list_stock_levels(session: Session, principal: Principal, flt: StockLevelFilter,
                      sort: StockLevelSort, page: PageRequest) -> Page[StockLevel]:
    stmt = in_scope(select(StockLevel), principal, StockLevel.warehouse_id)
    if flt.product_id is not None:
        stmt = stmt.where(StockLevel.product_id == flt.product_id)
    if flt.warehouse_id is not None:
        stmt = stmt.where(StockLevel.warehouse_id == flt.warehouse_id)
    if flt.status is not None:
        stmt = stmt.where(_STATUS_WHERE[flt.status])
    if flt.below_safety_stock is not None:
        low = StockLevel.safety_stock > AVAILABLE
        stmt = stmt.where(low if flt.below_safety_stock else ~low)
    if flt.below_reorder_point is not None:
        due = and_(StockLevel.reorder_point > 0,
                   AVAILABLE + StockLevel.incoming <= StockLevel.reorder_point)
        stmt = stmt.where(due if flt.below_reorder_point else ~due)
    return paginate(session, stmt, _LEVEL_SORTS[sort], page, StockLevel.id)


def get_visible_level(session: Session, principal: Principal, level_id: int) -> StockLevel | None:
    stmt = in_scope(select(StockLevel).where(StockLevel.id == level_id), principal,
                    StockLevel.warehouse_id)
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def levels_by_product(session: Session, ids: Sequence[int]) -> dict[int, list[tuple[Any, Any]]]:
    """Each product's stock levels with their warehouse, in one statement (a stock column
    nearly always names the warehouse of each level): read-only (level, warehouse) record
    pairs for display (app/persistence/fast/rows.py)."""
    lt, wt = rows.table(StockLevel), rows.table(Warehouse)
    stmt = select(lt, *(c.label("wh_" + c.name) for c in wt.c)).join(
        wt, wt.c.id == lt.c.warehouse_id).where(lt.c.product_id.in_(list(ids))).order_by(
        lt.c.product_id, lt.c.warehouse_id)
    level, warehouse = rows.record_type(StockLevel)._make, rows.record_type(Warehouse)._make
    width = len(lt.c)
    out: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    warehouses: dict[int, Any] = {}
    for row in session.execute(stmt):
        lv = level(row[:width])
        wh = warehouses.get(lv.warehouse_id)
        if wh is None:
            wh = warehouses[lv.warehouse_id] = warehouse(row[width:])
        out[lv.product_id].append((lv, wh))
    return out


def warehouse_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only rows for display (app/persistence/fast/rows.py)."""
    return rows.by_id(session, Warehouse, ids)


def levels_by_warehouse(session: Session, ids: Sequence[int]) -> dict[int, list[StockLevel]]:
    out: dict[int, list[StockLevel]] = defaultdict(list)
    stmt = select(StockLevel).where(StockLevel.warehouse_id.in_(list(ids))).order_by(
        StockLevel.warehouse_id, StockLevel.product_id)
    for row in session.exec(stmt):
        out[row.warehouse_id].append(row)
    return out


def level_at(session: Session, product_id: int, warehouse_id: int, *,
             lock: bool = False) -> StockLevel | None:
    """The current row (never a stale copy: the ledger updates behind the ORM's back)."""
    stmt = select(StockLevel).where(StockLevel.product_id == product_id,
                                    StockLevel.warehouse_id == warehouse_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def availability(session: Session, pairs: Iterable[Pair]) -> dict[Pair, tuple[int, int]]:
    """(available, safety_stock) per existing (product, warehouse) level."""
    wanted = set(pairs)
    if not wanted:
        return {}
    product_ids = sorted({p for p, _ in wanted})
    stmt = select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand,
                  StockLevel.reserved, StockLevel.safety_stock).where(
        StockLevel.product_id.in_(product_ids),
        StockLevel.warehouse_id.in_(sorted({w for _, w in wanted})))
    out: dict[Pair, tuple[int, int]] = {}
    for pid, wid, on_hand, reserved, safety in session.exec(stmt):
        if (pid, wid) in wanted:
            out[(pid, wid)] = (on_hand - reserved, safety)
    return out


# Replenishment inputs -----------------------------------------------------------

# Orders whose lines are demand not yet reserved (CONFIRMED and later hold reservations).
OPEN_DEMAND_STATUSES = ("DRAFT", "PENDING_REVIEW", "ON_HOLD")


def replenishment_levels(session: Session, warehouse_ids: Sequence[int]) -> list[StockLevel]:
    """Levels of active products in the given active warehouses."""
    stmt = (select(StockLevel)
            .join(Product, Product.id == StockLevel.product_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.warehouse_id.in_(list(warehouse_ids)),
                   Product.is_active.is_(True), Warehouse.is_active.is_(True))
            .order_by(StockLevel.product_id, StockLevel.warehouse_id))
    return list(session.exec(stmt))


def _products_stocked_in(warehouse_ids: Sequence[int]):  # noqa: ANN202
    return select(StockLevel.product_id).where(StockLevel.warehouse_id.in_(list(warehouse_ids)))


def network_available(session: Session, warehouse_ids: Sequence[int]) -> dict[Pair, int]:
    """Available stock in every active warehouse, for the products stocked in `warehouse_ids`."""
    stmt = (select(StockLevel.product_id, StockLevel.warehouse_id, AVAILABLE)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Warehouse.is_active.is_(True),
                   StockLevel.product_id.in_(_products_stocked_in(warehouse_ids))))
    return {(pid, wid): available for pid, wid, available in session.exec(stmt)}


def open_demand(session: Session, warehouse_ids: Sequence[int]) -> dict[int, int]:
    """Per product: ordered but not yet reserved units of DRAFT/PENDING_REVIEW/ON_HOLD orders.

    A line's unreserved part is its quantity minus what is allocated to it (an order put
    ON_HOLD after confirmation keeps its reservations, which must not count twice).
    """
    allocated = (select(func.coalesce(func.sum(OrderAllocation.quantity), 0))
                 .where(OrderAllocation.order_line_id == OrderLine.id)
                 .scalar_subquery())
    unreserved = case((OrderLine.quantity > allocated, OrderLine.quantity - allocated), else_=0)
    stmt = (select(OrderLine.product_id, func.sum(unreserved))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.status.in_(OPEN_DEMAND_STATUSES),
                   OrderLine.product_id.in_(_products_stocked_in(warehouse_ids)))
            .group_by(OrderLine.product_id))
    return {pid: int(total or 0) for pid, total in session.exec(stmt)}
