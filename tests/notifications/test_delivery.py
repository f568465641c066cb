"""Notifications end to end: a mutation on the live server writes them in its
transaction, the dispatcher delivers them to a real local SMTP server and HTTP SMS
provider, retries with backoff, records final failures, and the API shows it all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from app.orders import fulfillment
from app.shipping import creation, tracking
from tests.notifications.sinks import sinks
from tests.notifications.support import (
    by_channel,
    pending_order,
    rows,
    settled,
    unique_email,
    unique_phone,
    wait_rows,
)
from tests.orders.support import gid, pk
from tests.shipping import support as ship_support

ALL = {"EMAIL", "SMS", "IN_APP"}
STATUS = """query($id: ID!) { notifications(filter: {customerId: $id}, first: 50) {
  totalCount nodes { channel template status attempts lastError sentAt recipient subject } } }"""


async def test_order_received_goes_out_by_mail_sms_and_in_app_in_chinese(live_kit, factory):
    mail, sms = sinks()
    email, phone = unique_email(), unique_phone()
    customer = live_kit.customer(name="上海茶叶有限公司", email=email, phone=phone, language="zh")
    order, _customer, rep = await pending_order(live_kit, factory, customer)

    [message] = mail.wait(email)
    assert message["Subject"] == f"订单 {order['number']} 已收到"
    assert "订单中心" in str(message["From"]) and message["To"] == email
    body = message.get_content()
    assert "上海茶叶有限公司" in body and order["number"] in body
    [text] = sms.wait(phone)
    assert order["number"] in text["message"] and text["message"].startswith("【订单通知】")
    assert sms.tokens[-1] == "Bearer sms-test-token"

    found = await wait_rows(factory, settled("order_received", ALL), customer_id=customer.id)
    sent = by_channel(found, "order_received")
    assert {c: (n.status, n.attempts) for c, n in sent.items()} == {
        "EMAIL": ("SENT", 1), "SMS": ("SENT", 1), "IN_APP": ("DELIVERED", 0)}
    assert all(n.event_id for n in sent.values())  # traceable to the outbox event

    data = await live_kit.api.ok(STATUS, {"id": gid("Customer", customer.id)}, rep.token)
    nodes = data["notifications"]["nodes"]
    assert {(n["channel"], n["status"]) for n in nodes} >= {
        ("EMAIL", "SENT"), ("SMS", "SENT"), ("IN_APP", "DELIVERED")}
    assert all(n["sentAt"] for n in nodes if n["template"] == "order_received")


async def test_english_customers_get_english_and_approval_is_announced(live_kit, factory):
    mail, _sms = sinks()
    email = unique_email("buyer.en")
    customer = live_kit.customer(name="Acme Trading", email=email, phone=None, language="en")
    order, _customer, _rep = await pending_order(live_kit, factory, customer)
    await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    messages = mail.wait(email, 2)
    subjects = sorted(str(m["Subject"]) for m in messages)
    assert subjects == [f"Order {order['number']} approved", f"Order {order['number']} received"]
    assert any("Dear Acme Trading" in m.get_content() for m in messages)
    assert not [n for n in rows(factory, customer_id=customer.id) if n.channel == "SMS"]


async def _shipped(live, live_kit, factory, customer):  # noqa: ANN001, ANN202
    """An approved order with a shipment on the live server; returns (order, shipment)."""
    order, _customer, _rep = await pending_order(live_kit, factory, customer)
    order = await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    line = pk(order["lines"][0]["id"])
    warehouse_id = pk(order["allocations"][0]["warehouse"]["id"])
    _, svc = ship_support.lane_carrier(factory, warehouse_id, "顺丰速运")
    shipment = await live.write(creation.create_shipment, *ship_support.draft(
        pk(order["id"]), warehouse_id, [(line, 2)], "SF1234567890", svc))
    return order, shipment


async def test_shipped_mail_names_the_carrier_and_tracking_number(live, live_kit, factory):
    mail, _sms = sinks()
    email = unique_email()
    customer = live_kit.customer(email=email, phone=None)
    order, shipment = await _shipped(live, live_kit, factory, customer)
    now = datetime.now(UTC)
    await live.write(tracking.record_event, shipment.id,
                     ship_support.event("PICKED_UP", now, "上海", "已揽收"))
    await live.write(tracking.record_event, shipment.id,
                     ship_support.event("IN_TRANSIT", now, "杭州", "运输中"))
    messages = mail.wait(email, 3)  # received, approved, shipped (once, not per scan)
    await asyncio.sleep(0.5)
    shipped = [m for m in mail.messages[email] if "已发货" in str(m["Subject"])]
    assert len(shipped) == 1 and len(messages) == 3
    body = shipped[0].get_content()
    assert "承运商：顺丰速运" in body and "运单号：SF1234567890" in body
    assert order["number"] in str(shipped[0]["Subject"])


async def test_exception_warns_customer_and_alerts_logistics_staff(live, live_kit, factory):
    mail, _sms = sinks()
    email, staff_email = unique_email(), None
    logistics = factory.user("LOGISTICS")
    staff_email = logistics.email
    customer = live_kit.customer(email=email, phone=None)
    _order, shipment = await _shipped(live, live_kit, factory, customer)
    await live.write(tracking.record_event, shipment.id,
                     ship_support.event("EXCEPTION", datetime.now(UTC), "杭州", "地址不详"))
    delayed = [m for m in mail.wait(email, 3) if "配送异常" in str(m["Subject"])]
    assert delayed and "地址不详" in delayed[0].get_content()
    [alert] = mail.wait(staff_email)
    assert str(alert["Subject"]) == f"发货异常：{shipment.number}"
    inbox = await wait_rows(factory, lambda f: len(f) >= 1, user_id=logistics.id,
                            channel="IN_APP")
    assert inbox[0].template == "staff_exception"


async def test_delivered_is_announced_once(live_kit, factory):
    mail, _sms = sinks()
    email = unique_email()
    customer = live_kit.customer(email=email, phone=None)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    order, _customer, _rep = await pending_order(live_kit, factory, customer)
    order = await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    line = pk(order["lines"][0]["id"])
    warehouse_id = pk(order["allocations"][0]["warehouse"]["id"])
    factory.write(fulfillment.record_shipment, pk(order["id"]), [(line, warehouse_id, 2)])
    await live_kit.ok_step("orderConfirmDelivery", order["id"], buyer.token, rating=5)
    delivered = [m for m in mail.wait(email, 3) if "已送达" in str(m["Subject"])]
    assert len(delivered) == 1


async def test_temporary_failures_are_retried_with_backoff(live_kit, factory):
    mail, sms = sinks()
    email, phone = unique_email(), unique_phone()
    mail.fail[email] = ["451 4.3.0 mailbox busy", "451 4.3.0 mailbox busy"]
    sms.plan[phone] = [503, 429]
    customer = live_kit.customer(email=email, phone=phone)
    await pending_order(live_kit, factory, customer)
    mail.wait(email)
    sms.wait(phone)
    found = await wait_rows(factory, settled("order_received", ALL), customer_id=customer.id)
    sent = by_channel(found, "order_received")
    assert (sent["EMAIL"].status, sent["EMAIL"].attempts) == ("SENT", 3)
    assert (sent["SMS"].status, sent["SMS"].attempts) == ("SENT", 3)
    assert sent["EMAIL"].last_error is None and sms.attempts[phone] == 3


async def test_final_failure_is_recorded_and_queryable(live_kit, factory):
    mail, sms = sinks()
    email, phone = unique_email(), unique_phone()
    mail.fail[email] = ["550 5.1.1 no such user"]
    sms.plan[phone] = [503] * 10
    customer = live_kit.customer(email=email, phone=phone)
    _order, _customer, rep = await pending_order(live_kit, factory, customer)
    found = await wait_rows(factory, settled("order_received", ALL), timeout=20,
                            customer_id=customer.id)
    failed = by_channel(found, "order_received")
    assert (failed["EMAIL"].status, failed["EMAIL"].attempts) == ("FAILED", 1)  # permanent
    assert "550" in failed["EMAIL"].last_error
    assert (failed["SMS"].status, failed["SMS"].attempts) == ("FAILED", 5)  # gave up
    assert failed["SMS"].last_error == "SMS provider answered HTTP 503"
    data = await live_kit.api.ok("""query($id: ID!) { notifications(
        filter: {customerId: $id, status: FAILED}) { totalCount nodes { channel lastError } } }""",
                                 {"id": gid("Customer", customer.id)}, rep.token)
    assert data["notifications"]["totalCount"] == 2
