"""After the whole suite's workload, the movement ledger still equals the stock levels,
per owner: every movement of a level carries the level's consignor, which is its
product's (docs/architecture.md#consignors).

Moved to the end of the run by conftest.pytest_collection_modifyitems, so every
receipt, reservation, release, shipment, return and transfer made by the other
tests through the API is included.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.catalog.models import Product
from app.inventory.models import StockLevel, StockMovement


def _mismatches(session):  # noqa: ANN001, ANN202
    m = StockMovement
    sums = {
        (p, w, owner): (oh, rs)
        for p, w, owner, oh, rs in session.exec(
            select(m.product_id, m.warehouse_id, m.consignor_id, func.sum(m.on_hand_delta),
                   func.sum(m.reserved_delta))
            .group_by(m.product_id, m.warehouse_id, m.consignor_id))
    }
    owners = dict(session.exec(select(Product.id, Product.consignor_id)).all())
    bad, levels = [], 0
    for level in session.exec(select(StockLevel)):
        levels += 1
        key = (level.product_id, level.warehouse_id, level.consignor_id)
        on_hand, reserved = sums.pop(key, (0, 0))
        if (level.on_hand, level.reserved) != (on_hand, reserved) or not (
                0 <= level.reserved <= level.on_hand):
            bad.append((*key, level.on_hand, level.reserved, on_hand, reserved))
        if level.consignor_id != owners[level.product_id]:
            bad.append(("a level's owner is not its product's", key))
    bad += [("movements without a level of their owner", key, value)
            for key, value in sums.items()]
    return bad, levels


@pytest.mark.run_last
def test_ledger_reconciles_with_stock_levels_after_the_suite(runner):
    bad, levels = runner.read_sync(_mismatches, (), {})
    assert levels > 0, "the suite should have created stock"
    assert bad == []
