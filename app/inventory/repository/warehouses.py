"""SQL for warehouses, and the WAREHOUSE row scope every inventory query applies.

A WAREHOUSE principal sees only its assigned warehouses; every query that returns
warehouse-bound rows filters by that scope, so a foreign row answers exactly like a
missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.inventory.models import StockLevel, Warehouse
from app.persistence.fast import rows
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    paginate,
    sort_table,
    where,
)


def in_scope(stmt, principal: Principal, column):  # noqa: ANN001, ANN201
    """Restrict `stmt` to the principal's warehouses (no-op for non-WAREHOUSE roles)."""
    scope = principal.warehouse_scope
    if scope is not None:
        stmt = stmt.where(column.in_(sorted(scope)))
    return stmt


def owned(stmt, principal: Principal, column):  # noqa: ANN001, ANN201
    """Restrict `stmt` to a CONSIGNOR's own goods, `column` being the row's consignor_id
    (no-op for other roles; docs/architecture.md#consignors)."""
    owner = principal.consignor_scope
    return stmt if owner is None else stmt.where(column == owner)


class WarehouseSort(StrEnum):
    CODE_ASC = "CODE_ASC"
    NAME_ASC = "NAME_ASC"
    NAME_DESC = "NAME_DESC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


_SORTS = sort_table(WarehouseSort, {
    "CODE": Warehouse.code, "NAME": Warehouse.name, "CREATED_AT": Warehouse.created_at,
})


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
    stmt = where(in_scope(select(Warehouse), principal, Warehouse.id),
                 contains(flt.search, Warehouse.name, Warehouse.code, Warehouse.address),
                 equal(Warehouse.region, flt.region), equal(Warehouse.is_active, flt.is_active))
    return paginate(session, stmt, _SORTS[sort], page, Warehouse.id)


def visible_active_warehouse_ids(session: Session, principal: Principal) -> list[int]:
    stmt = in_scope(select(Warehouse.id).where(Warehouse.is_active.is_(True)), principal,
                    Warehouse.id)
    return list(session.exec(stmt.order_by(Warehouse.id)))


def warehouses_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Warehouse]:
    return {w.id: w for w in session.exec(select(Warehouse).where(Warehouse.id.in_(list(ids))))}


def warehouse_rows_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Any]:
    """Read-only rows for display (app/persistence/fast/rows.py)."""
    return rows.by_id(session, Warehouse, ids)


def warehouse_by_code(session: Session, code: str) -> Warehouse | None:
    return session.exec(select(Warehouse).where(Warehouse.code == code)).first()


def existing_warehouse_ids(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of these warehouse ids exist."""
    return set(session.exec(select(Warehouse.id).where(Warehouse.id.in_(list(ids)))))


def regions_of(session: Session, warehouse_ids: Sequence[int]) -> set[str]:
    """The regions of these warehouses."""
    stmt = select(Warehouse.region).where(Warehouse.id.in_(list(warehouse_ids)))
    return set(session.exec(stmt).all())


def warehouse_code_taken(session: Session, code: str, except_id: int | None = None) -> bool:
    stmt = select(Warehouse.id).where(Warehouse.code == code)
    if except_id is not None:
        stmt = stmt.where(Warehouse.id != except_id)
    return session.exec(stmt).first() is not None


def reserved_in_warehouse(session: Session, warehouse_id: int) -> int:
    found = session.exec(select(StockLevel.reserved)
                         .where(StockLevel.warehouse_id == warehouse_id))
    return sum(found)
