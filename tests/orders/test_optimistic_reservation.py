"""Approval on PostgreSQL plans on stock read without locks and reserves with the unit's
last rows, the stock rows locked then (docs/architecture.md#optimistic-reservation). When
another order takes the stock between that read and the reservation, the unit is rolled
back and runs again, planning on rows it locks first: the order takes what is left
elsewhere, or is refused with nothing of it left behind.

The other order's reservation is committed, on a connection of its own, while this
approval plans: the race, every time. PostgreSQL only: SQLite's one writer would wait for
the approval (and has nothing to race)."""

from __future__ import annotations

import pytest

from app.inventory import ledger
from app.orders import allocation
from tests.orders.support import pk

APPROVE = """mutation($id: ID!) { orderApprove(id: $id) {
  order { status lines { id sku } allocations { orderLineId quantity warehouse { code } } }
  userErrors { code } } }"""


@pytest.fixture
def taken_while_planning(monkeypatch, factory):  # noqa: ANN001, ANN201
    """`taken(levels)`: the next plan is made, then these (product, warehouse, quantity)
    are reserved by another unit of work, committed, before the approval reserves."""
    plans: list[int] = []

    def taken(levels: list[tuple]) -> list[int]:
        real = allocation.plan

        def plan(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            made = real(*args, **kwargs)
            if not plans:
                factory.write(lambda uow: ledger.reserve(uow.session, [
                    ledger.StockLine(p.id, w.id, q) for p, w, q in levels],
                    ledger.Reference("other order", None, None)))
            plans.append(sorted({s.warehouse_id for s in made}))
            return made
        monkeypatch.setattr(allocation, "plan", plan)
        return plans
    return taken


def _pg_only(db) -> None:  # noqa: ANN001
    if db.is_sqlite:
        pytest.skip("a race needs two writers: SQLite has one")


async def _approve(kit, factory, order: dict) -> dict:  # noqa: ANN001
    approver = factory.user("MANAGER")
    out = await kit.api.ok(APPROVE, {"id": order["id"]}, approver.token)
    return out["orderApprove"]


async def test_stock_taken_meanwhile_is_planned_again_from_what_is_left(
        kit, factory, db, taken_while_planning):
    _pg_only(db)
    east, north = kit.warehouse("华东"), kit.warehouse("华北")
    tea, cups = kit.product(), kit.product()
    for product in (tea, cups):
        kit.stock(product, east, 5)
        kit.stock(product, north, 5)
    admin = factory.user("ADMIN")
    order = await kit.order(admin.token, kit.customer(region="华东"), [(tea, 2), (cups, 3)],
                            submit=True)
    plans = taken_while_planning([(cups, east, 4)])  # the east can no longer take 3 cups

    out = await _approve(kit, factory, order)

    assert out["userErrors"] == []
    assert out["order"]["status"] == "CONFIRMED"
    # all from the east; then, run again, all from the north (one warehouse if one can)
    assert plans == [[east.id], [north.id]]
    sku = {ln["id"]: ln["sku"] for ln in out["order"]["lines"]}
    got = {(sku[a["orderLineId"]], a["warehouse"]["code"]): a["quantity"]
           for a in out["order"]["allocations"]}
    assert got == {(tea.sku, north.code): 2, (cups.sku, north.code): 3}
    # nothing of the first run stays: the tea is reserved in the north only
    assert {w: lv.reserved for w, lv in kit.levels(tea).items()} == {east.id: 0, north.id: 2}
    assert {w: lv.reserved for w, lv in kit.levels(cups).items()} == {east.id: 4, north.id: 3}
    kit.assert_ledger_consistent(tea)
    kit.assert_ledger_consistent(cups)
    # and one approval's events: the first run's outbox rows went with its rollback
    statuses = [e["to_status"] for e in kit.outbox("order.status_changed", pk(order["id"]))]
    assert statuses == ["PENDING_REVIEW", "CONFIRMED"]


async def test_stock_taken_meanwhile_with_none_left_refuses_and_leaves_nothing(
        kit, factory, db, taken_while_planning):
    _pg_only(db)
    east = kit.warehouse("华东")
    tea, cups = kit.product(), kit.product()
    kit.stock(tea, east, 5)
    kit.stock(cups, east, 5)
    admin = factory.user("ADMIN")
    order = await kit.order(admin.token, kit.customer(region="华东"), [(tea, 2), (cups, 3)],
                            submit=True)
    plans = taken_while_planning([(cups, east, 4)])

    out = await _approve(kit, factory, order)

    assert [e["code"] for e in out["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert out["order"] is None
    assert plans == [[east.id]]  # run again: refused by the plan, on the locked rows
    assert kit.reserved(tea) == 0  # nothing of the refused approval stays
    assert kit.reserved(cups) == 4
    kit.assert_ledger_consistent(tea)
    kit.assert_ledger_consistent(cups)
    status = await kit.api.ok("query($id: ID!) { order(id: $id) { status } }",
                              {"id": order["id"]}, admin.token)
    assert status["order"]["status"] == "PENDING_REVIEW"
