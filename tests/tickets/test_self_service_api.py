"""Customer self-service over HTTP: a CUSTOMER opens, follows and replies to its own
tickets only, never sees internal notes, the assignee or another customer's ticket through
any entry point; delivery changes before and after dispatch
(docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.orders.models import Order
from app.shipping.models import Shipment
from tests.tickets import support as t

NESTED = """query($id: ID!) { ticket(id: $id) { id internalNotes { body }
  assignee { fullName email } responseBreachedAt } }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Ticket { subject } } }"


async def test_a_customer_opens_follows_and_replies_to_its_own(api, factory):
    customer, other = factory.customer(), factory.customer()
    agent = factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    mine_order = t.order(factory, customer.id)
    foreign_order = t.order(factory, other.id)

    ticket = await t.new(api, me.token, staff=False, kind="AFTER_SALES",
                         afterSalesType="INSTALLATION", subject="空调安装预约",
                         orderId=t.gid("Order", mine_order.id), priority="URGENT")
    assert (ticket["customerId"], ticket["priority"]) == (t.gid("Customer", customer.id),
                                                          "NORMAL")
    assert set(ticket["availableActions"]) <= {"REPLY", "REOPEN"}
    # a foreign customer or order answers like a missing one
    for extra in ({"customerId": t.gid("Customer", other.id)},
                  {"orderId": t.gid("Order", foreign_order.id)},
                  {"orderId": t.gid("Order", 999999999)}):
        payload = await t.create(api, me.token, staff=False, **extra)
        assert payload["ticket"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]

    # the agent answers and writes an internal note
    await t.run(api, "ticketAssign", ticket["id"], agent.token, assigneeId=agent.gid)
    replied = (await api.ok(t.REPLY, {"id": ticket["id"], "body": "师傅明天上午到。"},
                            agent.token))["ticketReply"]
    assert replied["ticket"]["status"] == "PENDING_CUSTOMER"
    note = (await api.ok(t.NOTE, {"id": ticket["id"], "body": "客户脾气急，内部备注"},
                         agent.token))["ticketNoteAdd"]
    assert note["userErrors"] == []
    # the customer replies: back to the agent
    back = (await api.ok(t.REPLY, {"id": ticket["id"], "body": "好的，谢谢"},
                         me.token))["ticketReply"]
    assert back["ticket"]["status"] == "OPEN"
    assert [m["authorKind"] for m in back["ticket"]["messages"]] == ["AGENT", "CUSTOMER"]
    assert all("内部备注" not in m["body"] for m in back["ticket"]["messages"])

    # internal fields are null and FORBIDDEN for the customer
    body = await api.gql(NESTED, {"id": ticket["id"]}, me.token)
    assert body["data"]["ticket"] == {"id": ticket["id"], "internalNotes": None,
                                      "assignee": None, "responseBreachedAt": None}
    assert set(t.codes(body)) == {"FORBIDDEN"}
    staff = await api.ok(NESTED, {"id": ticket["id"]}, agent.token)
    assert [n["body"] for n in staff["ticket"]["internalNotes"]] == ["客户脾气急，内部备注"]
    # a customer cannot write an internal note
    denied = await api.gql(t.NOTE, {"id": ticket["id"], "body": "x"}, me.token)
    assert t.codes(denied) == ["FORBIDDEN"]


async def test_another_customers_ticket_is_missing_everywhere(api, factory):
    customer, other = factory.customer(), factory.customer()
    agent = factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    theirs = await t.new(api, agent.token, customerId=t.gid("Customer", other.id),
                         assigneeId=agent.gid, subject="别人的工单")
    mine = await t.new(api, me.token, staff=False, subject="我的工单")

    got = await api.ok(t.GET, {"id": theirs["id"]}, me.token)
    assert got == {"ticket": None, "node": None}
    nodes = await api.ok(NODES, {"ids": [theirs["id"], mine["id"]]}, me.token)
    assert nodes["nodes"] == [None, {"id": mine["id"], "subject": "我的工单"}]
    listed = await api.ok(t.LIST, {"filter": {"customerId": t.gid("Customer", other.id)}},
                          me.token)
    assert listed["tickets"]["totalCount"] == 0
    everything = await api.ok(t.LIST, {}, me.token)
    assert {e["node"]["id"] for e in everything["tickets"]["edges"]} == {mine["id"]}
    for name, args in (("ticketReply", {"body": "hi"}), ("ticketReopen", {})):
        payload = await t.run(api, name, theirs["id"], me.token, staff=False, **args) \
            if name == "ticketReopen" else (await api.ok(t.REPLY, {"id": theirs["id"],
                                                                  **args}, me.token))[name]
        assert payload["ticket"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]
    # the merged-into pointer of a staff merge never leads a customer elsewhere
    staff_view = await api.ok(t.GET, {"id": theirs["id"]}, agent.token)
    assert staff_view["ticket"]["id"] == theirs["id"]


