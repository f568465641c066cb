"""Warehouse rules and the read side of inventory (levels, movements, planning).

The stock-changing workflows live in `stock_service`; alert detection for other
domains (orders reserve/release/ship) is `alerts.check_stock_alerts`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from app.auth.principal import Principal
from app.errors import Conflict, DomainError, ErrorCode, NotFound, Validator
from app.inventory import repository as repo
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.inventory.replenishment import Suggestion, suggest
from app.inventory.repository import movements
from app.persistence.pagination import Page, PageRequest
from app.persistence.uow import UnitOfWork, flush_unique, snapshot

CODE_RE = re.compile(r"^[^\s]{1,32}$")
_LIMITS = {"name": 200, "region": 64, "address": 400}
_NOT_NULL = ("code", "name", "is_active")


def _validate(data: dict[str, Any], *, creating: bool) -> None:
    v = Validator()
    for key in _NOT_NULL:
        if key in data and data[key] is None:
            v.check(False, "isActive" if key == "is_active" else key, f"{key} cannot be null")
    if creating or data.get("code") is not None:
        v.check(bool(CODE_RE.match(data.get("code") or "")), "code",
                "code is required: 1 to 32 characters, no spaces")
    if creating or data.get("name") is not None:
        v.check(bool(data.get("name")), "name", "name is required")
    for key, limit in _LIMITS.items():
        v.check(len(data.get(key) or "") <= limit, key, f"{key} is at most {limit} characters")
    v.raise_if_any()


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    for key in ("region", "address"):  # optional text: null clears it
        if key in out and out[key] is None:
            out[key] = ""
    return out


def _duplicate(code: str) -> DomainError:
    return DomainError(f"warehouse code {code} is already in use", field=["code"],
                       code=ErrorCode.DUPLICATE)


def create_warehouse(uow: UnitOfWork, data: dict[str, Any]) -> Warehouse:
    data = _clean({k: v for k, v in data.items() if v is not None})
    _validate(data, creating=True)
    if repo.warehouse_code_taken(uow.session, data["code"]):
        raise _duplicate(data["code"])
    warehouse = Warehouse(**data)
    uow.session.add(warehouse)
    flush_unique(uow.session, _duplicate(warehouse.code))
    uow.audit("warehouse.create", "Warehouse", warehouse.id, after=snapshot(warehouse))
    return warehouse


def update_warehouse(uow: UnitOfWork, warehouse_id: int, data: dict[str, Any]) -> Warehouse:
    data = _clean(data)
    _validate(data, creating=False)
    warehouse = repo.get_visible_warehouse(uow.session, uow.principal, warehouse_id)
    if warehouse is None:
        raise NotFound("Warehouse not found", field=["id"])
    if "code" in data and repo.warehouse_code_taken(uow.session, data["code"], warehouse.id):
        raise _duplicate(data["code"])
    if data.get("is_active") is False and warehouse.is_active:
        reserved = repo.reserved_in_warehouse(uow.session, warehouse.id)
        if reserved:
            raise Conflict(f"{reserved} units in this warehouse are reserved for orders; "
                           "ship or release them before deactivating it", field=["isActive"])
    before = snapshot(warehouse)
    for key, value in data.items():
        setattr(warehouse, key, value)
    uow.session.add(warehouse)
    flush_unique(uow.session, _duplicate(warehouse.code))
    uow.audit("warehouse.update", "Warehouse", warehouse.id, before=before,
              after=snapshot(warehouse))
    return warehouse


# Reads ------------------------------------------------------------------------

def get_warehouse(session: Session, principal: Principal, warehouse_id: int) -> Warehouse | None:
    return repo.get_visible_warehouse(session, principal, warehouse_id)


def list_warehouses(session: Session, principal: Principal, flt: repo.WarehouseFilter,
                    sort: repo.WarehouseSort, page: PageRequest) -> Page[Warehouse]:
    return repo.list_warehouses(session, principal, flt, sort, page)


def get_stock_level(session: Session, principal: Principal, level_id: int) -> StockLevel | None:
    return repo.get_visible_level(session, principal, level_id)


def list_stock_levels(session: Session, principal: Principal, flt: repo.StockLevelFilter,
                      sort: repo.StockLevelSort, page: PageRequest) -> Page[StockLevel]:
    return repo.list_stock_levels(session, principal, flt, sort, page)


def get_movement(session: Session, principal: Principal,
                 movement_id: int) -> StockMovement | None:
    return movements.get_visible_movement(session, principal, movement_id)


def list_movements(session: Session, principal: Principal, flt: movements.MovementFilter,
                   sort: movements.MovementSort, page: PageRequest) -> Page[StockMovement]:
    return movements.list_movements(session, principal, flt, sort, page)


def replenishment_suggestions(session: Session, principal: Principal,
                              warehouse_id: int | None, limit: int) -> list[Suggestion]:
    """Reorder suggestions for one warehouse (or every warehouse the caller may see)."""
    if warehouse_id is not None:
        if repo.get_visible_warehouse(session, principal, warehouse_id) is None:
            raise NotFound("Warehouse not found", field=["warehouseId"])
        targets = [warehouse_id]
    else:
        targets = repo.visible_active_warehouse_ids(session, principal)
    return suggest(session, targets, limit) if targets else []
