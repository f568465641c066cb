"""Order reads: list filters and sorts, row scope, Customer.orders, purchaseSummary,
ordersAtRisk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.orders.models import Order
from tests.orders.support import gid, pk, query_statements

LIST = """query($f: OrderFilter, $s: OrderSort, $first: Int, $after: String) {
  orders(filter: $f, sort: $s, first: $first, after: $after) {
    totalCount nodes { id number status total { amount } }
    pageInfo { hasNextPage endCursor } } }"""


async def _confirmed(kit, token, customer, items, **extra) -> dict:  # noqa: ANN001
    order = await kit.order(token, customer, items, submit=True, **extra)
    return await kit.ok_step("orderApprove", order["id"], token)


async def test_filters_sorts_and_pages(kit, factory):
    rep, admin = factory.user("SALES"), factory.user("ADMIN")
    customer, other = kit.customer(owner_id=rep.id), kit.customer(owner_id=rep.id)
    cheap, dear = kit.product("10.00"), kit.product("99.00")
    kit.stock(cheap, kit.warehouse(), 100)
    drafts = [await kit.order(rep.token, customer, [(cheap, n)]) for n in (1, 2, 3)]
    placed = await _confirmed(kit, admin.token, other, [(cheap, 1)], channel="MOBILE")
    big = await kit.order(rep.token, other, [(dear, 5)], externalId="JD-778899")
    data = (await kit.api.ok(LIST, {"s": "TOTAL_DESC"}, rep.token))["orders"]
    assert data["totalCount"] == 5
    totals = [n["total"]["amount"] for n in data["nodes"]]
    assert totals == sorted(totals, key=float, reverse=True) and totals[0] == "495.00"
    by_status = (await kit.api.ok(LIST, {"f": {"status": ["CONFIRMED"]}}, rep.token))["orders"]
    assert [n["id"] for n in by_status["nodes"]] == [placed["id"]]
    by_customer = (await kit.api.ok(LIST, {"f": {"customerId": gid("Customer", customer.id)},
                                           "s": "CREATED_AT_ASC"}, rep.token))["orders"]
    assert [n["id"] for n in by_customer["nodes"]] == [d["id"] for d in drafts]
    mobile = (await kit.api.ok(LIST, {"f": {"channel": "MOBILE"}}, rep.token))["orders"]
    assert [n["id"] for n in mobile["nodes"]] == [placed["id"]]
    search = (await kit.api.ok(LIST, {"f": {"search": "JD-7788"}}, rep.token))["orders"]
    assert [n["id"] for n in search["nodes"]] == [big["id"]]
    by_number = (await kit.api.ok(LIST, {"f": {"search": big["number"]}}, rep.token))["orders"]
    assert [n["id"] for n in by_number["nodes"]] == [big["id"]]
    unpaid = (await kit.api.ok(LIST, {"f": {"paymentStatus": "PAID"}}, rep.token))["orders"]
    assert unpaid["totalCount"] == 0
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    window = (await kit.api.ok(LIST, {"f": {"createdBefore": future}}, rep.token))["orders"]
    assert window["totalCount"] == 5
    newest = (await kit.api.ok(LIST, {"first": 2}, rep.token))["orders"]
    assert [n["id"] for n in newest["nodes"]] == [big["id"], placed["id"]]
    rest = (await kit.api.ok(LIST, {"first": 10, "after": newest["pageInfo"]["endCursor"]},
                             rep.token))["orders"]
    assert [n["id"] for n in rest["nodes"]] == [d["id"] for d in reversed(drafts)]
    numbered = (await kit.api.ok(LIST, {"s": "NUMBER_ASC"}, rep.token))["orders"]["nodes"]
    assert [n["number"] for n in numbered] == sorted(n["number"] for n in numbered)


async def test_row_scope_foreign_orders_look_missing(kit, factory):
    rep, other_rep = factory.user("SALES"), factory.user("SALES")
    mine, theirs = kit.customer(owner_id=rep.id), kit.customer(owner_id=other_rep.id)
    buyer = factory.user("CUSTOMER", customer_id=mine.id)
    product = kit.product()
    own = await kit.order(rep.token, mine, [(product, 1)])
    foreign = await kit.order(other_rep.token, theirs, [(product, 1)])
    get = "query($id: ID!) { order(id: $id) { id } node(id: $id) { id } }"
    for token in (rep.token, buyer.token):
        assert (await kit.api.ok(get, {"id": own["id"]}, token))["order"] == {"id": own["id"]}
        hidden = await kit.api.ok(get, {"id": foreign["id"]}, token)
        absent = await kit.api.ok(get, {"id": gid("Order", 987654321)}, token)
        assert hidden == absent == {"order": None, "node": None}
        ids = {n["id"] for n in (await kit.api.ok(LIST, {"first": 100}, token))[
            "orders"]["nodes"]}
        assert own["id"] in ids and foreign["id"] not in ids
    assert (await kit.api.ok(get, {"id": "garbage"}, rep.token))["order"] is None
    line_id = own["lines"][0]["id"]
    by_node = "query($id: ID!) { node(id: $id) { ... on OrderLine { id sku } } }"
    assert (await kit.api.ok(by_node, {"id": line_id}, buyer.token))["node"]["id"] == line_id
    assert (await kit.api.ok(by_node, {"id": foreign["lines"][0]["id"]}, buyer.token))[
        "node"] is None


async def test_warehouse_sees_shipping_address_but_not_customer_contacts(kit, factory):
    admin, keeper, analyst = (factory.user("ADMIN"), factory.user("WAREHOUSE"),
                              factory.user("ANALYST"))
    customer = kit.customer()
    order = await kit.order(admin.token, customer, [(kit.product(), 1)], shipTo={
        "recipient": "王小明", "phone": "13912345678", "address": "杭州市西湖区 1 号"})
    query = """query($id: ID!) { order(id: $id) { shipRecipient shipPhone shipAddress
      customer { name } } }"""
    seen = await kit.api.gql(query, {"id": order["id"]}, keeper.token)
    assert seen["data"]["order"]["shipPhone"] == "13912345678"
    assert seen["data"]["order"]["customer"] is None
    assert seen["errors"][0]["path"] == ["order", "customer"]
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    masked = await kit.api.ok(query, {"id": order["id"]}, analyst.token)
    assert masked["order"]["shipPhone"] == "139****5678"


CUSTOMERS = """query($first: Int) { customers(first: $first, filter: {ownerId: $owner}) {
  nodes { name
    orders(first: 2) { totalCount nodes { number status lines { sku } }
                       pageInfo { hasNextPage endCursor } }
    purchaseSummary { orderCount totalSpent { amount } lastOrderAt
                      topProducts { sku quantity revenue { amount } product { name } } } } } }"""


async def test_customer_orders_and_purchase_summary_batched(kit, factory, db):
    rep, admin = factory.user("SALES"), factory.user("ADMIN")
    product, other = kit.product("10.00"), kit.product("20.00")
    kit.stock(product, kit.warehouse(), 500)
    kit.stock(other, kit.warehouse(), 500)
    customers = [kit.customer(owner_id=rep.id, name=f"订单客户 {i}") for i in range(6)]
    for i, customer in enumerate(customers):
        for _ in range(i % 3):
            await _confirmed(kit, admin.token, customer, [(product, 2), (other, 1)])
        await kit.order(admin.token, customer, [(other, 9)])  # a draft: not a purchase
    query = CUSTOMERS.replace("$first: Int", "$first: Int, $owner: ID")
    counts = []
    for first in (3, 6):
        db.counter.reset()
        data = await kit.api.ok(query, {"first": first, "owner": rep.gid}, rep.token)
        counts.append(len(query_statements(db)))
    assert counts[0] == counts[1], query_statements(db)
    nodes = {n["name"]: n for n in data["customers"]["nodes"]}
    two = nodes["订单客户 2"]
    assert two["orders"]["totalCount"] == 3
    assert len(two["orders"]["nodes"]) == 2 and two["orders"]["pageInfo"]["hasNextPage"]
    assert two["purchaseSummary"]["orderCount"] == 2
    assert two["purchaseSummary"]["totalSpent"] == {"amount": "80.00"}
    assert datetime.fromisoformat(two["purchaseSummary"]["lastOrderAt"]).tzinfo is not None
    assert [(t["sku"], t["quantity"]) for t in two["purchaseSummary"]["topProducts"]] == [
        (product.sku, 4), (other.sku, 2)]
    assert nodes["订单客户 0"]["purchaseSummary"] == {"orderCount": 0,
                                                 "totalSpent": {"amount": "0.00"},
                                                 "lastOrderAt": None, "topProducts": []}
    page = """query($id: ID!, $after: String) { customer(id: $id) {
      orders(first: 2, after: $after, filter: {status: [CONFIRMED]}) {
        nodes { id } pageInfo { hasNextPage endCursor } } } }"""
    cid = gid("Customer", customers[2].id)
    first = (await kit.api.ok(page, {"id": cid}, rep.token))["customer"]["orders"]
    assert len(first["nodes"]) == 2 and not first["pageInfo"]["hasNextPage"]
    more = (await kit.api.ok(page, {"id": cid, "after": first["pageInfo"]["endCursor"]},
                             rep.token))["customer"]["orders"]
    assert more["nodes"] == []


def _set_promised(uow, order_id: int, days: int) -> None:  # noqa: ANN001
    row = uow.session.get(Order, order_id)
    row.promised_date = datetime.now(UTC).date() + timedelta(days=days)
    uow.session.add(row)


async def test_orders_at_risk_with_reasons(kit, factory):
    rep, admin = factory.user("SALES"), factory.user("ADMIN")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    kit.stock(product, kit.warehouse(), 50)
    soon = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    later = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    unscheduled = await _confirmed(kit, admin.token, customer, [(product, 1)],
                                   promisedDate=soon)
    scheduled = await _confirmed(kit, admin.token, customer, [(product, 1)])
    await kit.ok_step("orderSchedule", scheduled["id"], admin.token, promisedDate=soon)
    held = await _confirmed(kit, admin.token, customer, [(product, 1)], promisedDate=soon)
    await kit.ok_step("orderHold", held["id"], admin.token, reason="等待付款")
    late = await _confirmed(kit, admin.token, customer, [(product, 1)], promisedDate=soon)
    factory.write(_set_promised, pk(late["id"]), -2)
    await _confirmed(kit, admin.token, customer, [(product, 1)], promisedDate=later)
    await kit.order(admin.token, customer, [(product, 1)], promisedDate=soon)  # a draft
    query = """query($d: Int) { ordersAtRisk(withinDays: $d, first: 50) { totalCount
      nodes { reason daysLeft message order { id } } } }"""
    data = (await kit.api.ok(query, {"d": 3}, rep.token))["ordersAtRisk"]
    got = [(n["order"]["id"], n["reason"], n["daysLeft"]) for n in data["nodes"]]
    assert got[0] == (late["id"], "OVERDUE", -2)
    assert set(got[1:]) == {(unscheduled["id"], "NOT_SCHEDULED", 2),
                            (scheduled["id"], "DUE_SOON", 2), (held["id"], "ON_HOLD", 2)}
    wide = (await kit.api.ok(query, {"d": 40}, rep.token))["ordersAtRisk"]
    assert wide["totalCount"] == 5
    bad = await kit.api.gql(query, {"d": -1}, rep.token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID"
