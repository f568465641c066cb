"""Reorder suggestions per (product, warehouse).

    available          = on_hand - reserved
    open demand        = units ordered on DRAFT / PENDING_REVIEW / ON_HOLD orders and not yet
                         reserved; such orders have no warehouse yet, so a product's open
                         demand is shared across the active warehouses stocking it in
                         proportion to their available stock (evenly when none has any),
                         rounded by largest remainder so the shares add up exactly
    projected          = available + incoming - open demand share
    reorder level      = max(reorder_point, safety_stock)
    target level       = reorder level + safety_stock
    suggested quantity = target level - projected, when projected <= reorder level
                         (rows with nothing to order are left out)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from app.inventory import repository as repo
from app.inventory.models import StockLevel


@dataclass(frozen=True)
class Suggestion:
    level: StockLevel
    available: int
    open_demand: int  # this warehouse's share
    product_open_demand: int  # the product's open demand across all warehouses
    projected_available: int
    reorder_level: int
    target_level: int
    suggested_quantity: int


def split_demand(total: int, weights: Mapping[int, int]) -> dict[int, int]:
    """Apportion `total` over the keys by non-negative weights (largest remainder)."""
    keys = sorted(weights)
    if not keys or total <= 0:
        return dict.fromkeys(keys, 0)
    w = {k: max(weights[k], 0) for k in keys}
    denominator = sum(w.values())
    if denominator == 0:
        w, denominator = dict.fromkeys(keys, 1), len(keys)
    shares = {k: total * w[k] // denominator for k in keys}
    left = total - sum(shares.values())
    by_remainder = sorted(keys, key=lambda k: (-(total * w[k] % denominator), k))
    for k in by_remainder[:left]:
        shares[k] += 1
    return shares


def plan(level: StockLevel, share: int, product_demand: int) -> Suggestion | None:
    available = level.on_hand - level.reserved
    projected = available + level.incoming - share
    reorder_level = max(level.reorder_point, level.safety_stock)
    target = reorder_level + level.safety_stock
    quantity = target - projected
    if projected > reorder_level or quantity <= 0:
        return None
    return Suggestion(level=level, available=available, open_demand=share,
                      product_open_demand=product_demand, projected_available=projected,
                      reorder_level=reorder_level, target_level=target,
                      suggested_quantity=quantity)


def suggest(session: Session, warehouse_ids: Sequence[int], limit: int) -> list[Suggestion]:
    """Three queries whatever the number of products; the most urgent rows first."""
    levels = repo.replenishment_levels(session, warehouse_ids)
    network: dict[int, dict[int, int]] = defaultdict(dict)
    for (pid, wid), available in repo.network_available(session, warehouse_ids).items():
        network[pid][wid] = available
    demand = repo.open_demand(session, warehouse_ids)
    shares: dict[int, dict[int, int]] = {}
    out: list[Suggestion] = []
    for level in levels:
        pid = level.product_id
        if pid not in shares:
            shares[pid] = split_demand(demand.get(pid, 0), network[pid])
        suggestion = plan(level, shares[pid].get(level.warehouse_id, 0), demand.get(pid, 0))
        if suggestion is not None:
            out.append(suggestion)
    out.sort(key=lambda s: (-s.suggested_quantity, s.level.product_id, s.level.warehouse_id))
    return out[:limit]
