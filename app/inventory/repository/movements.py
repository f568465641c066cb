"""SQL for the stock movement ledger: its rows written (append-only, in bulk before
commit) and read, with the WAREHOUSE scope applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from app.auth.principal import Principal
from app.inventory.models import MovementKind, StockMovement
from app.inventory.repository.warehouses import in_scope, owned
from app.persistence.columns import utcnow
from app.persistence.fast import bulk
from app.persistence.repository import (
    Page,
    PageRequest,
    contains,
    equal,
    in_period,
    one_of,
    paginate,
    sort_table,
    where,
)

_TABLE = StockMovement.__table__


def add_movement(session: Session, line: Any, kind: MovementKind, ref: Any, owner: int | None,
                 on_hand: int = 0, reserved: int = 0) -> None:
    """The movement row of a ledger line (product_id, warehouse_id) for a reference
    (app/inventory/ledger.py Reference) of the goods of `owner` (a consignor, None: the
    company's), written in bulk before commit (app/persistence/fast/bulk.py)."""
    bulk.defer(session, _TABLE, {
        "product_id": line.product_id, "warehouse_id": line.warehouse_id, "kind": kind.value,
        "on_hand_delta": on_hand, "reserved_delta": reserved, "reason": ref.reason,
        "reference_type": ref.type, "reference_id": ref.id, "actor_id": ref.actor_id,
        "external_reference": ref.external, "created_at": utcnow(),
        "consignor_id": owner, "asn_reference": ref.asn,
    })


class MovementSort(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


_SORTS = sort_table(MovementSort, {"CREATED_AT": StockMovement.created_at})


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
    consignor_id: int | None = None  # one consignor's goods
    consigned: bool | None = None  # any consignor's (True) or the company's own (False)
    asn_reference: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def list_movements(session: Session, principal: Principal, flt: MovementFilter,
                   sort: MovementSort, page: PageRequest) -> Page[StockMovement]:
    return paginate(session, filtered(principal, flt), _SORTS[sort], page, StockMovement.id)


def scope(stmt, principal: Principal):  # noqa: ANN001, ANN201
    """The movements a principal reads: WAREHOUSE its warehouses', CONSIGNOR its goods'."""
    return owned(in_scope(stmt, principal, StockMovement.warehouse_id), principal,
                 StockMovement.consignor_id)


def filtered(principal: Principal, flt: MovementFilter):  # noqa: ANN201
    """The list's statement: the principal's movements that match `flt` (the list and the
    bulk export read the same rows: app/exports/)."""
    return where(scope(select(StockMovement), principal),
                 equal(StockMovement.product_id, flt.product_id),
                 equal(StockMovement.warehouse_id, flt.warehouse_id),
                 equal(StockMovement.reference_type, flt.reference_type),
                 equal(StockMovement.reference_id, flt.reference_id),
                 equal(StockMovement.external_reference, flt.external_reference),
                 equal(StockMovement.actor_id, flt.actor_id),
                 equal(StockMovement.consignor_id, flt.consignor_id),
                 equal(StockMovement.asn_reference, flt.asn_reference),
                 None if flt.consigned is None else StockMovement.consignor_id.is_not(None)
                 if flt.consigned else StockMovement.consignor_id.is_(None),
                 one_of(StockMovement.kind, flt.kinds),
                 contains(flt.reason, StockMovement.reason),
                 in_period(StockMovement.created_at, flt.created_after, flt.created_before))


def get_visible_movement(session: Session, principal: Principal,
                         movement_id: int) -> StockMovement | None:
    stmt = scope(select(StockMovement).where(StockMovement.id == movement_id), principal)
    return session.exec(stmt).first()


def movements_by_ids(session: Session, ids: Sequence[int]) -> dict[int, StockMovement]:
    stmt = select(StockMovement).where(StockMovement.id.in_(list(ids)))
    return {m.id: m for m in session.exec(stmt)}
