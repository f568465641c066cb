"""SQL for the stock movement ledger (read side), with the WAREHOUSE scope applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.inventory.models import StockMovement
from app.inventory.repository import in_scope, like
from app.persistence.pagination import Page, PageRequest, SortKey, paginate


class MovementSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SORTS: dict[MovementSort, SortKey] = {
    MovementSort.CREATED_AT_DESC: [(StockMovement.created_at, True)],
    MovementSort.CREATED_AT_ASC: [(StockMovement.created_at, False)],
}


@dataclass(frozen=True)
class MovementFilter:
    product_id: int | None = None
    warehouse_id: int | None = None
    kinds: tuple[str, ...] | None = None
    reason: str | None = None  # substring of the reason
    reference_type: str | None = None
    reference_id: int | None = None
    external_reference: str | None = None
    actor_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def list_movements(session: Session, principal: Principal, flt: MovementFilter,
                   sort: MovementSort, page: PageRequest) -> Page[StockMovement]:
    stmt = in_scope(select(StockMovement), principal, StockMovement.warehouse_id)
    equal = ((StockMovement.product_id, flt.product_id),
             (StockMovement.warehouse_id, flt.warehouse_id),
             (StockMovement.reference_type, flt.reference_type),
             (StockMovement.reference_id, flt.reference_id),
             (StockMovement.external_reference, flt.external_reference),
             (StockMovement.actor_id, flt.actor_id))
    for column, value in equal:
        if value is not None:
            stmt = stmt.where(column == value)
    if flt.kinds is not None:
        stmt = stmt.where(StockMovement.kind.in_(list(flt.kinds)))
    if flt.reason and flt.reason.strip():
        stmt = stmt.where(StockMovement.reason.ilike(like(flt.reason), escape="\\"))
    if flt.created_after is not None:
        stmt = stmt.where(StockMovement.created_at >= flt.created_after)
    if flt.created_before is not None:
        stmt = stmt.where(StockMovement.created_at < flt.created_before)
    return paginate(session, stmt, _SORTS[sort], page, StockMovement.id)


def get_visible_movement(session: Session, principal: Principal,
                         movement_id: int) -> StockMovement | None:
    stmt = in_scope(select(StockMovement).where(StockMovement.id == movement_id), principal,
                    StockMovement.warehouse_id)
    return session.exec(stmt).first()


def movements_by_ids(session: Session, ids: Sequence[int]) -> dict[int, StockMovement]:
    stmt = select(StockMovement).where(StockMovement.id.in_(list(ids)))
    return {m.id: m for m in session.exec(stmt)}
