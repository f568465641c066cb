"""The stock ledger primitives: every change to on_hand/reserved is a conditional
UPDATE plus a movement row, taken in a fixed (product, warehouse) order.

Never check-then-act: the WHERE clause of each UPDATE is the check, so two
transactions cannot both take the last unit (DESIGN.md "Persistence and speed").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from app.errors import DomainError, ErrorCode
from app.inventory.models import MovementKind, StockLevel, StockMovement
from app.persistence.columns import utcnow
from app.persistence.fast import bulk, statements

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
    """The ledger row: append-only, written in bulk before commit (app.persistence.fast.bulk)."""
    bulk.defer(session, _MOVEMENTS, {
        "product_id": line.product_id, "warehouse_id": line.warehouse_id, "kind": kind.value,
        "on_hand_delta": on_hand, "reserved_delta": reserved, "reason": ref.reason,
        "reference_type": ref.type, "reference_id": ref.id, "actor_id": ref.actor_id,
        "external_reference": ref.external, "created_at": utcnow(),
    })


_LEVELS = StockLevel.__table__
_ON_HAND, _RESERVED, _Q = _LEVELS.c.on_hand, _LEVELS.c.reserved, bindparam("q", type_=Integer)


def _update(values: dict, condition) -> object:  # noqa: ANN001
    """A conditional UPDATE of one level, built once and run with bound parameters."""
    return (update(_LEVELS)
            .where(_LEVELS.c.product_id == bindparam("pid"),
                   _LEVELS.c.warehouse_id == bindparam("wid"), condition)
            .values(**values, updated_at=bindparam("now", type_=_LEVELS.c.updated_at.type)))


_RESERVE = _update({"reserved": _RESERVED + _Q}, _ON_HAND - _RESERVED >= _Q)
_RELEASE = _update({"reserved": _RESERVED - _Q}, _RESERVED >= _Q)
_SHIP = _update({"on_hand": _ON_HAND - _Q, "reserved": _RESERVED - _Q}, _RESERVED >= _Q)
# `on_hand <= limit` with limit = MAX_ON_HAND - q: the sum is never computed, so never overflows
_LIMIT = bindparam("limit", type_=Integer)
_ADD = _update({"on_hand": _ON_HAND + _Q}, _ON_HAND <= _LIMIT)
_REMOVE = _update({"on_hand": _ON_HAND - _Q}, _ON_HAND - _RESERVED >= _Q)


def _apply(session: Session, line: StockLine, stmt, **extra: int) -> bool:  # noqa: ANN001
    params = {"pid": line.product_id, "wid": line.warehouse_id,
              "q": line.quantity, "now": utcnow(), **extra}
    return statements.change(session, stmt, params) == 1


def reserve(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    """Reserve all lines or raise InsufficientStock (the caller's transaction rolls back)."""
    for line in _merge(lines):
        if not _apply(session, line, _RESERVE):
            raise InsufficientStock(line.product_id, line.warehouse_id, line.quantity)
        _movement(session, line, MovementKind.RESERVATION, ref, reserved=line.quantity)


def release(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    for line in _merge(lines):
        q = line.quantity
        if not _apply(session, line, _RELEASE):
            raise DomainError(f"cannot release {q}: not reserved", code=ErrorCode.CONFLICT)
        _movement(session, line, MovementKind.RELEASE, ref, reserved=-q)


def ship(session: Session, lines: Iterable[StockLine], ref: Reference) -> None:
    """Reserved stock leaves the building: on_hand and reserved both drop."""
    for line in _merge(lines):
        q = line.quantity
        if not _apply(session, line, _SHIP):
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
    if not _apply(session, line, _ADD, limit=MAX_ON_HAND - line.quantity):
        raise DomainError(f"on hand would exceed {MAX_ON_HAND}", field=["quantity"],
                          code=ErrorCode.QUANTITY_EXCEEDED)
    _movement(session, line, kind, ref, on_hand=line.quantity)


def remove_on_hand(session: Session, line: StockLine, kind: MovementKind, ref: Reference) -> None:
    """Negative adjustments, scrap, transfer out: only unreserved stock may go."""
    if not _apply(session, line, _REMOVE):
        raise InsufficientStock(line.product_id, line.warehouse_id, line.quantity)
    _movement(session, line, kind, ref, on_hand=-line.quantity)
