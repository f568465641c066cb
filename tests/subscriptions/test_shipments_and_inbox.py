"""shipmentTracking and myNotifications over a real WebSocket."""

from __future__ import annotations

from datetime import UTC, datetime

from app.shipping import creation, tracking
from tests.notifications.support import pending_order, unique_email
from tests.orders.support import gid, pk
from tests.shipping import support as ship_support
from tests.subscriptions.harness import WsClient

TRACKING = """subscription($shipmentId: ID, $orderId: ID) {
  shipmentTracking(shipmentId: $shipmentId, orderId: $orderId) {
    cursor shipmentId orderId status trackingNumber carrierCode reason
    shipment { number status carrier { name } }
  }
}"""
MINE = """subscription { myNotifications {
  cursor channel template subject body status readAt } }"""


async def _approved(live_kit, factory, customer):  # noqa: ANN001, ANN202
    order, _customer, _rep = await pending_order(live_kit, factory, customer)
    return await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)


async def test_customer_tracks_its_order_and_sees_the_shipped_notice(live, live_kit, factory):
    customer = live_kit.customer(email=unique_email(), phone=None, language="zh")
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    order = await _approved(live_kit, factory, customer)
    warehouse_id = pk(order["allocations"][0]["warehouse"]["id"])
    keeper = factory.user("WAREHOUSE", warehouses=[])
    carrier, svc = ship_support.lane_carrier(factory, warehouse_id, "京东物流")

    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("track", TRACKING, {"orderId": order["id"]})
    await ws.subscribe("inbox", MINE)
    other = await WsClient.connect(live.ws_url, keeper.token)  # no warehouse of its own
    await other.subscribe("track", TRACKING)

    shipment = await live.write(creation.create_shipment, *ship_support.draft(
        pk(order["id"]), warehouse_id, [(pk(order["lines"][0]["id"]), 2)], "JD0001", svc))
    created = (await ws.next("track"))["data"]["shipmentTracking"]
    assert (created["status"], created["trackingNumber"], created["carrierCode"]) == (
        "CREATED", "JD0001", carrier.code)
    assert created["shipment"] == {"number": shipment.number, "status": "CREATED",
                                   "carrier": {"name": "京东物流"}}
    await live.write(tracking.record_event, shipment.id,
                     ship_support.event("PICKED_UP", datetime.now(UTC), "北京", "快递员已揽收"))
    picked = (await ws.next("track"))["data"]["shipmentTracking"]
    assert picked["status"] == "PICKED_UP" and int(picked["cursor"]) > int(created["cursor"])

    # the order's earlier notices (placed, approved) may come first: notifications are
    # planned after commit, by the planner's own rounds
    notice = (await ws.next("inbox"))["data"]["myNotifications"]
    while notice["template"] in ("order_received", "order_approved"):
        notice = (await ws.next("inbox"))["data"]["myNotifications"]
    assert (notice["channel"], notice["template"], notice["status"]) == (
        "IN_APP", "order_shipped", "DELIVERED")
    assert "京东物流" in notice["body"] and "JD0001" in notice["body"]
    assert notice["subject"] == f"订单 {order['number']} 已发货"
    assert await other.quiet("track") == []
    for client in (ws, other):
        await client.close()


async def test_shipments_outside_the_scope_cannot_be_tracked(live, live_kit, factory):
    customer = live_kit.customer()
    order = await _approved(live_kit, factory, customer)
    warehouse_id = pk(order["allocations"][0]["warehouse"]["id"])
    _, svc = ship_support.lane_carrier(factory, warehouse_id)
    shipment = await live.write(creation.create_shipment, *ship_support.draft(
        pk(order["id"]), warehouse_id, [(pk(order["lines"][0]["id"]), 1)], service=svc))
    stranger = factory.user("CUSTOMER", customer_id=live_kit.customer().id)
    ws = await WsClient.connect(live.ws_url, stranger.token)
    await ws.subscribe("s", TRACKING, {"shipmentId": gid("Shipment", shipment.id)})
    message = await ws.message("s")
    assert message["type"] == "error"
    assert message["payload"][0]["message"] == "shipment not found"
    await ws.close()


async def test_staff_get_their_own_alerts_on_my_notifications(live, live_kit, live_api,
                                                              factory):
    warehouse = live_kit.warehouse()
    product = live_kit.product()
    live_kit.stock(product, warehouse, 2)
    keeper = factory.user("WAREHOUSE", warehouses=[warehouse.code])
    bystander = factory.user("WAREHOUSE", warehouses=[live_kit.warehouse().code])
    ws = await WsClient.connect(live.ws_url, keeper.token)
    await ws.subscribe("me", MINE)
    by = await WsClient.connect(live.ws_url, bystander.token)
    await by.subscribe("me", MINE)
    manager = factory.user("MANAGER")
    done = await live_api.ok("""mutation($input: StockAdjustInput!) {
      stockAdjust(input: $input) { userErrors { message } } }""", {"input": {
        "productId": gid("Product", product.id), "warehouseId": gid("Warehouse", warehouse.id),
        "quantityDelta": -2, "reason": "报损"}}, manager.token)
    assert done["stockAdjust"]["userErrors"] == []
    alert = (await ws.next("me"))["data"]["myNotifications"]
    assert alert["template"] == "staff_low_stock" and product.sku in alert["subject"]
    assert await ws.quiet("me") == []  # the EMAIL copy is not an inbox item
    assert await by.quiet("me") == []
    for client in (ws, by):
        await client.close()
