"""Order numbers: `SO-<yyyymmdd>-<id>`, unique because the id is.

The row is inserted with a placeholder first (the column is unique and NOT
NULL), then numbered from its id: no counter table, no race between writers.
"""

from __future__ import annotations

from app.ids import process_unique
from app.orders.models import Order


def placeholder() -> str:
    """Unique until the number replaces it in the same transaction (never seen outside)."""
    return "~" + process_unique()


def assign_number(order: Order, prefix: str = "SO") -> str:
    """Call after the first flush (the order has an id)."""
    order.number = f"{prefix}-{order.created_at:%Y%m%d}-{order.id:06d}"
    return order.number
