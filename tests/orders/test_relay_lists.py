"""Relay-friendly lists: a null (or omitted) `sort` is the list's default order, and
Customer.orders pages backward with last/before as well as forward, batched across a list of
customers (frontend-contract/README.md, Lists)."""

from __future__ import annotations

from tests.orders.support import gid

LIST = """query($f: OrderFilter, $s: OrderSort) {
  orders(filter: $f, sort: $s, first: 10) { nodes { id } } }"""
AT_RISK = "query($d: Int) { ordersAtRisk(withinDays: $d, first: 5) { totalCount } }"
CUSTOMER_ORDERS = """query($ids: [ID!]!, $first: Int, $after: String, $last: Int,
                          $before: String, $s: OrderSort) {
  nodes(ids: $ids) { ... on Customer { id
    orders(first: $first, after: $after, last: $last, before: $before, sort: $s) {
      nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


async def test_a_null_sort_is_the_default_order(kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    made = [await kit.order(rep.token, customer, [(product, 1)]) for _ in range(3)]
    flt = {"customerId": gid("Customer", customer.id)}
    newest_first = [o["id"] for o in reversed(made)]
    for variables in ({"f": flt}, {"f": flt, "s": None}, {"f": flt, "s": "CREATED_AT_DESC"}):
        nodes = (await kit.api.ok(LIST, variables, rep.token))["orders"]["nodes"]
        assert [n["id"] for n in nodes] == newest_first
    # a non-null argument with a default used to refuse an explicit null
    assert (await kit.api.ok(AT_RISK, {"d": None}, rep.token))["ordersAtRisk"][
        "totalCount"] == (await kit.api.ok(AT_RISK, {}, rep.token))["ordersAtRisk"][
        "totalCount"]


async def test_customer_orders_page_both_ways_for_several_customers(kit, factory):
    rep = factory.user("SALES")
    product = kit.product()
    customers = [kit.customer(owner_id=rep.id) for _ in range(2)]
    made = {c.id: [(await kit.order(rep.token, c, [(product, 1)]))["id"] for _ in range(5)]
            for c in customers}
    ids = [gid("Customer", c.id) for c in customers]

    async def pages(**variables) -> list[dict]:
        data = await kit.api.ok(CUSTOMER_ORDERS, {"ids": ids, **variables}, rep.token)
        return [n["orders"] for n in data["nodes"]]

    last_two = await pages(last=2, s="CREATED_AT_ASC")
    for c, page in zip(customers, last_two, strict=True):
        assert [n["id"] for n in page["nodes"]] == made[c.id][3:]
        assert page["pageInfo"]["hasPreviousPage"] is True
        assert page["pageInfo"]["hasNextPage"] is False
    first = customers[0]
    before = await pages(last=2, before=last_two[0]["pageInfo"]["startCursor"],
                         s="CREATED_AT_ASC")
    assert [n["id"] for n in before[0]["nodes"]] == made[first.id][1:3]
    assert before[0]["pageInfo"]["hasNextPage"] is True
    assert before[0]["pageInfo"]["hasPreviousPage"] is True
    start = await pages(last=5, before=before[0]["pageInfo"]["startCursor"], s="CREATED_AT_ASC")
    assert [n["id"] for n in start[0]["nodes"]] == made[first.id][:1]
    assert start[0]["pageInfo"]["hasPreviousPage"] is False
    # forward from the same cursor gives the rest, in the same order
    after = await pages(first=10, after=start[0]["pageInfo"]["endCursor"], s="CREATED_AT_ASC")
    assert [n["id"] for n in after[0]["nodes"]] == made[first.id][1:]
    # the default order (newest first) backward: the oldest two, still newest first
    oldest = await pages(last=2)
    assert [n["id"] for n in oldest[0]["nodes"]] == made[first.id][1::-1]
    refused = await kit.api.gql(CUSTOMER_ORDERS, {"ids": ids, "first": 1, "last": 1},
                                rep.token)
    assert refused["errors"][0]["message"] == "use either first or last, not both"
