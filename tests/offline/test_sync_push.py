"""`syncPush` over HTTP: a field rep's queued offline writes, each applied once on its own
(docs/architecture.md#offline-writes-and-push). A batch replayed three times applies once;
a stale expectedVersion is a CONFLICT with the server's version; one bad operation does
not hold up the others; client ids resolve within and across pushes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import func, select

from app.activities.models import Activity
from app.customers.models import Contact
from app.orders.models import Order
from tests.orders.support import gid

RESULT = """id status clientId serverVersion userErrors { field message code }
  activity { id title status version subjectType subjectId }
  contact { id name version } order { id status version total { amount } }"""
PUSH = ("mutation($ops: [SyncOperationInput!]!) { syncPush(operations: $ops) { "
        f"results {{ {RESULT} }} userErrors {{ field code }} }} }}")


def _uid() -> str:
    return str(uuid.uuid4())


def _due() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


async def push(api: Any, token: str, ops: list[dict]) -> list[dict]:
    payload = (await api.ok(PUSH, {"ops": ops}, token))["syncPush"]
    assert payload["userErrors"] == []
    return payload["results"]


def count(factory: Any, model: Any, *where: Any) -> int:
    def fetch(session: Any) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()
    return factory.runner.read_sync(fetch, (), {})


def field_day(customer: Any, product: Any) -> tuple[list[dict], dict[str, str]]:
    """A day offline: a new contact, a visit report on it (by its client id), a note on
    the customer, an order draft, then the draft's notes edited by the draft's client id."""
    ids = {"contact": _uid(), "visit": _uid(), "order": _uid()}
    customer_id = gid("Customer", customer.id)
    ops = [
        {"id": _uid(), "clientId": ids["contact"], "contactAdd": {
            "customerId": customer_id, "contact": {"name": "王采购", "phone": "13800138000"}}},
        {"id": _uid(), "clientId": ids["visit"], "activityCreate": {
            "kind": "VISIT", "subjectId": ids["contact"], "title": "拜访王采购", "done": True,
            "outcome": "要样品"}},
        {"id": _uid(), "activityCreate": {"kind": "NOTE", "subjectId": customer_id,
                                          "title": "仓库在二楼"}},
        {"id": _uid(), "clientId": ids["order"], "orderDraftCreate": {
            "customerId": customer_id, "channel": "SALES_REP",
            "lines": [{"productId": gid("Product", product.id), "quantity": 2}]}},
        {"id": _uid(), "targetId": ids["order"], "expectedVersion": 1,
         "orderDraftUpdate": {"notes": "周五前送到"}},
    ]
    return ops, ids


async def test_a_batch_replayed_three_times_applies_once(api, kit, factory):
    rep = factory.user("SALES")
    customer, product = kit.customer(owner_id=rep.id), kit.product("12.50")
    ops, ids = field_day(customer, product)
    first = await push(api, rep.token, ops)
    assert [r["status"] for r in first] == ["APPLIED"] * 5, first
    contact, visit, note, order, edited = first
    assert visit["activity"]["subjectId"] == contact["contact"]["id"]
    assert (visit["activity"]["subjectType"], visit["activity"]["status"]) == ("CONTACT", "DONE")
    assert note["activity"]["subjectType"] == "CUSTOMER"
    assert order["order"]["status"] == "DRAFT" and order["order"]["total"]["amount"] == "25.00"
    assert edited["order"]["id"] == order["order"]["id"] and edited["serverVersion"] == 2

    for _ in range(2):  # the app lost the answers and sends the queue again
        again = await push(api, rep.token, ops)
        assert [r["status"] for r in again] == ["REPLAYED"] * 5, again
        # the same objects, as they are now (the draft at version 2 after its edit)
        kinds = ("contact", "activity", "activity", "order", "order")
        assert [r[k]["id"] for r, k in zip(again, kinds, strict=True)] == [
            r[k]["id"] for r, k in zip(first, kinds, strict=True)]
        assert {r["serverVersion"] for r in again[3:]} == {2}
    assert count(factory, Contact, Contact.customer_id == customer.id) == 1
    assert count(factory, Activity, Activity.customer_id == customer.id) == 2
    assert count(factory, Order, Order.customer_id == customer.id) == 1
    # a create queued again under a new operation id: its client id still applies it once
    retry = dict(ops[3], id=_uid())
    [replayed] = await push(api, rep.token, [retry])
    assert replayed["status"] == "REPLAYED"
    assert replayed["order"]["id"] == order["order"]["id"]
    assert count(factory, Order, Order.customer_id == customer.id) == 1


async def test_a_stale_version_is_a_conflict_with_the_servers_version(api, kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    [made] = await push(api, rep.token, [{"id": _uid(), "clientId": _uid(), "contactAdd": {
        "customerId": gid("Customer", customer.id), "contact": {"name": "李经理"}}}])
    contact_id = made["contact"]["id"]
    # someone else edits the contact online meanwhile
    online = await api.ok("""mutation($id: ID!) { customerContactUpdate(id: $id,
      input: {title: "总经理"}, expectedVersion: 1) { contact { version } } }""",
                          {"id": contact_id}, rep.token)
    assert online["customerContactUpdate"]["contact"]["version"] == 2
    stale = {"id": _uid(), "targetId": contact_id, "expectedVersion": 1,
             "contactUpdate": {"title": "采购"}}
    [conflict] = await push(api, rep.token, [stale])
    assert conflict["status"] == "CONFLICT" and conflict["serverVersion"] == 2
    assert conflict["contact"] == {"id": contact_id, "name": "李经理", "version": 2}
    assert conflict["userErrors"][0]["code"] == "CONFLICT"
    # a conflict applied nothing, so the same operation conflicts again (not a replay)
    [still] = await push(api, rep.token, [stale])
    assert still["status"] == "CONFLICT"
    # the app merges and resends on the server's version
    [merged] = await push(api, rep.token, [dict(stale, id=_uid(), expectedVersion=2)])
    assert merged["status"] == "APPLIED" and merged["serverVersion"] == 3


async def test_one_invalid_operation_does_not_block_the_others(api, kit, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    mine, theirs = kit.customer(owner_id=rep.id), kit.customer(owner_id=other.id)
    ops = [
        {"id": _uid(), "activityCreate": {"kind": "NOTE", "subjectId": gid("Customer", mine.id),
                                          "title": "第一条"}},
        {"id": _uid(), "activityCreate": {"kind": "CALL", "subjectId": gid(
            "Customer", mine.id), "title": "no due time"}},  # invalid: an open call needs one
        {"id": _uid(), "activityCreate": {"kind": "NOTE", "subjectId": gid(
            "Customer", theirs.id), "title": "x"}},  # another rep's customer: NOT_FOUND
        {"id": _uid(), "clientId": "not-a-uuid", "activityCreate": {
            "kind": "NOTE", "subjectId": gid("Customer", mine.id), "title": "x"}},
        {"id": _uid()},  # no operation at all
        {"id": _uid(), "targetId": _uid(), "activityComplete": {}},  # unknown client id
        {"id": _uid(), "activityCreate": {"kind": "CALL", "subjectId": gid(
            "Customer", mine.id), "title": "回电", "dueAt": _due()}},
    ]
    results = await push(api, rep.token, ops)
    assert [r["status"] for r in results] == [
        "APPLIED", "REJECTED", "REJECTED", "REJECTED", "REJECTED", "REJECTED", "APPLIED"]
    assert [r["id"] for r in results] == [op["id"] for op in ops]
    assert results[1]["userErrors"][0]["field"] == ["dueAt"]
    assert results[2]["userErrors"][0]["code"] == "NOT_FOUND"
    assert results[3]["userErrors"][0]["field"] == ["clientId"]
    assert results[4]["userErrors"][0]["field"] == ["operation"]
    assert results[5]["userErrors"][0]["code"] == "NOT_FOUND"
    assert count(factory, Activity, Activity.customer_id == mine.id) == 2
    assert count(factory, Activity, Activity.customer_id == theirs.id) == 0
    # the rejected ones were not remembered: fixed and resent under the same id, they run
    fixed = dict(ops[1], activityCreate=dict(ops[1]["activityCreate"], dueAt=_due()))
    [applied] = await push(api, rep.token, [fixed])
    assert applied["status"] == "APPLIED"


async def test_client_ids_are_per_user_and_operations_need_their_permissions(api, kit, factory):
    rep, other = factory.user("SALES"), factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    client_id = _uid()
    [made] = await push(api, rep.token, [{"id": _uid(), "clientId": client_id,
                                          "activityCreate": {
        "kind": "CALL", "subjectId": gid("Customer", customer.id), "title": "约时间",
        "dueAt": _due()}}])
    # another user's client id names nothing (it answers like a missing object)
    [foreign] = await push(api, other.token, [{"id": _uid(), "targetId": client_id,
                                               "activityComplete": {"outcome": "x"}}])
    assert foreign["status"] == "REJECTED" and foreign["userErrors"][0]["code"] == "NOT_FOUND"
    # the same operation id with another payload is refused, not replayed
    op_id = _uid()
    [done] = await push(api, rep.token, [{"id": op_id, "targetId": client_id,
                                          "expectedVersion": 1,
                                          "activityComplete": {"outcome": "约了周三"}}])
    assert done["status"] == "APPLIED" and done["activity"]["status"] == "DONE"
    [reused] = await push(api, rep.token, [{"id": op_id, "targetId": client_id,
                                            "activityComplete": {"outcome": "别的"}}])
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # a customer may push order drafts, not activities
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    [refused] = await push(api, buyer.token, [{"id": _uid(), "activityCreate": {
        "kind": "NOTE", "subjectId": gid("Customer", customer.id), "title": "x"}}])
    assert refused["status"] == "REJECTED" and refused["userErrors"][0]["code"] == "FORBIDDEN"
    assert made["activity"]["id"]
    warehouse = factory.user("WAREHOUSE")
    body = await api.gql(PUSH, {"ops": []}, warehouse.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_push_is_bounded(api, factory):
    rep = factory.user("SALES")
    ops = [{"id": _uid()} for _ in range(101)]
    payload = (await api.ok(PUSH, {"ops": ops}, rep.token))["syncPush"]
    assert payload["results"] == [] and payload["userErrors"][0]["field"] == ["operations"]
