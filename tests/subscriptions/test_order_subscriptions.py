"""Live order events over a real WebSocket: delivery after a mutation, row scope,
per-event permission checks, and resuming with `since`."""

from __future__ import annotations

from app.events import topics
from app.events.repository import outbox
from tests.orders.support import gid, pk
from tests.subscriptions.harness import WsClient

STATUS = """subscription($orderId: ID, $customerId: ID, $since: String) {
  orderStatusChanged(orderId: $orderId, customerId: $customerId, since: $since) {
    cursor orderId
    transition { fromStatus toStatus at message actor { id } }
    order { id number status }
  }
}"""
ACTIVITY = """subscription($orderId: ID!) {
  orderEvents(orderId: $orderId) { cursor type transition { toStatus } event { type message }
                                   order { id } }
}"""


async def _pending_order(kit, factory, customer=None):  # noqa: ANN001, ANN202
    """An order waiting for review, placed by the owning sales rep."""
    rep = factory.user("SALES")
    customer = customer or kit.customer(owner_id=rep.id)
    warehouse = kit.warehouse()
    product = kit.product("20.00")
    kit.stock(product, warehouse, 100)
    order = await kit.order(rep.token, customer, [(product, 2)])
    await kit.ok_step("orderSubmit", order["id"], rep.token)
    return order, customer, rep


async def test_customer_sees_its_order_change_status_live(live, live_kit, factory):
    order, customer, _rep = await _pending_order(live_kit, factory)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    finance = factory.user("FINANCE")
    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})

    await live_kit.ok_step("orderApprove", order["id"], finance.token)

    change = (await ws.next("o"))["data"]["orderStatusChanged"]
    assert change["orderId"] == order["id"]
    assert change["order"] == {"id": order["id"], "number": order["number"],
                               "status": "CONFIRMED"}
    transition = change["transition"]
    assert (transition["fromStatus"], transition["toStatus"]) == ("PENDING_REVIEW", "CONFIRMED")
    assert transition["at"] and transition["actor"] is None  # staff actor hidden from customers
    assert int(change["cursor"]) > 0
    assert await ws.quiet("o") == []
    await ws.close()


async def test_staff_see_the_actor(live, live_kit, factory):
    order, _customer, rep = await _pending_order(live_kit, factory)
    finance = factory.user("FINANCE")
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})
    await live_kit.ok_step("orderApprove", order["id"], finance.token)
    change = (await ws.next("o"))["data"]["orderStatusChanged"]
    assert change["transition"]["actor"] == {"id": finance.gid}
    await ws.close()


async def test_customer_cannot_subscribe_to_a_foreign_order(live, live_kit, factory):
    order, _customer, _rep = await _pending_order(live_kit, factory)
    other = live_kit.customer()
    stranger = factory.user("CUSTOMER", customer_id=other.id)
    ws = await WsClient.connect(live.ws_url, stranger.token)
    for op, variables in (("a", {"orderId": order["id"]}),
                          ("b", {"orderId": gid("Order", 999_999_999)}),
                          ("c", {"orderId": "garbage"})):
        await ws.subscribe(op, STATUS, variables)
        message = await ws.message(op)
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        assert message["payload"][0]["message"] == "order not found"  # same as missing
    await ws.close()


async def test_untargeted_customer_subscription_gets_only_its_own_orders(live, live_kit,
                                                                        factory):
    mine, customer, _rep = await _pending_order(live_kit, factory)
    theirs, _other, _rep2 = await _pending_order(live_kit, factory)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    finance = factory.user("FINANCE")
    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("all", STATUS)
    await live_kit.ok_step("orderApprove", theirs["id"], finance.token)
    await live_kit.ok_step("orderApprove", mine["id"], finance.token)
    change = (await ws.next("all"))["data"]["orderStatusChanged"]
    assert change["orderId"] == mine["id"]
    assert await ws.quiet("all") == []
    await ws.close()


async def test_permission_is_checked_again_for_every_event(live, live_kit, live_api, factory):
    order, customer, rep = await _pending_order(live_kit, factory)
    manager, finance = factory.user("MANAGER"), factory.user("FINANCE")
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("c", STATUS, {"customerId": gid("Customer", customer.id)})
    await live_kit.ok_step("orderApprove", order["id"], finance.token)
    assert (await ws.next("c"))["data"]["orderStatusChanged"]["transition"]["toStatus"] \
        == "CONFIRMED"
    # the customer moves to another rep: the old rep's subscription stops delivering
    other_rep = factory.user("SALES")
    moved = await live_api.ok("""mutation($id: ID!, $input: CustomerUpdateInput!) {
      customerUpdate(id: $id, input: $input) { userErrors { message } } }""",
                              {"id": gid("Customer", customer.id),
                               "input": {"ownerId": other_rep.gid}}, manager.token)
    assert moved["customerUpdate"]["userErrors"] == []
    await live_kit.ok_step("orderHold", order["id"], manager.token, reason="核对地址")
    assert await ws.quiet("c", 1.0) == []
    await ws.close()


