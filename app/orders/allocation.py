"""Which warehouse ships which line, and the stock reservations that follow.

Where stock is reserved (decided here, used by approval and scheduling):
- approval plans with the same algorithm scheduling uses and reserves that plan,
  so a CONFIRMED order already holds stock where it will most likely ship from;
- scheduling re-plans with the order's own reservation counted as available; if
  the plan changed (stock moved, a warehouse was chosen explicitly) the old
  reservations are released and the new ones reserved in the same transaction.

The plan: one warehouse when one can cover the whole order (the customer's
region first), otherwise a split per line, region first then most stock. Stock
rows of the order's products are locked up front in (product, warehouse) order,
so the plan cannot go stale before the conditional reserve runs and concurrent
approvals never deadlock; the ledger's conditional UPDATE remains the final check.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from app.errors import DomainError, ErrorCode, ValidationFailed
from app.inventory import ledger
from app.orders import repository as repo
from app.orders.models import Order, OrderAllocation, OrderLine
from app.persistence import retry


@dataclass(frozen=True)
class Slot:
    line_id: int
    product_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class Site:
    """A warehouse as planning sees it."""

    id: int
    region: str


@dataclass
class Stock:
    """Available units per (product, warehouse), and the active warehouses holding them."""

    available: dict[tuple[int, int], int]
    warehouses: list[Site]
    # (level id, consignor id) per (product, warehouse)
    levels: dict[tuple[int, int], tuple[int, int | None]] = field(default_factory=dict)


def load_stock(session: Session, product_ids: Sequence[int], customer_id: int, *,
               locked: bool = True) -> Stock:
    """Read (and, `locked`, lock) the stock of these products in the ledger's fixed order,
    with their active warehouses (a warehouse without a row for these products could take
    no line, so planning needs no others). Only stock the customer's orders may take
    counts: the consignor's own for a consignor, the company's for anyone else
    (docs/architecture.md#consignors)."""
    available: dict[tuple[int, int], int] = {}
    regions: dict[int, str] = {}
    levels: dict[tuple[int, int], tuple[int, int | None]] = {}
    rows = repo.stock_rows(session, product_ids, customer_id, locked=locked)
    for product_id, warehouse_id, on_hand, reserved, region, level_id, consignor_id in rows:
        available[(product_id, warehouse_id)] = on_hand - reserved
        regions[warehouse_id] = region
        levels[(product_id, warehouse_id)] = (level_id, consignor_id)
    return Stock(available=available,
                 warehouses=[Site(w, r) for w, r in sorted(regions.items())], levels=levels)


def _shortage(line: OrderLine, index: int, short: int) -> DomainError:
    return DomainError(f"insufficient stock for {line.sku}: {short} of {line.quantity} "
                       "cannot be reserved", field=["lines", str(index), "quantity"],
                       code=ErrorCode.INSUFFICIENT_STOCK)


def plan(lines: Sequence[OrderLine], stock: Stock, region: str,
         only_warehouse: int | None = None) -> list[Slot]:
    """The allocation for `lines`, or INSUFFICIENT_STOCK naming every short line."""
    avail = stock.available
    preferred = sorted(stock.warehouses, key=lambda w: (w.region != region, w.id))
    if only_warehouse is not None:
        preferred = [w for w in preferred if w.id == only_warehouse]
    for w in preferred:  # one warehouse for everything, if any can
        if all(avail.get((ln.product_id, w.id), 0) >= ln.quantity for ln in lines):
            return [Slot(ln.id, ln.product_id, w.id, ln.quantity) for ln in lines]
    slots: list[Slot] = []
    errors = []
    left = dict(avail)
    for index, line in enumerate(lines):
        need = line.quantity
        ranked = sorted(preferred, key=lambda w, p=line.product_id: (
            w.region != region, -left.get((p, w.id), 0), w.id))
        for w in ranked:
            take = min(need, max(left.get((line.product_id, w.id), 0), 0))
            if take:
                slots.append(Slot(line.id, line.product_id, w.id, take))
                left[(line.product_id, w.id)] -= take
                need -= take
        if need:
            errors.append(_shortage(line, index, need))
    if errors:
        raise ValidationFailed(errors) if len(errors) > 1 else errors[0]
    return slots


def _stock_lines(slots: Sequence[Slot]) -> list[ledger.StockLine]:
    return [ledger.StockLine(s.product_id, s.warehouse_id, s.quantity) for s in slots]


def reserve(session: Session, order: Order, lines: Sequence[OrderLine], region: str,
            ref: ledger.Reference) -> list[Slot]:
    """Plan and reserve stock for an order that holds none yet (approval, the last step of
    its unit of work: the allocation rows are written with the unit's other rows).

    On PostgreSQL the plan is made on stock read without locks, and the reservation goes
    with the unit's last rows, locking every stock row of the products (in the ledger's
    order) as it applies the plan where stock still allows: the rows stay locked for two
    round trips, which is what caps approvals of the same products
    (docs/architecture.md#optimistic-reservation). Where another order took the stock in
    between, the unit runs again and plans on the rows it locks first, as SQLite's one
    writer always can (nothing moves between its read and its reservation)."""
    product_ids = [ln.product_id for ln in lines]
    optimistic = (session.get_bind().dialect.name == "postgresql"
                  and not retry.retrying(session))
    stock = load_stock(session, product_ids, order.customer_id, locked=not optimistic)
    slots = plan(lines, stock, region)
    if optimistic:
        ledger.reserve_with_last_rows(session, _stock_lines(slots), ref, product_ids,
                                      stock.levels)
    else:
        ledger.reserve(session, _stock_lines(slots), ref)
    repo.insert_allocations(session, order.id, slots, deferred=True)
    return slots


def outstanding(allocations: Sequence[OrderAllocation]) -> list[Slot]:
    """What is still reserved (allocated and not shipped)."""
    return [Slot(a.order_line_id, a.product_id, a.warehouse_id, a.quantity - a.quantity_shipped)
            for a in allocations if a.quantity > a.quantity_shipped]


def rebalance(session: Session, order: Order, lines: Sequence[OrderLine],
              allocations: Sequence[OrderAllocation], region: str, ref: ledger.Reference,
              only_warehouse: int | None = None) -> tuple[bool, list[Slot]]:
    """Re-plan an unshipped order with its own reservation counted back in.

    Returns whether reservations moved (release + reserve, one transaction) and
    the allocation now in force.
    """
    current = outstanding(allocations)
    stock = load_stock(session, [ln.product_id for ln in lines], order.customer_id)
    for s in current:  # our own units are available to us
        key = (s.product_id, s.warehouse_id)
        stock.available[key] = stock.available.get(key, 0) + s.quantity
    slots = plan(lines, stock, region, only_warehouse)
    if Counter(slots) == Counter(current):
        return False, current
    ledger.release(session, _stock_lines(current), ref)
    ledger.reserve(session, _stock_lines(slots), ref)
    repo.delete_allocations(session, order.id)
    repo.insert_allocations(session, order.id, slots)
    return True, slots


def release_all(session: Session, order: Order, allocations: Sequence[OrderAllocation],
                ref: ledger.Reference) -> int:
    """Give back every unshipped reservation (cancellation). Returns the units released."""
    current = outstanding(allocations)
    if current:
        ledger.release(session, _stock_lines(current), ref)
    for a in allocations:
        if a.quantity_shipped:
            a.quantity = a.quantity_shipped
            session.add(a)
        else:
            session.delete(a)
    session.flush()
    return sum(s.quantity for s in current)


def warehouses_of(slots: Sequence[Slot]) -> dict[int, int]:
    """Units per warehouse, for event details."""
    out: dict[int, int] = defaultdict(int)
    for s in slots:
        out[s.warehouse_id] += s.quantity
    return dict(out)
