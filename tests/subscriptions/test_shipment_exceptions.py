"""shipmentExceptionOpened over a real WebSocket: staff see new delivery exceptions live,
scoped like the queue; customers are refused and a foreign parcel is not found
(docs/architecture.md#delivery-exceptions)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.shipping import tracking
from tests.shipping import exception_support as x
from tests.shipping import support as s
from tests.subscriptions.harness import WsClient

OPENED = """subscription($shipmentId: ID) { shipmentExceptionOpened(shipmentId: $shipmentId) {
  cursor exceptionId shipmentId type severity source
  shipmentException { id status description slaBreached }
  shipment { number status } } }"""


async def test_staff_see_new_exceptions_live_in_their_scope(live, live_api, factory):
    p = x.parcel(factory)
    agent = factory.user("CUSTOMER_SERVICE")
    keeper = factory.user("WAREHOUSE", warehouses=[p.warehouse.code])
    stranger = factory.user("WAREHOUSE", warehouses=[s.warehouse(factory).code])
    desk = await WsClient.connect(live.ws_url, agent.token)
    await desk.subscribe("all", OPENED)
    await desk.subscribe("one", OPENED, {"shipmentId": p.gid})
    mine = await WsClient.connect(live.ws_url, keeper.token)
    await mine.subscribe("mine", OPENED)
    other = await WsClient.connect(live.ws_url, stranger.token)
    await other.subscribe("other", OPENED)

    await live.write(tracking.record_event, p.shipment.id, tracking.EventDraft(
        "EXCEPTION", datetime.now(UTC), "上海转运中心", "外箱破损", problem="DAMAGED"))
    seen = (await desk.next("all"))["data"]["shipmentExceptionOpened"]
    [row] = x.exceptions_of(factory, p.shipment.id)
    assert (seen["exceptionId"], seen["shipmentId"]) == (
        s.gid("ShipmentException", row.id), p.gid)
    assert (seen["type"], seen["severity"], seen["source"]) == ("DAMAGED", "HIGH", "EVENT")
    assert seen["shipmentException"] == {"id": seen["exceptionId"], "status": "OPEN",
                                         "description": "外箱破损", "slaBreached": False}
    assert seen["shipment"] == {"number": p.shipment.number, "status": "EXCEPTION"}
    assert (await desk.next("one"))["data"]["shipmentExceptionOpened"]["cursor"] == \
        seen["cursor"]
    assert (await mine.next("mine"))["data"]["shipmentExceptionOpened"]["exceptionId"] == \
        seen["exceptionId"]

    # opened by staff through the API: the same feed
    opened = await live_api.ok(x.OPEN, {"shipmentId": p.gid, "type": "LOST",
                                        "description": "客户称未收到"}, agent.token)
    assert opened["shipmentExceptionOpen"]["userErrors"] == []
    staff = (await desk.next("all"))["data"]["shipmentExceptionOpened"]
    assert (staff["type"], staff["source"], staff["severity"]) == ("LOST", "STAFF", "CRITICAL")
    assert int(staff["cursor"]) > int(seen["cursor"])
    assert (await mine.next("mine"))["data"]["shipmentExceptionOpened"]["type"] == "LOST"
    assert await other.quiet("other") == []  # not its warehouse
    for client in (desk, mine, other):
        await client.close()


async def test_customers_are_refused_and_a_foreign_parcel_is_not_found(live, factory):
    p = x.parcel(factory)
    buyer = factory.user("CUSTOMER", customer_id=p.customer.id)
    stranger = factory.user("WAREHOUSE", warehouses=[s.warehouse(factory).code])
    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("mine", OPENED)
    refused = await ws.message("mine")
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
    await ws.close()
    ws = await WsClient.connect(live.ws_url, stranger.token)
    answers = []
    for op, target in (("foreign", p.gid), ("missing", s.gid("Shipment", 987654321))):
        await ws.subscribe(op, OPENED, {"shipmentId": target})
        message = await ws.message(op)
        assert message["type"] == "error"
        answers.append(message["payload"])
    assert answers[0] == answers[1]
    assert answers[0][0]["message"] == "shipment not found"
    await ws.close()
