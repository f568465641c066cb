"""The ticket workflow over HTTP and on a fixture clock: invalid transitions name the
state, merging duplicates, the reopen window, a delivery exception opening a ticket and
the link shown on both sides, the SLA report (docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from datetime import timedelta

from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import DomainError
from app.shipping.exceptions.opening import open_exception
from app.tickets import lifecycle, service
from tests.tickets import support as t


async def test_transitions_and_invalid_ones(api, factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    ticket = await t.new(api, agent.token, customerId=t.gid("Customer", customer.id),
                         kind="BILLING", channel="WECHAT", assigneeId=agent.gid)
    assert ticket["status"] == "OPEN"
    closing = await t.run(api, "ticketClose", ticket["id"], agent.token)
    assert closing["ticket"] is None
    assert closing["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "OPEN" in closing["userErrors"][0]["message"]
    reopen = await t.run(api, "ticketReopen", ticket["id"], agent.token)
    assert reopen["userErrors"][0]["code"] == "INVALID_TRANSITION"
    resolved = await t.run(api, "ticketResolve", ticket["id"], agent.token, note="已退款")
    assert resolved["ticket"]["status"] == "RESOLVED"
    again = (await api.ok(t.REPLY, {"id": ticket["id"], "body": "x"}, agent.token))
    assert again["ticketReply"]["userErrors"][0]["code"] == "INVALID_TRANSITION"
    closed = await t.run(api, "ticketClose", ticket["id"], agent.token)
    assert (closed["ticket"]["status"], closed["ticket"]["closeReason"]) == ("CLOSED",
                                                                             "RESOLVED")
    for name in ("ticketResolve", "ticketReopen", "ticketAssign", "ticketMerge"):
        args = {"intoId": ticket["id"]} if name == "ticketMerge" else {}
        payload = await t.run(api, name, ticket["id"], agent.token, **args)
        assert payload["ticket"] is None, name
        assert payload["userErrors"][0]["code"] in ("INVALID_TRANSITION", "INVALID"), name
    # an AFTER_SALES ticket needs its subtype; an unknown assignee is NOT_FOUND
    bad = await t.create(api, agent.token, customerId=t.gid("Customer", customer.id),
                         kind="AFTER_SALES")
    assert bad["userErrors"][0]["field"] == ["afterSalesType"]
    nobody = await t.create(api, agent.token, customerId=t.gid("Customer", customer.id),
                            assigneeId=t.gid("User", 999999))
    assert nobody["userErrors"][0]["code"] == "NOT_FOUND"


async def test_merge_moves_messages_and_closes_the_duplicate(api, factory):
    customer, other = factory.customer(), factory.customer()
    agent = factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    first = await t.new(api, me.token, staff=False, subject="没收到货")
    dup = await t.new(api, me.token, staff=False, subject="没收到货（重复）")
    await api.ok(t.REPLY, {"id": dup["id"], "body": "还是没收到"}, me.token)
    await api.ok(t.NOTE, {"id": dup["id"], "body": "重复工单"}, agent.token)
    foreign = await t.new(api, agent.token, customerId=t.gid("Customer", other.id),
                          assigneeId=agent.gid)
    cross = await t.run(api, "ticketMerge", dup["id"], agent.token, intoId=foreign["id"])
    assert [e["code"] for e in cross["userErrors"]] == ["NOT_FOUND"]

    merged = await t.run(api, "ticketMerge", dup["id"], agent.token, intoId=first["id"])
    assert merged["userErrors"] == []
    survivor = merged["ticket"]
    assert survivor["id"] == first["id"]
    assert [m["body"] for m in survivor["messages"]] == ["还是没收到"]
    assert survivor["messages"][0]["mergedFromId"] == dup["id"]
    assert [n["body"] for n in survivor["internalNotes"]] == ["重复工单"]
    closed = (await api.ok(t.GET, {"id": dup["id"]}, me.token))["ticket"]
    assert (closed["status"], closed["closeReason"], closed["mergedInto"]["id"]) == (
        "CLOSED", "MERGED", first["id"])
    assert t.events(factory, "ticket.merged", t.pk(dup["id"]))[0]["into_ticket_id"] == \
        t.pk(first["id"])


def test_reopen_only_within_the_window(factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    as_agent = Principal(user_id=agent.id, role=Role.CUSTOMER_SERVICE)
    as_customer = Principal(user_id=me.id, role=Role.CUSTOMER, customer_id=customer.id)
    data = {"kind": "COMPLAINT", "subject": "漏发配件", "customer_id": customer.id,
            "assignee_id": agent.id}
    ticket = factory.write(service.create_ticket, data, t.T0)
    factory.write(lifecycle.resolve_ticket, ticket.id, "已补发", t.T0 + timedelta(hours=1),
                  principal=as_agent)
    days = factory.settings.ticket_reopen_days
    reopened = factory.write(lifecycle.reopen_ticket, ticket.id, "还是少一个",
                             t.T0 + timedelta(days=days, minutes=59), principal=as_customer)
    assert (reopened.status, reopened.reopen_count) == ("OPEN", 1)
    factory.write(lifecycle.resolve_ticket, ticket.id, None, t.T0 + timedelta(days=8),
                  principal=as_agent)
    try:
        factory.write(lifecycle.reopen_ticket, ticket.id, None,
                      t.T0 + timedelta(days=8 + days, seconds=1), principal=as_customer)
    except DomainError as exc:
        assert exc.code == "INVALID_TRANSITION" and "window" in exc.message
    else:
        raise AssertionError("reopened after the window")


EXCEPTION_SIDE = """query($id: ID!) { node(id: $id) { ... on ShipmentException { id
  tickets { id kind status } } } }"""
FROM_EXCEPTION = """mutation($id: ID!) { ticketCreateFromException(exceptionId: $id,
  priority: HIGH) { ticket { id kind priority customerId shipmentException { id }
  shipment { id } order { id } } userErrors { field code } } }"""


async def test_a_delivery_exception_opens_a_linked_ticket(api, factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    order = t.order(factory, customer.id, status="SHIPPED")
    parcel = t.shipment(factory, order, status="IN_TRANSIT")
    exc, _ = factory.write(open_exception, parcel, "DAMAGED", "STAFF", "外箱破损")
    exc_id = t.gid("ShipmentException", exc.id)
    made = (await api.ok(FROM_EXCEPTION, {"id": exc_id}, agent.token))[
        "ticketCreateFromException"]
    assert made["userErrors"] == []
    ticket = made["ticket"]
    assert (ticket["kind"], ticket["priority"], ticket["customerId"]) == (
        "COMPLAINT", "HIGH", t.gid("Customer", customer.id))
    assert ticket["shipmentException"]["id"] == exc_id
    assert ticket["shipment"]["id"] == t.gid("Shipment", parcel.id)
    assert ticket["order"]["id"] == t.gid("Order", order.id)
    side = await api.ok(EXCEPTION_SIDE, {"id": exc_id}, agent.token)
    assert [x["id"] for x in side["node"]["tickets"]] == [ticket["id"]]
    # a customer can neither name an exception nor open one from it
    denied = await api.gql(FROM_EXCEPTION, {"id": exc_id}, me.token)
    assert t.codes(denied) == ["FORBIDDEN"]
    payload = await t.create(api, me.token, staff=False, exceptionId=exc_id)
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]


REPORT = """query($from: DateTime!, $to: DateTime!) { ticketSlaReport(from: $from, to: $to) {
  overall { total resolved breached breachRate medianFirstResponseMinutes }
  byPriority { priority total breached }
  byAgent { agentName total } } }"""


async def test_the_sla_report_for_managers_and_analysts(api, factory):
    customer, agent = factory.customer(), factory.user("CUSTOMER_SERVICE")
    manager, analyst = factory.user("MANAGER"), factory.user("ANALYST")
    start = t.T0 - timedelta(days=400)
    as_agent = Principal(user_id=agent.id, role=Role.CUSTOMER_SERVICE)
    base = {"kind": "INQUIRY", "subject": "report", "customer_id": customer.id,
            "assignee_id": agent.id, "priority": "HIGH"}
    quick = factory.write(service.create_ticket, dict(base), start)
    factory.write(service.reply, quick.id, "ok", start + timedelta(minutes=10),
                  principal=as_agent)
    slow = factory.write(service.create_ticket, dict(base), start + timedelta(hours=1))
    factory.write(service.reply, slow.id, "sorry", start + timedelta(hours=3),
                  principal=as_agent)
    window = {"from": start.isoformat(), "to": (start + timedelta(days=1)).isoformat()}
    report = (await api.ok(REPORT, window, manager.token))["ticketSlaReport"]
    assert report["overall"] == {"total": 2, "resolved": 0, "breached": 2,
                                 "breachRate": 1.0, "medianFirstResponseMinutes": 65.0}
    assert report["byPriority"] == [{"priority": "HIGH", "total": 2, "breached": 2}]
    assert report["byAgent"][0]["agentName"] is not None
    masked = (await api.ok(REPORT, window, analyst.token))["ticketSlaReport"]
    assert masked["byAgent"][0]["agentName"] == "***"
    refused = await api.gql(REPORT, window, agent.token)
    assert t.codes(refused) == ["FORBIDDEN"]