async def test_delivery_change_before_dispatch_updates_order_and_shipment(api, factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    order = t.order(factory, customer.id, status="IN_FULFILLMENT")
    parcel = t.shipment(factory, order, status="PACKED")
    new_day = (datetime.now(UTC) + timedelta(days=5)).date()
    query = """mutation($input: TicketDeliveryChangeRequestInput!) {
      ticketRequestDeliveryChange(input: $input) { ticket { id kind status
      deliveryChange { address recipient date status } } userErrors { field message code } } }"""
    payload = (await api.ok(query, {"input": {
        "orderId": t.gid("Order", order.id), "change": {
            "address": "北京市朝阳区建国路88号", "recipient": "李四",
            "date": new_day.isoformat()}}}, me.token))["ticketRequestDeliveryChange"]
    assert payload["userErrors"] == []
    ticket = payload["ticket"]
    assert ticket["kind"] == "DELIVERY_CHANGE"
    assert ticket["deliveryChange"] == {"address": "北京市朝阳区建国路88号",
                                        "recipient": "李四", "date": new_day.isoformat(),
                                        "status": "PENDING"}
    denied = await api.gql(t.step("ticketApproveDeliveryChange", {}, staff=False),
                           {"id": ticket["id"]}, me.token)
    assert t.codes(denied) == ["FORBIDDEN"]

    approved = await t.run(api, "ticketApproveDeliveryChange", ticket["id"], agent.token)
    assert approved["userErrors"] == []
    assert approved["ticket"]["status"] == "RESOLVED"
    assert approved["ticket"]["deliveryChange"]["status"] == "APPROVED"
    row = t.row(factory, Order, order.id)
    assert (row.ship_address, row.ship_recipient, row.promised_date) == (
        "北京市朝阳区建国路88号", "李四", new_day)
    sent = t.row(factory, Shipment, parcel.id)
    assert (sent.recipient_address, sent.recipient_name, sent.promised_date) == (
        "北京市朝阳区建国路88号", "李四", new_day)


async def test_delivery_change_after_dispatch_is_refused_and_changes_nothing(api, factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    shipped = t.order(factory, customer.id, status="SHIPPED")
    payload = await t.create(api, me.token, staff=False, kind="DELIVERY_CHANGE",
                             orderId=t.gid("Order", shipped.id),
                             deliveryChange={"address": "新地址"})
    assert payload["ticket"] is None
    error = payload["userErrors"][0]
    assert error["code"] == "INVALID_TRANSITION" and "dispatched" in error["message"]
    assert t.tickets_of(factory, customer.id) == []

    # asked in time, but the parcel left before staff approved: refused, nothing changes
    order = t.order(factory, customer.id, status="IN_FULFILLMENT")
    parcel = t.shipment(factory, order, status="CREATED")
    ticket = await t.new(api, me.token, staff=False, kind="DELIVERY_CHANGE",
                         orderId=t.gid("Order", order.id),
                         deliveryChange={"address": "新地址 2 号"})
    factory.write(_dispatch, parcel.id)
    before = t.row(factory, Order, order.id)
    refused = await t.run(api, "ticketApproveDeliveryChange", ticket["id"], agent.token)
    assert refused["ticket"] is None
    assert refused["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "IN_TRANSIT" in refused["userErrors"][0]["message"]
    after = t.row(factory, Order, order.id)
    assert (after.ship_address, after.version) == (before.ship_address, before.version)
    assert t.row(factory, Shipment, parcel.id).recipient_address != "新地址 2 号"
    still = await api.ok(t.GET, {"id": ticket["id"]}, me.token)
    assert still["ticket"]["deliveryChange"]["status"] == "PENDING"


def _dispatch(uow, shipment_id):  # noqa: ANN001, ANN202
    uow.session.get(Shipment, shipment_id).status = "IN_TRANSIT"
    uow.session.flush()
