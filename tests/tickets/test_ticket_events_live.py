"""ticketEvents over a real WebSocket: agents see every ticket's events, breaches and
escalations included; a customer only its own tickets' events, never the internal ones
nor another customer's; analysts are refused (docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from datetime import timedelta

from app.tickets import breaches, service
from tests.subscriptions.harness import WsClient
from tests.tickets import support as t

EVENTS = """subscription { ticketEvents { cursor type ticketId status breach priority
  ticket { id status subject } } }"""


async def _until(ws: WsClient, op: str, ticket_id: str, kind: str) -> dict:
    for _ in range(500):
        seen = (await ws.next(op))["data"]["ticketEvents"]
        if seen["ticketId"] == ticket_id and seen["type"] == kind:
            return seen
    raise AssertionError("the event never came")


async def test_agents_see_all_customers_only_their_own(live, live_api, factory):
    customer, other = factory.customer(), factory.customer()
    agent = factory.user("CUSTOMER_SERVICE")
    me = factory.user("CUSTOMER", customer_id=customer.id)
    staff_ws = await WsClient.connect(live.ws_url, agent.token)
    await staff_ws.subscribe("staff", EVENTS)
    own_ws = await WsClient.connect(live.ws_url, me.token)
    await own_ws.subscribe("own", EVENTS)
    for ws in (staff_ws, own_ws):
        await ws.sync()

    theirs = await t.new(live_api, agent.token, customerId=t.gid("Customer", other.id),
                         assigneeId=agent.gid, subject="别人的")
    mine = await t.new(live_api, me.token, staff=False, subject="我的")
    await live_api.ok(t.REPLY, {"id": mine["id"], "body": "已收到"}, agent.token)
    created = await _until(own_ws, "own", mine["id"], "CREATED")
    assert created["ticket"]["subject"] == "我的"
    changed = await _until(own_ws, "own", mine["id"], "STATUS_CHANGED")
    assert changed["status"] == "PENDING_CUSTOMER"
    seen = await _until(staff_ws, "staff", theirs["id"], "CREATED")
    assert seen["ticket"]["subject"] == "别人的"

    # a breach: the agent hears it, the customer does not
    await live.write(breaches.check_breaches, t.T0 + timedelta(days=3650))
    breach = await _until(staff_ws, "staff", theirs["id"], "BREACHED")
    assert breach["breach"] in ("FIRST_RESPONSE", "RESOLUTION")
    rest = await own_ws.quiet("own")
    tickets = {m["payload"]["data"]["ticketEvents"]["ticketId"] for m in rest}
    kinds = {m["payload"]["data"]["ticketEvents"]["type"] for m in rest}
    assert theirs["id"] not in tickets
    assert not kinds & {"BREACHED", "ESCALATED"}
    for ws in (staff_ws, own_ws):
        await ws.close()


async def test_analysts_and_sales_are_refused(live, factory):
    for user in (factory.user("ANALYST"), factory.user("SALES")):
        ws = await WsClient.connect(live.ws_url, user.token)
        await ws.subscribe("events", EVENTS)
        refused = await ws.message("events")
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "FORBIDDEN"
        await ws.close()


def test_follow_up_tickets_open_inside_another_units_work(factory):
    """The entry for other domains (a low survey score): one unit of work, auto-assigned,
    linked to the customer's order, ticket.created in the outbox."""
    customer = factory.customer()
    factory.user("CUSTOMER_SERVICE")
    order = t.order(factory, customer.id, status="DELIVERED")
    ticket = factory.write(service.open_follow_up_ticket, customer.id, "满意度 1 分：送货太慢",
                           order_id=order.id)
    assert (ticket.kind, ticket.priority, ticket.order_id) == ("COMPLAINT", "HIGH", order.id)
    assert ticket.assignee_id is not None and ticket.status == "OPEN"
    assert t.events(factory, "ticket.created", ticket.id)[0]["customer_id"] == customer.id
