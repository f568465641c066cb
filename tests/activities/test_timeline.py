"""Customer.timeline: one connection, newest first, of the customer's orders, order events,
activities and notifications; keyset pages; a fixed number of SQL statements whatever the
page size; activities by the caller's scope
(docs/architecture.md#activities-plans-and-targets)."""

from __future__ import annotations

from datetime import timedelta

from app.orders import service
from app.orders.pricing import LineRequest
from tests.activities import support as a
from tests.orders.support import Kit, gid

ENTRIES = """query($id: ID!, $first: Int, $after: String) { customer(id: $id) {
  timeline(first: $first, after: $after) { edges { node { kind occurredAt title detail entryId
  activity { id title assignee { fullName } } } } pageInfo { hasNextPage endCursor } } } }"""


def _orders(kit: Kit, factory, customer, count: int) -> list:  # noqa: ANN001
    product = kit.product("10.00")
    return [factory.write(service.create_order, service.OrderDraft(
        customer_id=customer.id, submit=True, lines=(LineRequest(product.id, 1 + i),)))
        for i in range(count)]


async def _page(api, token, customer, first, after=None) -> dict:  # noqa: ANN001
    data = await api.ok(ENTRIES, {"id": a.customer_gid(customer), "first": first,
                                  "after": after}, token)
    return data["customer"]["timeline"]


async def test_timeline_order_content_and_pages(api, factory):
    kit = Kit(api, factory)
    rep = factory.user("SALES")
    customer = factory.customer(owner_id=rep.id)
    orders = _orders(kit, factory, customer, 3)
    factory.plan_notifications()  # "order received" notices to the customer
    call = await a.create(api, rep.token, a.customer_gid(customer), title="电话回访",
                          due=a.now() + timedelta(days=1))

    whole = await _page(api, rep.token, customer, 100)
    entries = [e["node"] for e in whole["edges"]]
    times = [e["occurredAt"] for e in entries]
    assert times == sorted(times, reverse=True)
    kinds = {e["kind"] for e in entries}
    assert {"ORDER", "ORDER_EVENT", "ACTIVITY", "NOTIFICATION"} <= kinds
    assert entries[0]["kind"] == "ACTIVITY" and entries[0]["title"] == "电话回访"
    assert entries[0]["activity"]["id"] == call["id"] and entries[0]["entryId"] == call["id"]
    placed = [e for e in entries if e["kind"] == "ORDER"]
    assert [e["title"] for e in placed] == [o.number for o in reversed(orders)]
    assert {e["detail"] for e in placed} == {"PENDING_REVIEW"}
    assert [e["entryId"] for e in placed] == [gid("Order", o.id) for o in reversed(orders)]

    walked, after = [], None
    while True:
        page = await _page(api, rep.token, customer, 4, after)
        walked += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == entries

    # the analyst reads the timeline with its free text masked
    analyst = factory.user("ANALYST")
    masked = await _page(api, analyst.token, customer, 100)
    assert {e["node"]["detail"] for e in masked["edges"]} <= {"***", "", None}
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    refused = await api.gql(ENTRIES, {"id": a.customer_gid(customer), "first": 5},
                            buyer.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"]["customer"]["timeline"] is None


async def test_timeline_statements_do_not_grow_with_the_page(api, factory, db):
    kit = Kit(api, factory)
    manager = factory.user("MANAGER")
    customer = factory.customer()
    _orders(kit, factory, customer, 40)
    factory.plan_notifications()
    for i in range(8):
        await a.create(api, manager.token, a.customer_gid(customer), title=f"task {i}",
                       due=a.now() + timedelta(days=i + 1))
    counts = {}
    for first in (10, 100):
        db.counter.reset()
        page = await _page(api, manager.token, customer, first)
        counts[first] = db.counter.count
        assert len(page["edges"]) == first
        assert sum(e["node"]["kind"] == "ACTIVITY" for e in page["edges"]) == 8
    assert counts[10] == counts[100]
    # the customer, the timeline page, its activities, their assignees
    assert counts[10] <= 4, counts


async def test_a_reps_timeline_is_its_own_customers(api, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    theirs = factory.customer(owner_id=other.id)
    assert (await api.ok(ENTRIES, {"id": a.customer_gid(theirs), "first": 5},
                         rep.token))["customer"] is None
