"""A hand-computed RFM fixture: orders written as rows with the dates and totals the
expected scores were worked out from (tests/segments/test_segments.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from app.orders.models import Order, OrderLine
from app.segments.scoring import SegmentRules
from tests.support import unique

T = datetime(2026, 6, 1, tzinfo=UTC)  # the recompute's "now"
THRESHOLDS = SegmentRules(scoring="thresholds")  # the defaults: 30/60/120/240 days, ...


def day(offset: int) -> datetime:
    return T + timedelta(days=offset)


def write_orders(uow: Any, customer_id: int, specs: list[tuple[int, str, str]],
                 lines: list[tuple[Any, int]] = ()) -> list[int]:
    """One order per (day offset, total, status), each with `lines` (product, quantity)."""
    ids = []
    for offset, total, status in specs:
        at = day(offset)
        order_id = uow.session.execute(insert(Order.__table__).values(
            number=unique("SO-"), customer_id=customer_id, status=status,
            total=Decimal(total), subtotal=Decimal(total), created_at=at, updated_at=at,
        ).returning(Order.__table__.c.id)).scalar_one()
        for product, quantity in lines:
            uow.session.execute(insert(OrderLine.__table__).values(
                order_id=order_id, product_id=product.id, sku=product.sku, name=product.name,
                quantity=quantity, unit_price=Decimal("1"), line_total=Decimal(quantity)))
        ids.append(order_id)
    return ids


# customer -> (orders as (day offset, total, status), expected (R, F, M), segment,
#              cadence days, next order offset)
CASES: dict[str, tuple[list[tuple[int, str, str]], tuple[int, int, int], str,
                       float | None, int | None]] = {
    # last 5 days ago: R 5; 5 orders: F 4; 25,000: M 4 -> VIP; gaps 10 -> next in 5 days
    "vip": ([(-5, "5000", "COMPLETED"), (-15, "5000", "COMPLETED"),
             (-25, "5000", "DELIVERED"), (-35, "5000", "COMPLETED"),
             (-45, "5000", "COMPLETED")], (5, 4, 4), "VIP", 10.0, 5),
    # 200 days: R 2; 3 orders: F 3; 9,000: M 3 -> high value, not recent: AT_RISK;
    # gaps 10 and 20 -> mean 15
    "at_risk": ([(-200, "3000", "COMPLETED"), (-210, "3000", "COMPLETED"),
                 (-230, "3000", "COMPLETED")], (2, 3, 3), "AT_RISK", 15.0, -185),
    # 300 days, one order of 500: (1, 1, 1) -> LOST, no cadence
    "lost": ([(-300, "500", "COMPLETED")], (1, 1, 1), "LOST", None, None),
    # 10 days, one order of 800 (a cancelled one does not count): (5, 1, 1) -> POTENTIAL
    "potential": ([(-10, "800", "CONFIRMED"), (-1, "99999", "CANCELLED")], (5, 1, 1),
                  "POTENTIAL", None, None),
    # 50 days: R 4; 4 orders: F 3; 6,000: M 3 -> REGULAR; gaps 30, 10, 20 -> mean 20
    "regular": ([(-50, "1500", "COMPLETED"), (-80, "1500", "COMPLETED"),
                 (-90, "1500", "COMPLETED"), (-110, "1500", "COMPLETED")], (4, 3, 3),
                "REGULAR", 20.0, -30),
}
