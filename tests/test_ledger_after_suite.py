"""After the whole suite's workload, the movement ledger still equals the stock levels.

Moved to the end of the run by conftest.pytest_collection_modifyitems, so every
receipt, reservation, release, shipment, return and transfer made by the other
tests through the API is included.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.inventory.models import StockLevel, StockMovement


def _mismatches(session):  # noqa: ANN001, ANN202
    sums = {
        (p, w): (oh, rs)
        for p, w, oh, rs in session.exec(
            select(StockMovement.product_id, StockMovement.warehouse_id,
                   func.sum(StockMovement.on_hand_delta), func.sum(StockMovement.reserved_delta))
            .group_by(StockMovement.product_id, StockMovement.warehouse_id))
    }
    bad, levels = [], 0
    for level in session.exec(select(StockLevel)):
        levels += 1
        on_hand, reserved = sums.pop((level.product_id, level.warehouse_id), (0, 0))
        if (level.on_hand, level.reserved) != (on_hand, reserved) or not (
                0 <= level.reserved <= level.on_hand):
            bad.append((level.product_id, level.warehouse_id, level.on_hand, level.reserved,
                        on_hand, reserved))
    bad += [("movements without a level", key, value) for key, value in sums.items()]
    return bad, levels


@pytest.mark.run_last
def test_ledger_reconciles_with_stock_levels_after_the_suite(runner):
    bad, levels = runner.read_sync(_mismatches, (), {})
    assert levels > 0, "the suite should have created stock"
    assert bad == []
