"""SQL for stock levels, with the WAREHOUSE row scope: reads for lists, dataloaders,
alerts and replenishment, and the ledger's conditional changes (app/inventory/ledger.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, and_, bindparam, case, func, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.auth.principal import Principal
from app.catalog.models import Product
from app.inventory.models import StockLevel, Warehouse
from app.inventory.repository.warehouses import in_scope, owned
from app.inventory.status import StockStatus
from app.orders.models import Order, OrderAllocation, OrderLine
from app.persistence.columns import utcnow
from app.persistence.fast import rows, statements
from app.persistence.repository import (
    Page,
    PageRequest,
    equal,
    grouped,
    paginate,
    sort_table,
    where,
)

Pair = tuple[int, int]  # (product_id, warehouse_id)


class StockLevelSort(StrEnum):
    PRODUCT_ASC = "PRODUCT_ASC"
    WAREHOUSE_ASC = "WAREHOUSE_ASC"
    ON_HAND_ASC = "ON_HAND_ASC"
    ON_HAND_DESC = "ON_HAND_DESC"
    RESERVED_DESC = "RESERVED_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


_SORTS = sort_table(StockLevelSort, {
    "PRODUCT": (StockLevel.product_id, StockLevel.warehouse_id),
    "WAREHOUSE": (StockLevel.warehouse_id, StockLevel.product_id),
    "ON_HAND": StockLevel.on_hand, "RESERVED": StockLevel.reserved,
    "UPDATED_AT": StockLevel.updated_at,
})

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
    consignor_id: int | None = None  # one consignor's goods
    consigned: bool | None = None  # any consignor's (True) or the company's own (False)


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """The levels a principal reads: WAREHOUSE its warehouses', CONSIGNOR its own goods'."""
    return owned(in_scope(stmt, principal, StockLevel.warehouse_id), principal,
                 StockLevel.consignor_id)


def scope_low(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """The levels' scope and lowStockLevels' rule: available below safety stock."""
    return scope(stmt, principal).where(StockLevel.safety_stock > AVAILABLE)


def list_stock_levels(session: Session, principal: Principal, flt: StockLevelFilter,
                      sort: StockLevelSort, page: PageRequest) -> Page[StockLevel]:
    low = StockLevel.safety_stock > AVAILABLE
    due = and_(StockLevel.reorder_point > 0,
               AVAILABLE + StockLevel.incoming <= StockLevel.reorder_point)
    stmt = where(scope(select(StockLevel), principal),
                 equal(StockLevel.product_id, flt.product_id),
                 equal(StockLevel.warehouse_id, flt.warehouse_id),
                 None if flt.status is None else _STATUS_WHERE[flt.status],
                 _yes_no(low, flt.below_safety_stock), _yes_no(due, flt.below_reorder_point),
                 equal(StockLevel.consignor_id, flt.consignor_id),
                 _yes_no(StockLevel.consignor_id.is_not(None), flt.consigned))
    return paginate(session, stmt, _SORTS[sort], page, StockLevel.id)


def _yes_no(condition, wanted: bool | None):  # noqa: ANN001, ANN202
    """`condition` (True), its negation (False), or no condition (None)."""
    return None if wanted is None else condition if wanted else ~condition


def get_visible_level(session: Session, principal: Principal, level_id: int) -> StockLevel | None:
    stmt = scope(select(StockLevel).where(StockLevel.id == level_id), principal)
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


def levels_by_warehouse(session: Session, ids: Sequence[int]) -> dict[int, list[StockLevel]]:
    stmt = select(StockLevel).where(StockLevel.warehouse_id.in_(list(ids))).order_by(
        StockLevel.warehouse_id, StockLevel.product_id)
    return grouped(session.exec(stmt), "warehouse_id")


def level_at(session: Session, product_id: int, warehouse_id: int, *,
             lock: bool = False) -> StockLevel | None:
    """The current row (never a stale copy: the ledger updates behind the ORM's back)."""
    stmt = select(StockLevel).where(StockLevel.product_id == product_id,
                                    StockLevel.warehouse_id == warehouse_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def availability(session: Session, pairs: Iterable[Pair]
                 ) -> dict[Pair, tuple[int, int, int | None]]:
    """(available, safety_stock, consignor_id) per existing (product, warehouse) level."""
    wanted = set(pairs)
    if not wanted:
        return {}
    product_ids = sorted({p for p, _ in wanted})
    stmt = select(StockLevel.product_id, StockLevel.warehouse_id, StockLevel.on_hand,
                  StockLevel.reserved, StockLevel.safety_stock,
                  StockLevel.consignor_id).where(
        StockLevel.product_id.in_(product_ids),
        StockLevel.warehouse_id.in_(sorted({w for _, w in wanted})))
    out: dict[Pair, tuple[int, int, int | None]] = {}
    for pid, wid, on_hand, reserved, safety, owner in session.exec(stmt):
        if (pid, wid) in wanted:
            out[(pid, wid)] = (on_hand - reserved, safety, owner)
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


# The ledger's changes (app/inventory/ledger.py) --------------------------------------
# Each is a conditional UPDATE of one level, built once and run with bound parameters:
# its WHERE clause is the check (never check-then-act).

_LEVELS = StockLevel.__table__
_ON_HAND, _RESERVED, _Q = _LEVELS.c.on_hand, _LEVELS.c.reserved, bindparam("q", type_=Integer)


def _change(values: dict, condition) -> object:  # noqa: ANN001
    # RETURNING the level's consignor: the movement row records whose goods moved without
    # a statement of its own (docs/architecture.md#consignors)
    return (update(_LEVELS)
            .where(_LEVELS.c.product_id == bindparam("pid"),
                   _LEVELS.c.warehouse_id == bindparam("wid"), condition)
            .values(**values, updated_at=bindparam("now", type_=_LEVELS.c.updated_at.type))
            .returning(_LEVELS.c.consignor_id, _LEVELS.c.id))


RESERVE = _change({"reserved": _RESERVED + _Q}, _ON_HAND - _RESERVED >= _Q)
RELEASE = _change({"reserved": _RESERVED - _Q}, _RESERVED >= _Q)
SHIP = _change({"on_hand": _ON_HAND - _Q, "reserved": _RESERVED - _Q}, _RESERVED >= _Q)
# `on_hand <= limit` with limit = MAX_ON_HAND - q: the sum is never computed, so never overflows
_LIMIT = bindparam("limit", type_=Integer)
ADD = _change({"on_hand": _ON_HAND + _Q}, _ON_HAND <= _LIMIT)
REMOVE = _change({"on_hand": _ON_HAND - _Q}, _ON_HAND - _RESERVED >= _Q)


@dataclass(frozen=True)
class Changed:
    """A level a change applied to: whose goods they are (None: the company's own); its id
    (the delta sync's change: app/inventory/ledger.py)."""

    consignor_id: int | None
    level_id: int


def change_level(session: Session, change: Any, line: Any, **extra: int) -> Changed | None:
    """Apply one of the changes above (RESERVE, RELEASE, SHIP, ADD with `limit`, REMOVE)
    to the level of a ledger line (product_id, warehouse_id, quantity); None when its
    condition did not hold (nothing changed)."""
    params = {"pid": line.product_id, "wid": line.warehouse_id,
              "q": line.quantity, "now": utcnow(), **extra}
    found = statements.rows(session, change, params)
    return Changed(found[0][0], found[0][1]) if found else None


# The same changes for several levels in one statement (PostgreSQL): the levels are locked
# first, in (product, warehouse) order, as one UPDATE per level would lock them, then each
# is changed where its condition holds (docs/architecture.md#round-trips).
def _changes_sql(assignments: str, condition: str) -> Any:
    return text(
        "WITH v AS (SELECT * FROM unnest(:pids, :wids, :qs) AS t(pid, wid, q)),"
        " locked AS MATERIALIZED (SELECT s.id FROM stock_level s JOIN v"
        "   ON s.product_id = v.pid AND s.warehouse_id = v.wid"
        "   ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE OF s)"
        f" UPDATE stock_level s SET {assignments}, updated_at = :now FROM v, locked"
        " WHERE s.id = locked.id AND s.product_id = v.pid AND s.warehouse_id = v.wid"
        f" AND {condition} RETURNING s.product_id, s.warehouse_id, s.consignor_id, s.id"
    ).bindparams(bindparam("pids", type_=ARRAY(Integer)), bindparam("wids", type_=ARRAY(Integer)),
                 bindparam("qs", type_=ARRAY(Integer)),
                 bindparam("now", type_=_LEVELS.c.updated_at.type))


_MANY = {
    id(RESERVE): _changes_sql("reserved = s.reserved + v.q", "s.on_hand - s.reserved >= v.q"),
    id(RELEASE): _changes_sql("reserved = s.reserved - v.q", "s.reserved >= v.q"),
    id(SHIP): _changes_sql("on_hand = s.on_hand - v.q, reserved = s.reserved - v.q",
                           "s.reserved >= v.q"),
}


def change_levels(session: Session, change: Any, lines: Sequence[Any]) -> Iterator[Changed | None]:
    """`change_level` for each line (distinct levels, in (product, warehouse) order), in
    order: on PostgreSQL RESERVE, RELEASE and SHIP of several lines in one statement, else
    one line at a time as the caller consumes them (it stops at the first None)."""
    many = _MANY.get(id(change))
    if many is None or len(lines) < 2 or session.get_bind().dialect.name != "postgresql":
        return (change_level(session, change, line) for line in lines)
    found = {(p, w): Changed(c, i) for p, w, c, i in statements.changed_rows(session, many, {
        "pids": [ln.product_id for ln in lines], "wids": [ln.warehouse_id for ln in lines],
        "qs": [ln.quantity for ln in lines], "now": utcnow()})}
    return iter([found.get((ln.product_id, ln.warehouse_id)) for ln in lines])


# RESERVE of several levels, with every stock row of the products locked first in the
# ledger's order, all in one statement: an approval's reservation planned on an unlocked
# read, sent with the unit's last rows (docs/architecture.md#optimistic-reservation).
_RESERVE_ALL = text(
    "WITH v AS (SELECT * FROM unnest(:pids, :wids, :qs) AS t(pid, wid, q)),"
    " locked AS MATERIALIZED (SELECT s.id FROM stock_level s WHERE s.product_id = ANY(:all)"
    "   ORDER BY s.product_id, s.warehouse_id FOR NO KEY UPDATE OF s)"
    " UPDATE stock_level s SET reserved = s.reserved + v.q, updated_at = :now FROM v, locked"
    " WHERE s.id = locked.id AND s.product_id = v.pid AND s.warehouse_id = v.wid"
    " AND s.on_hand - s.reserved >= v.q"
    " RETURNING s.product_id, s.warehouse_id, s.consignor_id, s.id"
).bindparams(bindparam("pids", type_=ARRAY(Integer)), bindparam("wids", type_=ARRAY(Integer)),
             bindparam("qs", type_=ARRAY(Integer)), bindparam("all", type_=ARRAY(Integer)),
             bindparam("now", type_=_LEVELS.c.updated_at.type))


def reserve_levels_query(lines: Sequence[Any], product_ids: Iterable[int]
                         ) -> tuple[Any, dict[str, Any]]:
    """RESERVE each line's level (distinct levels, in (product, warehouse) order) where its
    stock allows, every stock row of `product_ids` locked first (PostgreSQL): the statement
    and its parameters; it returns a row per level it changed."""
    return _RESERVE_ALL, {
        "pids": [ln.product_id for ln in lines], "wids": [ln.warehouse_id for ln in lines],
        "qs": [ln.quantity for ln in lines], "all": sorted(set(product_ids)), "now": utcnow()}


def ensure_level(session: Session, product_id: int, warehouse_id: int) -> StockLevel:
    """The stock level row, created empty if this product was never stocked here."""
    stmt = select(StockLevel).where(StockLevel.product_id == product_id,
                                    StockLevel.warehouse_id == warehouse_id)
    level = session.exec(stmt).first()
    if level is None:
        # INSERT .. ON CONFLICT DO NOTHING: two first receipts racing cannot both insert.
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        owner = select(Product.consignor_id).where(Product.id == product_id).scalar_subquery()
        session.execute(insert(StockLevel).values(
            product_id=product_id, warehouse_id=warehouse_id, updated_at=utcnow(),
            consignor_id=owner,
        ).on_conflict_do_nothing(index_elements=["product_id", "warehouse_id"]))
        level = session.exec(stmt).one()
    return level
