"""Stock alerts over WebSocket (warehouse scope) and the fan-out: one execution per
distinct document, variables and permission scope, shared by every subscriber."""

from __future__ import annotations

import json

from app.events import topics
from app.events.repository import outbox
from app.inventory import stock_service
from tests.orders.support import gid
from tests.subscriptions.harness import WsClient

ALERTS = """subscription($warehouseId: ID) {
  stockAlerts(warehouseId: $warehouseId) {
    cursor kind available safetyStock at product { sku } warehouse { code }
  }
}"""
ADJUST = """mutation($input: StockAdjustInput!) {
  stockAdjust(input: $input) { userErrors { message } } }"""


async def _adjust(api, token, product, warehouse, delta):  # noqa: ANN001, ANN202
    data = await api.ok(ADJUST, {"input": {
        "productId": gid("Product", product.id), "warehouseId": gid("Warehouse", warehouse.id),
        "quantityDelta": delta, "reason": "盘点修正"}}, token)
    assert data["stockAdjust"]["userErrors"] == []


async def test_stock_alerts_follow_the_warehouse_scope(live, live_kit, live_api, factory):
    mine, other = live_kit.warehouse(), live_kit.warehouse()
    product = live_kit.product()
    live_kit.stock(product, mine, 5)
    live_kit.stock(product, other, 5)
    keeper = factory.user("WAREHOUSE", warehouses=[mine.code])
    manager = factory.user("MANAGER")
    ws = await WsClient.connect(live.ws_url, keeper.token)
    await ws.subscribe("all", ALERTS)
    await ws.subscribe("foreign", ALERTS, {"warehouseId": gid("Warehouse", other.id)})
    refused = await ws.message("foreign")
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"

    await _adjust(live_api, manager.token, product, other, -5)  # not the keeper's warehouse
    await _adjust(live_api, manager.token, product, mine, -5)
    alert = (await ws.next("all"))["data"]["stockAlerts"]
    assert (alert["kind"], alert["available"]) == ("OUT_OF_STOCK", 0)
    assert alert["warehouse"] == {"code": mine.code}
    assert alert["product"] == {"sku": product.sku}
    await _adjust(live_api, manager.token, product, mine, 3)
    back = (await ws.next("all"))["data"]["stockAlerts"]
    assert back["kind"] == "BACK_IN_STOCK" and int(back["cursor"]) > int(alert["cursor"])
    assert await ws.quiet("all") == []
    await ws.close()


async def test_customers_may_not_subscribe_to_stock(live, live_kit, factory):
    buyer = factory.user("CUSTOMER", customer_id=live_kit.customer().id)
    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("s", ALERTS)
    message = await ws.message("s")
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    await ws.close()


async def test_one_execution_per_document_variables_and_scope(live, live_kit, live_api,
                                                              factory):
    fanout = live.state.extras["fanout"]
    warehouse = live_kit.warehouse()
    product = live_kit.product()
    live_kit.stock(product, warehouse, 4)
    managers = [factory.user("MANAGER"), factory.user("MANAGER")]
    keeper = factory.user("WAREHOUSE", warehouses=[warehouse.code])
    variables = {"warehouseId": gid("Warehouse", warehouse.id)}
    a = await WsClient.connect(live.ws_url, managers[0].token)
    b = await WsClient.connect(live.ws_url, managers[1].token)
    c = await WsClient.connect(live.ws_url, keeper.token)
    await a.subscribe("1", ALERTS, variables)
    await a.subscribe("2", ALERTS, variables)  # same connection, same document
    await b.subscribe("x", ALERTS, variables)  # another manager: same role and scope
    await c.subscribe("k", ALERTS, variables)  # a warehouse keeper: another scope
    await b.subscribe("y", ALERTS)             # other variables
    groups = [g for g in fanout.groups.values() if g.query == ALERTS]
    assert sorted(len(g.members) for g in groups) == [1, 1, 3]
    before = sum(g.executions for g in groups)

    manager = managers[0]
    await _adjust(live_api, manager.token, product, warehouse, -4)
    frames = [await a.message("1"), await a.message("2"), await b.message("x"),
              await c.message("k"), await b.message("y")]
    assert all(f["type"] == "next" for f in frames)
    payloads = [json.dumps(f["payload"], sort_keys=True) for f in frames]
    assert payloads[0] == payloads[1] == payloads[2] == payloads[3] == payloads[4]
    assert sum(g.executions for g in groups) - before == 3  # not 5
    for ws in (a, b, c):
        await ws.close()


async def test_a_subscriber_joining_a_shared_execution_gets_only_later_events(
        live, live_kit, live_api, factory):
    fanout = live.state.extras["fanout"]
    warehouse, product = live_kit.warehouse(), live_kit.product()
    live_kit.stock(product, warehouse, 4)
    early_user, late_user = factory.user("MANAGER"), factory.user("MANAGER")
    variables = {"warehouseId": gid("Warehouse", warehouse.id)}
    early = await WsClient.connect(live.ws_url, early_user.token)
    await early.subscribe("1", ALERTS, variables)
    # out of stock, committed now; its publication comes after the second subscriber's
    live_kit.factory.write(stock_service.adjust_stock, product.id, warehouse.id, -4, "盘点修正")
    *_, pending = live_kit.read(lambda s: outbox.events_after(
        s, 0, {topics.STOCK_ALERT}, {"warehouse_id": warehouse.id}))
    late = await WsClient.connect(live.ws_url, late_user.token)
    await late.subscribe("2", ALERTS, variables)
    [group] = [g for g in fanout.groups.values() if g.query == ALERTS
               and g.variables == variables]
    assert len(group.members) == 2  # one execution for both
    await live.publish([pending])

    out = (await early.next("1"))["data"]["stockAlerts"]
    assert (out["kind"], out["cursor"]) == ("OUT_OF_STOCK", str(pending.id))
    await _adjust(live_api, early_user.token, product, warehouse, 3)
    for ws, op in ((early, "1"), (late, "2")):
        back = (await ws.next(op))["data"]["stockAlerts"]
        assert back["kind"] == "BACK_IN_STOCK"
        assert await ws.quiet(op) == []
        await ws.close()
