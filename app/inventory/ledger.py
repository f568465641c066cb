"""The stock ledger primitives: every change to on_hand/reserved is a conditional
UPDATE plus a movement row, taken in a fixed (product, warehouse) order.

Never check-then-act: the WHERE clause of each UPDATE is the check, so two
transactions cannot both take the last unit (DESIGN.md "Persistence and speed").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app import bulk
from app.db_types import utcnow
from app.errors import DomainError, ErrorCode
from app.inventory.models import MovementKind, StockLevel, StockMovement

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


_MOVEMENTS = StockMovement.__table__


def _movement(session: Session, line: StockLine, kind: MovementKind, ref: Reference,
              on_hand: int = 0, reserved: int = 0) -> None:
    """The ledger row: append-only, written in bulk before commit (app.bulk)."""
    bulk.defer(session, _MOVEMENTS, {
        "product_id": line.product_id, "warehouse_id": line.warehouse_id, "kind": kind.value,
        "on_hand_delta": on_hand, "reserved_delta": reserved, "reason": ref.reason,
        "reference_type": ref.type, "reference_id": ref.id, "actor_id": ref.actor_id,
        "external_reference": ref.external, "created_at": utcnow(),
    })


def _apply(session: Session, line: StockLine, values: dict, condition) -> bool:  # noqa: ANN001
    stmt = (update(StockLevel)
            .where(StockLevel.product_id == line.product_id,
                   StockLevel.warehouse_id == line.warehouse_id, condition)
            .values(**values, updated_at=utcnow())
            .execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def reserve(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    """Reserve all lines or raise InsufficientStock (the caller's transaction rolls back)."""
    for line in _merge(lines):
        q = line.quantity
        ok = _apply(session, line, {"reserved": StockLevel.reserved + q},
                    StockLevel.on_hand - StockLevel.reserved >= q)
        if not ok:
            raise InsufficientStock(line.product_id, line.warehouse_id, q)
        _movement(session, line, MovementKind.RESERVATION, ref, reserved=q)


def release(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    for line in _merge(lines):
        q = line.quantity
        if not _apply(session, line, {"reserved": StockLevel.reserved - q},
                      StockLevel.reserved >= q):
            raise DomainError(f"cannot release {q}: not reserved", code=ErrorCode.CONFLICT)
        _movement(session, line, MovementKind.RELEASE, ref, reserved=-q)


def ship(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    """Reserved stock leaves the building: on_hand and reserved both drop."""
    for line in _merge(lines):
        q = line.quantity
        if not _apply(session, line, {"on_hand": StockLevel.on_hand - q,
                                      "reserved": StockLevel.reserved - q},
                      StockLevel.reserved >= q):
            raise DomainError(f"cannot ship {q}: not reserved", code=ErrorCode.CONFLICT)
        _movement(session, line, MovementKind.SHIPMENT, ref, on_hand=-q, reserved=-q)


def ensure_level(session: Session, product_id: int, warehouse_id: int) -> StockLevel:
    """The stock level row, created empty if this product was never stocked here."""
    stmt = select(StockLevel).where(StockLevel.product_id == product_id,
                                    StockLevel.warehouse_id == warehouse_id)
    level = session.exec(stmt).first()
    if level is None:
        # INSERT .. ON CONFLICT DO NOTHING: two first receipts racing cannot both insert.
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(insert(StockLevel).values(
            product_id=product_id, warehouse_id=warehouse_id, updated_at=utcnow(),
        ).on_conflict_do_nothing(index_elements=["product_id", "warehouse_id"]))
        level = session.exec(stmt).one()
    return level


def add_on_hand(session: Session, line: StockLine, kind: MovementKind, ref: Reference) -> None:
    """Receipts, restocks, positive adjustments (creates the level if needed)."""
    if line.quantity < 0:
        raise DomainError("quantity must not be negative", field=["quantity"])
    ensure_level(session, line.product_id, line.warehouse_id)
    if not _apply(session, line, {"on_hand": StockLevel.on_hand + line.quantity},
                  StockLevel.on_hand <= MAX_ON_HAND - line.quantity):
        raise DomainError(f"on hand would exceed {MAX_ON_HAND}", field=["quantity"],
                          code=ErrorCode.QUANTITY_EXCEEDED)
    _movement(session, line, kind, ref, on_hand=line.quantity)


def remove_on_hand(session: Session, line: StockLine, kind: MovementKind, ref: Reference) -> None:
    """Negative adjustments, scrap, transfer out: only unreserved stock may go."""
    q = line.quantity
    if not _apply(session, line, {"on_hand": StockLevel.on_hand - q},
                  StockLevel.on_hand - StockLevel.reserved >= q):
        raise InsufficientStock(line.product_id, line.warehouse_id, q)
    _movement(session, line, kind, ref, on_hand=-q)
