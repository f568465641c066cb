"""The stock ledger primitives: every change to on_hand/reserved is a conditional
UPDATE plus a movement row (their SQL: app/inventory/repository/levels.py and
movements.py), taken in a fixed (product, warehouse) order.

Never check-then-act: the WHERE clause of each UPDATE is the check, so two
transactions cannot both take the last unit (docs/architecture.md#stock).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlmodel import Session

from app.errors import DomainError, ErrorCode
from app.inventory import repository as repo
from app.inventory.models import MovementKind
from app.inventory.repository.levels import Changed
from app.persistence import retry
from app.sync import capture as sync_capture

# Ceiling for on_hand: well inside a 32-bit INTEGER, so no receipt can overflow the column.
MAX_ON_HAND = 2_000_000_000


@dataclass(frozen=True)
class StockLine:
    product_id: int
    warehouse_id: int
    quantity: int


class InsufficientStock(DomainError):
    code = ErrorCode.INSUFFICIENT_STOCK

    def __init__(self, product_id: int, warehouse_id: int, requested: int,
                 field: list[str] | None = None) -> None:
        super().__init__(
            f"insufficient stock for product {product_id} in warehouse {warehouse_id} "
            f"(requested {requested})", field=field)
        self.product_id = product_id
        self.warehouse_id = warehouse_id


@dataclass(frozen=True)
class Reference:
    type: str | None  # e.g. "Order"; None for manual stock work
    id: int | None
    actor_id: int | None = None
    reason: str = ""
    external: str | None = None  # a document outside the system (delivery note, count sheet)
    asn: str | None = None  # a consignor's advance shipping notice (a receipt of its goods)


def _change(session: Session, change: object, line: StockLine,
            **extra: int) -> Changed | None:
    """Apply a level change; a level that changed is a change for the delta sync (no audit
    names it: docs/architecture.md#delta-sync)."""
    level = repo.change_level(session, change, line, **extra)
    if level is not None:
        sync_capture.touch_rows(session, "StockLevel", (level.level_id,))
    return level


def _changes(session: Session, change: object, lines: list[StockLine]
             ) -> Iterator[tuple[StockLine, Changed | None]]:
    """`_change` for each of `lines` (merged), in one statement where the database allows."""
    for line, level in zip(lines, repo.change_levels(session, change, lines), strict=False):
        if level is not None:
            sync_capture.touch_rows(session, "StockLevel", (level.level_id,))
        yield line, level


def _merge(lines: Iterable[StockLine]) -> list[StockLine]:
    """Sum duplicates and sort by (product, warehouse): the fixed lock order."""
    totals: dict[tuple[int, int], int] = {}
    for line in lines:
        if line.quantity < 0:
            raise DomainError("quantity must not be negative", field=["quantity"])
        if line.quantity == 0:
            continue
        key = (line.product_id, line.warehouse_id)
        totals[key] = totals.get(key, 0) + line.quantity
    return [StockLine(p, w, q) for (p, w), q in sorted(totals.items())]


def reserve(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    """Reserve all lines or raise InsufficientStock (the caller's transaction rolls back)."""
    for line, level in _changes(session, repo.RESERVE, _merge(lines)):
        if level is None:
            raise InsufficientStock(line.product_id, line.warehouse_id, line.quantity)
        repo.add_movement(session, line, MovementKind.RESERVATION, ref, level.consignor_id,
                          reserved=line.quantity)


def reserve_with_last_rows(session: Session, lines: Iterable[StockLine], ref: Reference,
                           product_ids: Iterable[int],
                           levels: dict[tuple[int, int], tuple[int, int | None]]) -> None:
    """Reserve all lines with the unit's last rows (PostgreSQL), every stock row of
    `product_ids` locked first in the fixed order; `levels`: (level id, consignor id) of
    each line's level, as read. Where a level no longer has the stock by then, the unit
    runs again (app/persistence/retry.py) and its caller reserves at once."""
    merged = _merge(lines)
    retry.expect_at_end(session, repo.reserve_levels_query(merged, product_ids), len(merged))
    for line in merged:
        level_id, consignor_id = levels[(line.product_id, line.warehouse_id)]
        sync_capture.touch_rows(session, "StockLevel", (level_id,))
        repo.add_movement(session, line, MovementKind.RESERVATION, ref, consignor_id,
                          reserved=line.quantity)


def release(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    for line, level in _changes(session, repo.RELEASE, _merge(lines)):
        q = line.quantity
        if level is None:
            raise DomainError(f"cannot release {q}: not reserved", code=ErrorCode.CONFLICT)
        repo.add_movement(session, line, MovementKind.RELEASE, ref, level.consignor_id,
                          reserved=-q)


def ship(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    """Reserved stock leaves the building: on_hand and reserved both drop."""
    for line, level in _changes(session, repo.SHIP, _merge(lines)):
        q = line.quantity
        if level is None:
            raise DomainError(f"cannot ship {q}: not reserved", code=ErrorCode.CONFLICT)
        repo.add_movement(session, line, MovementKind.SHIPMENT, ref, level.consignor_id,
                          on_hand=-q, reserved=-q)


def add_on_hand(session: Session, line: StockLine, kind: MovementKind, ref: Reference) -> None:
    """Receipts, restocks, positive adjustments (creates the level if needed)."""
    if line.quantity < 0:
        raise DomainError("quantity must not be negative", field=["quantity"])
    repo.ensure_level(session, line.product_id, line.warehouse_id)
    level = _change(session, repo.ADD, line, limit=MAX_ON_HAND - line.quantity)
    if level is None:
        raise DomainError(f"on hand would exceed {MAX_ON_HAND}", field=["quantity"],
                          code=ErrorCode.QUANTITY_EXCEEDED)
    repo.add_movement(session, line, kind, ref, level.consignor_id, on_hand=line.quantity)


def remove_on_hand(session: Session, line: StockLine, kind: MovementKind, ref: Reference) -> None:
    """Negative adjustments, scrap, transfer out: only unreserved stock may go."""
    level = _change(session, repo.REMOVE, line)
    if level is None:
        raise InsufficientStock(line.product_id, line.warehouse_id, line.quantity)
    repo.add_movement(session, line, kind, ref, level.consignor_id, on_hand=-line.quantity)