async def test_an_event_committed_before_subscribing_is_not_delivered_when_published_later(
        live, live_kit, factory):
    order, _customer, rep = await _pending_order(live_kit, factory)
    submitted = live_kit.read(lambda s: outbox.events_after(
        s, 0, {topics.ORDER_STATUS_CHANGED}, {"order_id": pk(order["id"])}))
    assert [e.payload["to_status"] for e in submitted] == ["PENDING_REVIEW"]
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})
    # committed (and answered) before the subscription; its publication comes after
    await live.publish(submitted)
    await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    change = (await ws.next("o"))["data"]["orderStatusChanged"]
    assert change["transition"]["toStatus"] == "CONFIRMED"
    assert int(change["cursor"]) > submitted[0].id
    assert await ws.quiet("o") == []
    await ws.close()


async def test_resume_with_since_replays_exactly_the_missed_events(live, live_kit, factory):
    order, customer, _rep = await _pending_order(live_kit, factory)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    finance, manager = factory.user("FINANCE"), factory.user("MANAGER")
    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})
    await live_kit.ok_step("orderApprove", order["id"], finance.token)
    first = (await ws.next("o"))["data"]["orderStatusChanged"]
    await ws.close()  # the phone goes into a tunnel

    await live_kit.ok_step("orderHold", order["id"], manager.token, reason="等待付款")
    await live_kit.ok_step("orderRelease", order["id"], manager.token)

    ws = await WsClient.connect(live.ws_url, buyer.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"], "since": first["cursor"]})
    replayed = [(await ws.next("o"))["data"]["orderStatusChanged"] for _ in range(2)]
    assert [c["transition"]["toStatus"] for c in replayed] == ["ON_HOLD", "CONFIRMED"]
    assert int(replayed[0]["cursor"]) > int(first["cursor"])
    assert int(replayed[1]["cursor"]) > int(replayed[0]["cursor"])
    assert replayed[0]["transition"]["message"] == "等待付款"
    assert await ws.quiet("o") == []  # no duplicates after the replay

    await live_kit.ok_step("orderCancel", order["id"], manager.token, reason="客户取消")
    live_change = (await ws.next("o"))["data"]["orderStatusChanged"]
    assert live_change["transition"]["toStatus"] == "CANCELLED"
    assert int(live_change["cursor"]) > int(replayed[1]["cursor"])
    assert await ws.quiet("o") == []
    await ws.close()


async def test_order_events_include_notes(live, live_kit, factory):
    order, _customer, rep = await _pending_order(live_kit, factory)
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("e", ACTIVITY, {"orderId": order["id"]})
    noted = await live_kit.api.ok("""mutation($id: ID!, $message: String!) {
      orderNoteAdd(id: $id, message: $message) { userErrors { message } } }""",
                                  {"id": order["id"], "message": "客户来电催单"}, rep.token)
    assert noted["orderNoteAdd"]["userErrors"] == []
    activity = (await ws.next("e"))["data"]["orderEvents"]
    assert activity["type"] == "NOTE_ADDED" and activity["transition"] is None
    assert activity["event"] == {"type": "NOTE_ADDED", "message": "客户来电催单"}
    await ws.close()


async def test_nested_relations_of_the_order_resolve_in_a_live_event(live, live_kit, factory):
    order, customer, rep = await _pending_order(live_kit, factory)
    finance = factory.user("FINANCE")
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("o", """subscription($orderId: ID) { orderStatusChanged(orderId: $orderId) {
      transition { toStatus actor { id } }
      order { customer { name } lines { quantity product { sku } } events { type actor { id } } }
    } }""", {"orderId": order["id"]})
    await live_kit.ok_step("orderApprove", order["id"], finance.token)
    change = (await ws.next("o"))["data"]["orderStatusChanged"]
    assert change["transition"]["toStatus"] == "CONFIRMED"
    assert change["transition"]["actor"] == {"id": gid("User", finance.id)}
    assert change["order"]["customer"] == {"name": customer.name}
    assert [line["quantity"] for line in change["order"]["lines"]] == [2]
    assert change["order"]["lines"][0]["product"]["sku"]
    assert change["order"]["events"][-1]["actor"] == {"id": gid("User", finance.id)}
    await ws.close()
