"""WAREHOUSE staff plan and start only orders held in their own warehouses: a foreign
warehouse or an order held elsewhere answers exactly like a missing one, and nothing
moves (the security issue's finding "WAREHOUSE staff change other warehouses' orders")."""

from __future__ import annotations

from tests.orders.support import gid

MISSING = gid("Order", 987654321)


async def _world(kit):  # noqa: ANN001, ANN202
    shanghai, beijing = kit.warehouse(region="华东"), kit.warehouse(region="华北")
    tea = kit.product()
    kit.stock(tea, shanghai, 10)
    kit.stock(tea, beijing, 10)
    admin = kit.factory.user("ADMIN").token
    east = await kit.order(admin, kit.customer(region="华东"), [(tea, 2)], submit=True)
    north = await kit.order(admin, kit.customer(region="华北"), [(tea, 2)], submit=True)
    for order in (east, north):
        await kit.ok_step("orderApprove", order["id"], admin)
    clerk = kit.factory.user("WAREHOUSE", warehouses=[shanghai.code]).token
    return shanghai, beijing, tea, east, north, clerk


def _held(kit, tea):  # noqa: ANN001, ANN202
    return {wid: (lv.on_hand, lv.reserved) for wid, lv in kit.levels(tea).items()}


async def test_a_foreign_warehouse_or_order_answers_like_a_missing_one(kit):
    shanghai, beijing, tea, east, north, clerk = await _world(kit)
    before = _held(kit, tea)
    missing = await kit.step("orderSchedule", MISSING, clerk)
    assert missing["userErrors"][0]["code"] == "NOT_FOUND"
    # held in Beijing: neither planned nor started by the Shanghai clerk
    elsewhere = await kit.step("orderSchedule", north["id"], clerk)
    assert elsewhere["userErrors"] == missing["userErrors"]
    # moving a Shanghai order to Beijing: Beijing is not the clerk's
    moved = await kit.step("orderSchedule", east["id"], clerk,
                           warehouseId=gid("Warehouse", beijing.id))
    assert moved["userErrors"][0]["code"] == "NOT_FOUND"
    assert moved["userErrors"][0]["field"] == ["warehouseId"]
    assert _held(kit, tea) == before
    admin = kit.factory.user("ADMIN").token
    await kit.ok_step("orderSchedule", north["id"], admin)
    started = await kit.step("orderStartFulfillment", north["id"], clerk)
    assert started["userErrors"][0]["code"] == "NOT_FOUND"
    assert started["userErrors"][0]["message"] == missing["userErrors"][0]["message"]
    # its own order: planned in its own warehouse, and started
    mine = await kit.ok_step("orderSchedule", east["id"], clerk,
                             warehouseId=gid("Warehouse", shanghai.id))
    assert mine["status"] == "SCHEDULED"
    assert (await kit.ok_step("orderStartFulfillment", east["id"], clerk))["status"] == \
        "IN_FULFILLMENT"
