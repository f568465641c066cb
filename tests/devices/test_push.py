"""Push notifications end to end: a customer's phone registered over HTTP, an order
placed, the planner adds a PUSH row per device and the dispatcher posts it to a real local
push gateway, which answers 500 twice before 200: retried with backoff, sent once
(docs/architecture.md#offline-writes-and-push)."""

from __future__ import annotations

import secrets

from tests.devices.test_devices import REGISTER
from tests.notifications.sinks import sinks
from tests.notifications.support import by_channel, pending_order, unique_email, wait_rows
from tests.orders.support import gid


def _pushed(found: list) -> bool:  # noqa: ANN001
    push = by_channel(found, "order_received").get("PUSH")
    return push is not None and push.status in ("SENT", "FAILED")


async def test_push_reaches_the_gateway_after_retries(live_kit, factory):
    _mail, gateway = sinks()
    customer = live_kit.customer(email=unique_email())
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    device = "apns-" + secrets.token_hex(32)
    gateway.plan[device] = [500, 500]
    registered = (await live_kit.api.ok(REGISTER, {"token": device, "platform": "IOS"},
                                        buyer.token))["deviceRegister"]
    assert registered["userErrors"] == []

    await pending_order(live_kit, factory, customer)
    [body] = gateway.wait(device)
    assert body["platform"] == "IOS" and body["title"] and body["body"]
    found = await wait_rows(factory, _pushed, customer_id=customer.id)
    push = by_channel(found, "order_received")["PUSH"]
    assert (push.status, push.attempts, push.last_error) == ("SENT", 3, None)
    assert gateway.attempts[device] == 3 and gateway.tokens[-1] == "Bearer push-test-token"
    assert push.recipient == f"IOS:{device}"  # stored encrypted when a key is set
    listed = await live_kit.api.ok("""query($id: ID!) { notifications(filter:
      {customerId: $id, channel: PUSH}, first: 5) { nodes { channel recipient status } } }""",
                                   {"id": gid("Customer", customer.id)},
                                   factory.user("ADMIN").token)
    [node] = listed["notifications"]["nodes"]
    assert node == {"channel": "PUSH", "recipient": f"IOS:…{device[-4:]}", "status": "SENT"}
