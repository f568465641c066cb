"""The CONSIGNOR portal's live events over a real WebSocket (docs/architecture.md#consignors):
its own stock alerts, parcel tracking, delivery exceptions and order changes, never
another consignor's; another consignor's parcel or order as a target is not found."""

from __future__ import annotations

from datetime import UTC, datetime

from app.shipping import tracking
from tests.consignors.portal_support import Side, two_sides
from tests.orders.support import gid, pk
from tests.subscriptions.fixtures import live, live_api, live_kit  # noqa: F401
from tests.subscriptions.harness import WsClient

ALERTS = "subscription { stockAlerts { kind productId available } }"
TRACKING = """subscription($s: ID) { shipmentTracking(shipmentId: $s) {
  shipmentId orderId status } }"""
OPENED = "subscription { shipmentExceptionOpened { shipmentId type } }"
ORDERS = """subscription($o: ID) { orderStatusChanged(orderId: $o) {
  orderId transition { toStatus } } }"""
ADJUST = """mutation($input: StockAdjustInput!) {
  stockAdjust(input: $input) { userErrors { message } } }"""


async def _empty(api, token: str, side: Side, warehouse) -> None:  # noqa: ANN001
    data = await api.ok(ADJUST, {"input": {
        "productId": gid("Product", side.product.id), "warehouseId": gid("Warehouse",
                                                                         warehouse.id),
        "quantityDelta": -16, "reason": "盘点修正"}}, token)
    assert data["stockAdjust"]["userErrors"] == []


async def _damaged(server, side: Side) -> None:  # noqa: ANN001
    await server.write(tracking.record_event, pk(side.shipment), tracking.EventDraft(
        "EXCEPTION", datetime.now(UTC), "杭州转运中心", "外箱破损", problem="DAMAGED"))


async def test_a_consignor_gets_only_its_own_live_events(live, live_kit, live_api, factory):  # noqa: F811
    manager = factory.user("MANAGER")
    a, b, wh = await two_sides(live_kit, manager)
    ws = await WsClient.connect(live.ws_url, a.token)
    for op, query in (("alerts", ALERTS), ("track", TRACKING), ("opened", OPENED),
                      ("orders", ORDERS)):
        await ws.subscribe(op, query)
    for op, query, variables in (("b-parcel", TRACKING, {"s": b.shipment}),
                                 ("b-order", ORDERS, {"o": b.order})):
        await ws.subscribe(op, query, variables)
        refused = await ws.message(op)
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"

    # B's events first: had one leaked, it would arrive before A's own
    for side in (b, a):
        await _empty(live_api, manager.token, side, wh)
        await _damaged(live, side)
    alert = (await ws.next("alerts"))["data"]["stockAlerts"]
    assert (alert["kind"], alert["productId"], alert["available"]) == (
        "OUT_OF_STOCK", gid("Product", a.product.id), 0)
    track = (await ws.next("track"))["data"]["shipmentTracking"]
    assert (track["shipmentId"], track["orderId"], track["status"]) == (
        a.shipment, a.order, "EXCEPTION")
    opened = (await ws.next("opened"))["data"]["shipmentExceptionOpened"]
    assert opened == {"shipmentId": a.shipment, "type": "DAMAGED"}

    # new orders placed and submitted by staff: B's, then A's
    placed = {}
    for side in (b, a):
        order = await live_kit.order(manager.token, side.customer, [(side.product, 1)])
        await live_kit.ok_step("orderSubmit", order["id"], manager.token)
        placed[side.id] = order["id"]
    change = (await ws.next("orders"))["data"]["orderStatusChanged"]
    assert change["orderId"] == placed[a.id]
    rest = [m["payload"]["data"]["orderStatusChanged"]["orderId"]
            for m in await ws.quiet("orders")]
    assert set(rest) <= {placed[a.id]}
    for op in ("alerts", "track", "opened"):
        assert await ws.quiet(op) == [], op
    await ws.close()
