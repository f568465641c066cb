"""Return requests: over-returns (also concurrent), illegal transitions, permissions, row
scope, idempotent creation and the list query."""

from __future__ import annotations

import asyncio

from app.orders import fulfillment
from app.orders.models import OrderLine
from app.returns.models import ReturnRequest
from tests.orders.support import gid, pk
from tests.returns.support import (
    RR_APPROVE,
    RR_RECEIVE,
    RR_REFUND,
    RR_REJECT,
    RR_RESOLVE,
    codes,
    count,
    delivered,
    rr_create,
    rr_ok,
    rr_step,
)

LIST = """query($filter: ReturnRequestFilter, $sort: ReturnRequestSort) {
  returnRequests(first: 10, filter: $filter, sort: $sort) {
    totalCount nodes { id number status type customer { id } } } }"""
ONE = "query($id: ID!) { returnRequest(id: $id) { id } node(id: $id) { id } }"


def _returned(kit, order: dict, index: int = 0) -> int:  # noqa: ANN001
    line_pk = pk(order["lines"][index]["id"])
    return kit.read(lambda s: s.get(OrderLine, line_pk).quantity_returned)


async def test_returns_never_exceed_what_was_delivered(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    tea, cup = kit.product("10.00"), kit.product("20.00")
    order, _ = await delivered(kit, admin.token, customer, [(tea, 3), (cup, 1)])
    other, _ = await delivered(kit, admin.token, customer, [(cup, 1)])
    too_many = await rr_create(kit, admin.token, order, [(0, 4)])
    assert codes(too_many) == ["QUANTITY_EXCEEDED"]
    assert too_many["userErrors"][0]["field"] == ["lines", "0", "quantity"]
    assert (await rr_create(kit, admin.token, order, [(0, 2)]))["userErrors"] == []
    second = await rr_create(kit, admin.token, order, [(1, 1), (0, 2)])
    assert codes(second) == ["QUANTITY_EXCEEDED"]
    assert second["userErrors"][0]["field"] == ["lines", "1", "quantity"]
    assert "only 1" in second["userErrors"][0]["message"]
    assert _returned(kit, order, 1) == 0  # the good line of a refused request is not counted
    foreign = {"orderId": order["id"], "type": "RETURN", "reason": "x",
               "lines": [{"orderLineId": other["lines"][0]["id"], "quantity": 1}]}
    bad = (await kit.api.ok(_create_doc(), {"input": foreign}, admin.token))
    assert codes(bad["returnRequestCreate"]) == ["NOT_FOUND"]
    for lines, field in (([(0, 0)], ["lines", "0", "quantity"]),
                         ([(0, 1), (0, 1)], ["lines", "1", "orderLineId"]),
                         ([], ["lines"])):
        payload = await rr_create(kit, admin.token, order, lines)
        assert payload["userErrors"][0]["field"] == field, lines
    blank = await rr_create(kit, admin.token, order, [(0, 1)], reason="  ")
    assert blank["userErrors"][0]["field"] == ["reason"]
    assert _returned(kit, order) == 2


def _create_doc() -> str:
    from tests.returns.support import RR_CREATE
    return RR_CREATE


async def test_concurrent_returns_cannot_take_the_same_units(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    tea = kit.product("10.00")
    order, _ = await delivered(kit, admin.token, customer, [(tea, 3)])
    tokens = [factory.user("CUSTOMER_SERVICE").token for _ in range(4)]
    results = await asyncio.gather(*(rr_create(kit, t, order, [(0, 2)]) for t in tokens))
    ok = [r for r in results if not r["userErrors"]]
    assert len(ok) == 1
    assert all(codes(r) == ["QUANTITY_EXCEEDED"] for r in results if r["userErrors"])
    assert _returned(kit, order) == 2
    assert count(kit, ReturnRequest, ReturnRequest.order_id == pk(order["id"])) == 1


async def test_only_delivered_units_of_a_partly_delivered_order_return(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    tea = kit.product("10.00")
    wh = kit.warehouse()
    kit.stock(tea, wh, 10)
    order = await kit.order(admin.token, customer, [(tea, 4)], submit=True)
    order = await kit.ok_step("orderApprove", order["id"], admin.token)
    early = await rr_create(kit, admin.token, order, [(0, 1)])
    assert codes(early) == ["INVALID_TRANSITION"] and "CONFIRMED" in early["userErrors"][0][
        "message"]
    line = pk(order["lines"][0]["id"])
    factory.write(fulfillment.record_shipment, pk(order["id"]), [(line, wh.id, 4)])
    factory.write(fulfillment.record_delivery, pk(order["id"]), [(line, 1)])
    assert codes(await rr_create(kit, admin.token, order, [(0, 2)])) == ["QUANTITY_EXCEEDED"]
    assert (await rr_create(kit, admin.token, order, [(0, 1)]))["userErrors"] == []


async def test_illegal_transitions_name_the_current_state(kit, factory):
    admin, finance = factory.user("ADMIN"), factory.user("FINANCE")
    customer = kit.customer()
    tea = kit.product("10.00")
    order, wh = await delivered(kit, admin.token, customer, [(tea, 5)])
    rr = (await rr_create(kit, admin.token, order, [(0, 2)], "EXCHANGE"))["returnRequest"]
    actions = {a["action"]: a["enabled"] for a in rr["availableActions"]}
    assert actions == {"APPROVE": True, "REJECT": True, "RECEIVE": False, "REFUND": False,
                       "RESOLVE": False}
    receive = {"id": rr["id"], "warehouseId": gid("Warehouse", wh.id),
               "lines": [{"orderLineId": order["lines"][0]["id"], "restock": 2}]}
    early = await rr_step(kit, RR_RECEIVE, admin.token, input=receive)
    assert codes(early) == ["INVALID_TRANSITION"]
    assert "REQUESTED" in early["userErrors"][0]["message"]
    await rr_ok(kit, RR_APPROVE, admin.token, id=rr["id"])
    for doc, extra in ((RR_APPROVE, {}), (RR_REJECT, {"reason": "晚了"}),
                       (RR_RESOLVE, {})):
        payload = await rr_step(kit, doc, admin.token, id=rr["id"], **extra)
        assert codes(payload) == ["INVALID_TRANSITION"], doc
        assert "APPROVED" in payload["userErrors"][0]["message"]
    await rr_ok(kit, RR_RECEIVE, admin.token, input=receive)
    wrong_type = await rr_step(kit, RR_REFUND, finance.token, id=rr["id"])
    assert codes(wrong_type) == ["INVALID_TRANSITION"]
    assert "EXCHANGE" in wrong_type["userErrors"][0]["message"]

    plain = (await rr_create(kit, admin.token, order, [(0, 1)]))["returnRequest"]
    assert codes(await rr_step(kit, RR_REFUND, finance.token, id=plain["id"])) == [
        "INVALID_TRANSITION"]
    rejected = await rr_ok(kit, RR_REJECT, admin.token, id=plain["id"], reason="超过退货期限")
    assert (rejected["status"], rejected["resolution"]) == ("REJECTED", "超过退货期限")
    assert _returned(kit, order) == 2  # the rejected unit is returnable again
    missing = await rr_step(kit, RR_APPROVE, admin.token, id=gid("ReturnRequest", 99999999))
    assert codes(missing) == ["NOT_FOUND"]


async def test_permissions_and_row_scope(kit, factory):
    admin, rep = factory.user("ADMIN"), factory.user("SALES")
    mine, theirs = kit.customer(owner_id=rep.id), kit.customer()
    buyer = factory.user("CUSTOMER", customer_id=mine.id)
    tea = kit.product("10.00")
    own_order, wh = await delivered(kit, admin.token, mine, [(tea, 2)])
    other_order, _ = await delivered(kit, admin.token, theirs, [(tea, 2)])
    assert codes(await rr_create(kit, buyer.token, other_order, [(0, 1)])) == ["NOT_FOUND"]
    assert codes(await rr_create(kit, rep.token, other_order, [(0, 1)])) == ["NOT_FOUND"]
    for role in ("WAREHOUSE", "FINANCE", "LOGISTICS", "ANALYST"):
        body = await kit.api.gql(_create_doc(), {"input": {
            "orderId": own_order["id"], "type": "RETURN", "reason": "x",
            "lines": [{"orderLineId": own_order["lines"][0]["id"], "quantity": 1}]}},
            factory.user(role).token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    rr = (await rr_create(kit, buyer.token, own_order, [(0, 1)]))["returnRequest"]
    theirs_rr = (await rr_create(kit, admin.token, other_order, [(0, 1)]))["returnRequest"]
    denied = await kit.api.gql(RR_APPROVE, {"id": rr["id"]}, buyer.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await rr_ok(kit, RR_APPROVE, admin.token, id=rr["id"])
    elsewhere = factory.user("WAREHOUSE", warehouses=[kit.warehouse().code])
    foreign_wh = await rr_step(kit, RR_RECEIVE, elsewhere.token, input={
        "id": rr["id"], "warehouseId": gid("Warehouse", wh.id),
        "lines": [{"orderLineId": own_order["lines"][0]["id"], "restock": 1}]})
    assert codes(foreign_wh) == ["NOT_FOUND"] and foreign_wh["userErrors"][0]["field"] == [
        "warehouseId"]
    for role in ("CUSTOMER_SERVICE", "MANAGER", "ADMIN"):
        body = await kit.api.gql(RR_REFUND, {"id": rr["id"]}, factory.user(role).token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role

    listed = await kit.api.ok(LIST, {}, buyer.token)
    assert [n["id"] for n in listed["returnRequests"]["nodes"]] == [rr["id"]]
    assert (await kit.api.ok(ONE, {"id": theirs_rr["id"]}, buyer.token)) == {
        "returnRequest": None, "node": None}
    assert (await kit.api.ok(ONE, {"id": theirs_rr["id"]}, rep.token))["returnRequest"] is None
    assert (await kit.api.ok(ONE, {"id": rr["id"]}, rep.token))["node"] == {"id": rr["id"]}


async def test_idempotent_creation_is_scoped_per_user(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    service = factory.user("CUSTOMER_SERVICE")
    order, _ = await delivered(kit, admin.token, customer, [(kit.product("10.00"), 5)])
    key = {"idempotencyKey": "退货-0001"}
    first = await rr_create(kit, buyer.token, order, [(0, 1)], **key)
    again = await rr_create(kit, buyer.token, order, [(0, 1)], **key)
    assert again["returnRequest"]["id"] == first["returnRequest"]["id"]
    assert count(kit, ReturnRequest, ReturnRequest.order_id == pk(order["id"])) == 1
    assert _returned(kit, order) == 1
    changed = await rr_create(kit, buyer.token, order, [(0, 2)], **key)
    assert codes(changed) == ["IDEMPOTENCY_KEY_REUSED"]
    theirs = await rr_create(kit, service.token, order, [(0, 1)], **key)
    assert theirs["userErrors"] == []
    assert theirs["returnRequest"]["id"] != first["returnRequest"]["id"]
    assert _returned(kit, order) == 2


async def test_list_filters_and_sorts(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    order, _ = await delivered(kit, admin.token, customer, [(kit.product("10.00"), 6)])
    made = []
    for type_ in ("RETURN", "EXCHANGE", "REPAIR"):
        made.append((await rr_create(kit, admin.token, order, [(0, 1)], type_))["returnRequest"])
    await rr_ok(kit, RR_APPROVE, admin.token, id=made[1]["id"])
    by_order = {"orderId": order["id"]}
    data = await kit.api.ok(LIST, {"filter": by_order, "sort": "CREATED_AT_ASC"}, admin.token)
    assert data["returnRequests"]["totalCount"] == 3
    assert [n["id"] for n in data["returnRequests"]["nodes"]] == [r["id"] for r in made]
    approved = await kit.api.ok(LIST, {"filter": {**by_order, "status": ["APPROVED"]}},
                                admin.token)
    assert [n["type"] for n in approved["returnRequests"]["nodes"]] == ["EXCHANGE"]
    repairs = await kit.api.ok(LIST, {"filter": {"customerId": gid("Customer", customer.id),
                                                 "type": ["REPAIR"]}}, admin.token)
    assert [n["id"] for n in repairs["returnRequests"]["nodes"]] == [made[2]["id"]]
    bad = await kit.api.gql(LIST, {"filter": {"orderId": "garbage"}}, admin.token)
    assert bad["errors"] and "data" in bad


async def test_return_list_statement_count_does_not_grow(kit, factory, db):
    admin, rep = factory.user("ADMIN"), factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    tea, cup = kit.product("10.00"), kit.product("5.00")
    order, _ = await delivered(kit, admin.token, customer, [(tea, 8), (cup, 8)])
    for _ in range(6):
        await rr_create(kit, admin.token, order, [(0, 1), (1, 1)])
    query = """query($n: Int) { returnRequests(first: $n) { nodes { number refundAmount { amount }
      lines { quantity orderLine { sku product { name } } }
      order { number payments { amount { amount } } } customer { name } } } }"""
    counts = {}
    for n in (2, 6):
        db.counter.reset()
        data = await kit.api.ok(query, {"n": n}, rep.token)
        counts[n] = db.counter.count
        nodes = data["returnRequests"]["nodes"]
        assert len(nodes) == n and all(len(node["lines"]) == 2 for node in nodes)
    assert counts[2] == counts[6], db.counter.statements
