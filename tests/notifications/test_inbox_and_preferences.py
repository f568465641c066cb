"""The IN_APP inbox (connection, mark read), delivery-status visibility, and
per-customer channel preferences with opt-out, through the GraphQL API."""

from __future__ import annotations

from tests.notifications.support import (
    by_channel,
    pending_order,
    rows,
    settled,
    unique_email,
    unique_phone,
    wait_rows,
)
from tests.orders.support import gid

INBOX = """query { notifications(filter: {inbox: true, unreadOnly: true}, first: 20) {
  totalCount nodes { id channel template subject body status readAt customer { id } } } }"""
MARK = """mutation($input: NotificationMarkReadInput!) { notificationMarkRead(input: $input) {
  notifications { id readAt } userErrors { code field message } } }"""
PREFS = """mutation($input: NotificationPreferencesUpdateInput!) {
  notificationPreferencesUpdate(input: $input) {
    preferences { customerId email sms inApp optedOut } userErrors { code field message } } }"""
VISIBLE = """query($id: ID) { notifications(filter: {customerId: $id}, first: 50) {
  totalCount nodes { channel recipient } } }"""


async def test_customer_inbox_lists_and_marks_read(live_kit, live_api, factory):
    customer = live_kit.customer(email=unique_email(), phone=unique_phone())
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    order, _customer, _rep = await pending_order(live_kit, factory, customer)
    await wait_rows(factory, settled("order_received", {"IN_APP"}), customer_id=customer.id)

    inbox = (await live_api.ok(INBOX, token=buyer.token))["notifications"]
    assert inbox["totalCount"] == 1  # the inbox is IN_APP only
    [item] = inbox["nodes"]
    assert (item["channel"], item["template"], item["status"]) == (
        "IN_APP", "order_received", "DELIVERED")
    assert order["number"] in item["subject"] and item["customer"] == {
        "id": gid("Customer", customer.id)}

    stranger = factory.user("CUSTOMER", customer_id=live_kit.customer().id)
    refused = (await live_api.ok(MARK, {"input": {"ids": [item["id"]]}}, stranger.token))
    assert refused["notificationMarkRead"]["userErrors"][0]["code"] == "NOT_FOUND"
    marked = (await live_api.ok(MARK, {"input": {"ids": [item["id"]]}}, buyer.token))
    assert marked["notificationMarkRead"]["notifications"][0]["readAt"]
    assert (await live_api.ok(INBOX, token=buyer.token))["notifications"]["totalCount"] == 0


async def test_delivery_status_is_visible_within_scope_only(live_kit, live_api, factory):
    customer = live_kit.customer(email=unique_email(), phone=unique_phone())
    order, _customer, rep = await pending_order(live_kit, factory, customer)
    await wait_rows(factory, settled("order_received", {"EMAIL", "SMS", "IN_APP"}),
                    customer_id=customer.id)
    cid = gid("Customer", customer.id)
    mine = (await live_api.ok(VISIBLE, {"id": cid}, rep.token))["notifications"]
    assert mine["totalCount"] >= 3
    other_rep, keeper, analyst = (factory.user("SALES"), factory.user("WAREHOUSE"),
                                  factory.user("ANALYST"))
    assert (await live_api.ok(VISIBLE, {"id": cid}, other_rep.token))[
        "notifications"]["totalCount"] == 0
    assert (await live_api.ok(VISIBLE, {"id": cid}, keeper.token))[
        "notifications"]["totalCount"] == 0
    denied = await live_api.gql(VISIBLE, {"id": cid}, analyst.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    own = (await live_api.ok(VISIBLE, {"id": cid}, buyer.token))["notifications"]
    assert own["totalCount"] == mine["totalCount"]
    assert order  # the notifications belong to this order's submission


async def test_preferences_switch_channels_off_and_opt_out(live_kit, live_api, factory):
    email, phone = unique_email(), unique_phone()
    customer = live_kit.customer(email=email, phone=phone)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    cid = gid("Customer", customer.id)
    off = await live_api.ok(PREFS, {"input": {"customerId": cid, "sms": False}}, buyer.token)
    assert off["notificationPreferencesUpdate"]["preferences"] == {
        "customerId": cid, "email": True, "sms": False, "inApp": True, "optedOut": False}
    await pending_order(live_kit, factory, customer)
    found = await wait_rows(factory, settled("order_received", {"EMAIL", "IN_APP"}),
                            customer_id=customer.id)
    assert set(by_channel(found, "order_received")) == {"EMAIL", "IN_APP"}

    out = await live_api.ok(PREFS, {"input": {"customerId": cid, "optOut": True}}, buyer.token)
    assert out["notificationPreferencesUpdate"]["preferences"]["optedOut"] is True
    before = len(rows(factory, customer_id=customer.id))
    await pending_order(live_kit, factory, customer)
    assert len(rows(factory, customer_id=customer.id)) == before

    read = await live_api.ok("""query($id: ID!) { notificationPreferences(customerId: $id) {
      email sms inApp optedOut } }""", {"id": cid}, buyer.token)
    assert read["notificationPreferences"]["optedOut"] is True


async def test_preferences_are_only_for_the_customer_and_its_staff(live_kit, live_api, factory):
    rep = factory.user("SALES")
    customer = live_kit.customer(owner_id=rep.id)
    cid = gid("Customer", customer.id)
    stranger = factory.user("CUSTOMER", customer_id=live_kit.customer().id)
    foreign = await live_api.ok(PREFS, {"input": {"customerId": cid, "email": False}},
                                stranger.token)
    assert foreign["notificationPreferencesUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    other_rep = factory.user("SALES")
    assert (await live_api.ok(PREFS, {"input": {"customerId": cid, "email": False}},
                              other_rep.token))["notificationPreferencesUpdate"][
        "userErrors"][0]["code"] == "NOT_FOUND"
    keeper = factory.user("WAREHOUSE")
    denied = await live_api.gql(PREFS, {"input": {"customerId": cid, "email": False}},
                                keeper.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    empty = await live_api.ok(PREFS, {"input": {"customerId": cid}}, rep.token)
    assert empty["notificationPreferencesUpdate"]["userErrors"][0]["field"] == ["input"]
    done = await live_api.ok(PREFS, {"input": {"customerId": cid, "email": False}}, rep.token)
    assert done["notificationPreferencesUpdate"]["preferences"]["email"] is False
