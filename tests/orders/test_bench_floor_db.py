"""The benchmark's floor with the database (tests/bench/floor_db.py) bounds what S3 could
reach only while it does the work the order workflow does. Here one order goes through the
real API and one through the floor, for the same customer and product: both must end
CONFIRMED with their stock reserved, and write the same number of rows to every table the
workflow writes. A workflow change that writes more (or a floor that skips work) fails."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.bench.floor_db import RawOrders
from tests.bench.scenarios.s3_orders import APPROVE, CREATE
from tests.orders.support import gid, pk

TABLES = ("sales_order", "order_line", "order_event", "order_allocation", "stock_movement",
          "notification", "audit_record", "outbox_event")


def _counts(kit) -> dict[str, int]:  # noqa: ANN001
    def fetch(session) -> dict[str, int]:  # noqa: ANN001
        return {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in TABLES}
    return kit.read(fetch)


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {t: after[t] - before[t] for t in TABLES}


async def test_floor_db_writes_what_the_workflow_writes(kit, factory, db):  # noqa: ANN001
    if not db.is_sqlite:
        pytest.skip("the floor with the database is SQLite's (the S3 target is SQLite's)")
    admin = factory.user("ADMIN")
    customer = kit.customer()
    wh = kit.warehouse()
    tea = kit.product("25.00")
    kit.stock(tea, wh, 20)
    variables = {"input": {"customerId": gid("Customer", customer.id), "submit": True,
                           "lines": [{"productId": gid("Product", tea.id), "quantity": 3}]}}

    before = _counts(kit)
    created = (await kit.api.ok(CREATE, variables, admin.token))["orderCreate"]
    approved = (await kit.api.ok(APPROVE, {"id": created["order"]["id"]},
                                 admin.token))["orderApprove"]
    assert approved["order"]["status"] == "CONFIRMED", approved
    real = _delta(_counts(kit), before)

    raw = RawOrders(db, actor_id=admin.id)
    before = _counts(kit)
    placed = await raw.create(customer.id, [(tea.id, 3)])
    assert placed["error"] is None and placed["order"]["status"] == "PENDING_REVIEW"
    confirmed = await raw.approve(placed["order"]["id"])
    assert confirmed["error"] is None and confirmed["order"]["status"] == "CONFIRMED"
    floor = _delta(_counts(kit), before)

    assert floor == real
    assert real["sales_order"] == 1 and real["notification"] > 0
    assert kit.reserved(tea) == 6
    kit.assert_ledger_consistent(tea)
    again = await raw.approve(placed["order"]["id"])  # refused, and nothing written
    assert again["error"][0] == "INVALID_TRANSITION"
    assert _delta(_counts(kit), before) == floor
    assert pk(created["order"]["id"]) != placed["order"]["id"]
