"""Demo stock levels and the movement ledger that explains them.

Every level is the sum of its movements: one opening receipt, a reservation per
line of each approved order, a shipment per dispatched parcel line and a release
per line of orders cancelled after approval. The opening receipt is sized so the
final level keeps `reserved <= on_hand` (a few levels end low or sold out on purpose).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.demo.orders import OrderPlan

# ("Order", order index) | ("Shipment", order index, shipment index) | None (receipt)
Ref = tuple[Any, ...] | None


@dataclass
class Movement:
    product: int
    warehouse: int
    kind: str
    on_hand: int
    reserved: int
    reason: str
    ref: Ref
    created_at: datetime


def order_movements(orders: list[OrderPlan]) -> list[Movement]:
    out: list[Movement] = []
    for o_index, plan in enumerate(orders):
        if not plan.reserved:
            continue
        at = plan.times["CONFIRMED"]
        for line in plan.lines:
            out.append(Movement(line.product, plan.warehouse, "RESERVATION", 0, line.quantity,
                                "approved", ("Order", o_index), at))
        for s_index, ship in enumerate(plan.shipments):
            if ship.shipped_at is None:
                continue
            for l_index, qty in ship.lines:
                out.append(Movement(plan.lines[l_index].product, ship.warehouse, "SHIPMENT",
                                    -qty, -qty, "shipped", ("Shipment", o_index, s_index),
                                    ship.shipped_at))
        if plan.released:
            for line in plan.lines:
                out.append(Movement(line.product, plan.warehouse, "RELEASE", 0, -line.quantity,
                                    "cancelled", ("Order", o_index), plan.times["CANCELLED"]))
    return out


def _policy(price: Decimal) -> tuple[int, tuple[int, int]]:
    """(safety stock, normal spare units) by price band."""
    if price < 30:
        return 50, (150, 900)
    if price < 200:
        return 20, (60, 400)
    return (10, (20, 150)) if price < 1000 else (3, (5, 40))


def plan_stock(rng: random.Random, products: list[dict[str, Any]], warehouses: int,
               orders: list[OrderPlan], now: datetime
               ) -> tuple[list[dict[str, Any]], list[Movement]]:
    """Stock level rows (product/warehouse as indexes) and every movement, receipts first
    (before the oldest order)."""
    moves = sorted(order_movements(orders), key=lambda m: m.created_at)
    on_hand: dict[tuple[int, int], int] = defaultdict(int)
    reserved: dict[tuple[int, int], int] = defaultdict(int)
    # The opening receipt must cover the peak of reserved - on_hand at every moment,
    # not only at the end (orders reserved then cancelled count while they hold stock).
    peak: dict[tuple[int, int], int] = defaultdict(int)
    for m in moves:
        key = (m.product, m.warehouse)
        on_hand[key] += m.on_hand
        reserved[key] += m.reserved
        peak[key] = max(peak[key], reserved[key] - on_hand[key])
    levels: list[dict[str, Any]] = []
    receipts: list[Movement] = []
    opening = now - timedelta(days=200)
    for p_index, product in enumerate(products):
        safety, spare_range = _policy(product["price"])
        for w in range(warehouses):
            key = (p_index, w)
            roll = rng.random()
            spare = 0 if roll < 0.04 else rng.randint(1, safety - 1) if roll < 0.14 and \
                safety > 1 else rng.randint(*spare_range)
            # on_hand[key] is minus the units shipped: receipts make up the difference
            received = max(reserved[key] + spare - on_hand[key], peak[key])
            final_on_hand = received + on_hand[key]
            if received:
                receipts.append(Movement(p_index, w, "RECEIPT", received, 0,
                                         "期初入库 opening stock", None,
                                         opening + timedelta(minutes=len(receipts))))
            low = final_on_hand - reserved[key] < safety
            levels.append({
                "product": p_index, "warehouse": w, "on_hand": final_on_hand,
                "reserved": reserved[key], "safety_stock": safety,
                "reorder_point": safety * 2,
                "incoming": safety * 4 if low and rng.random() < 0.5 else 0,
                "updated_at": now,
            })
    return levels, receipts + moves
