"""Shipments through the GraphQL API: relations, row scope, filters, pagination, batching."""

from __future__ import annotations

from tests.shipping import support as s

DETAIL = """query($id: ID!) { shipment(id: $id) {
  id number status trackingNumber exceptionReason estimatedDelivery createdAt shippedAt
  deliveredAt
  order { id number }
  warehouse { id code }
  carrier { id code name regions isActive }
  lines { quantity orderLine { id sku quantity } }
  trackingEvents { status location description occurredAt }
} }"""

LIST = """query($filter: ShipmentFilter, $first: Int, $after: String, $last: Int,
                $before: String, $sort: ShipmentSort) {
  shipments(filter: $filter, first: $first, after: $after, last: $last, before: $before,
            sort: $sort) {
    totalCount
    edges { cursor node { id number status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }"""


async def _ids(api, token, flt=None, first=100):  # noqa: ANN001, ANN202
    data = await api.ok(LIST, {"filter": flt, "first": first}, token)
    return {e["node"]["id"] for e in data["shipments"]["edges"]}


async def test_shipment_detail_resolves_every_relation(api, factory):
    wh, item = s.warehouse(factory), s.product(factory)
    carrier = s.carrier(factory, name="京东物流 JD", lanes=(wh.region,))
    customer = factory.customer()
    order, lines = s.order(factory, customer.id, [(item, 5)], reserve=[wh])
    # events arrive out of order: the history is sorted, the newest scan sets the status
    shipment = s.ship(factory, order, wh, [(lines[0].id, 3)], "JDVA0001",
                      [("IN_TRANSIT", 5), ("PICKED_UP", 1), ("EXCEPTION", 9),
                       ("OUT_FOR_DELIVERY", 7)], carrier=carrier)
    admin = factory.user("ADMIN")
    data = (await api.ok(DETAIL, {"id": s.gid("Shipment", shipment.id)}, admin.token))
    got = data["shipment"]
    assert got["number"] == shipment.number and got["trackingNumber"] == "JDVA0001"
    assert got["status"] == "EXCEPTION"
    assert got["exceptionReason"] == "EXCEPTION 扫描"
    assert got["shippedAt"].startswith("2025-03-01T09:00:00")  # the earliest on-the-way scan
    assert got["deliveredAt"] is None
    assert got["order"] == {"id": s.gid("Order", order.id), "number": order.number}
    assert got["warehouse"] == {"id": s.gid("Warehouse", wh.id), "code": wh.code}
    assert got["carrier"]["name"] == "京东物流 JD"
    assert got["carrier"]["regions"] == ["East", "South"] and got["carrier"]["isActive"]
    assert got["lines"] == [{"quantity": 3, "orderLine": {
        "id": s.gid("OrderLine", lines[0].id), "sku": item.sku, "quantity": 5}}]
    events = got["trackingEvents"]
    assert [e["status"] for e in events] == ["PICKED_UP", "IN_TRANSIT", "OUT_FOR_DELIVERY",
                                             "EXCEPTION"]
    assert events[0]["location"] == "上海转运中心"
    assert events == sorted(events, key=lambda e: e["occurredAt"])


async def test_customer_sees_only_shipments_of_its_own_orders(api, factory):
    w = s.world(factory)
    user = factory.user("CUSTOMER", customer_id=w.customer_a.id)
    mine = {s.gid("Shipment", w.shipments[k].id) for k in ("a@A", "a@B")}
    assert await _ids(api, user.token) == mine
    foreign = await api.ok(DETAIL, {"id": s.gid("Shipment", w.shipments["b@A"].id)}, user.token)
    missing = await api.ok(DETAIL, {"id": s.gid("Shipment", 987654321)}, user.token)
    assert foreign == missing == {"shipment": None}
    node = await api.ok("query($id: ID!) { node(id: $id) { id } }",
                        {"id": s.gid("Shipment", w.shipments["b@B"].id)}, user.token)
    assert node == {"node": None}
    # a foreign order ID in the filter answers like an unknown one: nothing
    by_foreign = await _ids(api, user.token, {"orderId": s.gid("Order", w.orders["b"].id)})
    by_missing = await _ids(api, user.token, {"orderId": s.gid("Order", 987654321)})
    assert by_foreign == by_missing == set()


async def test_sales_sees_shipments_of_customers_it_owns(api, factory):
    w = s.world(factory)
    mine = {s.gid("Shipment", w.shipments[k].id) for k in ("a@A", "a@B")}
    assert await _ids(api, w.rep_a.token) == mine
    theirs = await api.ok(DETAIL, {"id": s.gid("Shipment", w.shipments["b@A"].id)},
                          w.rep_a.token)
    assert theirs == {"shipment": None}


async def test_warehouse_sees_only_shipments_from_its_warehouses(api, factory):
    w = s.world(factory)
    clerk = factory.user("WAREHOUSE", warehouses=[w.wh_a.code])
    ids = await _ids(api, clerk.token, {"orderId": None})
    assert {s.gid("Shipment", w.shipments[k].id) for k in ("a@A", "b@A")} <= ids
    assert not {s.gid("Shipment", w.shipments[k].id) for k in ("a@B", "b@B")} & ids
    other = await api.ok(DETAIL, {"id": s.gid("Shipment", w.shipments["a@B"].id)}, clerk.token)
    assert other == {"shipment": None}
    own = await api.ok(DETAIL, {"id": s.gid("Shipment", w.shipments["a@A"].id)}, clerk.token)
    assert own["shipment"]["warehouse"]["code"] == w.wh_a.code


async def test_order_shipments_of_a_warehouse_clerk_are_its_own_parcels(api, factory):
    w = s.world(factory)
    clerk = factory.user("WAREHOUSE", warehouses=[w.wh_a.code])
    query = "query($id: ID!) { order(id: $id) { shipments { id warehouse { code } } } }"
    order_id = s.gid("Order", w.orders["a"].id)
    seen = await api.ok(query, {"id": order_id}, clerk.token)
    assert seen["order"]["shipments"] == [{"id": s.gid("Shipment", w.shipments["a@A"].id),
                                           "warehouse": {"code": w.wh_a.code}}]
    admin = factory.user("ADMIN")
    everything = await api.ok(query, {"id": order_id}, admin.token)
    assert len(everything["order"]["shipments"]) == 2


async def test_filters(api, factory):
    w = s.world(factory)
    admin = factory.user("ADMIN")
    extra_carrier = s.carrier(factory, lanes=(w.wh_a.region,))
    item = s.product(factory)
    order, lines = s.order(factory, w.customer_a.id, [(item, 2)], reserve=[w.wh_a])
    delivered = s.ship(factory, order, w.wh_a, [(lines[0].id, 2)], "SF-FILTER-1",
                       [("PICKED_UP", 1), ("DELIVERED", 30)], carrier=extra_carrier)
    gid = s.gid("Shipment", delivered.id)
    assert await _ids(api, admin.token, {"carrierId": s.gid("Carrier", extra_carrier.id)}) == {gid}
    assert await _ids(api, admin.token, {"trackingNumber": "SF-FILTER-1"}) == {gid}
    assert await _ids(api, admin.token, {"orderId": s.gid("Order", order.id)}) == {gid}
    by_status = await _ids(api, admin.token, {"status": ["DELIVERED"],
                                              "warehouseId": s.gid("Warehouse", w.wh_a.id)})
    assert gid in by_status and s.gid("Shipment", w.shipments["a@A"].id) not in by_status
    both = await _ids(api, admin.token, {"status": ["DELIVERED", "PICKED_UP"],
                                         "orderId": s.gid("Order", w.orders["a"].id)})
    assert both == {s.gid("Shipment", w.shipments[k].id) for k in ("a@A", "a@B")}
    by_wh = await _ids(api, admin.token, {"warehouseId": s.gid("Warehouse", w.wh_b.id)})
    assert by_wh == {s.gid("Shipment", w.shipments[k].id) for k in ("a@B", "b@B")}
    created = delivered.created_at.isoformat()
    after = await _ids(api, admin.token, {"createdAfter": created,
                                          "warehouseId": s.gid("Warehouse", w.wh_a.id)})
    before = await _ids(api, admin.token, {"createdBefore": created,
                                           "warehouseId": s.gid("Warehouse", w.wh_a.id)})
    assert gid in after and gid not in before and before | after == await _ids(
        api, admin.token, {"warehouseId": s.gid("Warehouse", w.wh_a.id)})
    bad = await _ids(api, admin.token, {"warehouseId": "not-an-id"})
    assert bad == set()


async def test_pagination_forward_backward_and_limits(api, factory):
    w = s.world(factory)
    admin = factory.user("ADMIN")
    flt = {"warehouseId": s.gid("Warehouse", w.wh_a.id)}
    item = s.product(factory)
    for _ in range(3):
        order, lines = s.order(factory, w.customer_b.id, [(item, 1)], reserve=[w.wh_a])
        last = s.ship(factory, order, w.wh_a, [(lines[0].id, 1)])
    expected = sorted(sh.number for sh in [w.shipments["a@A"], w.shipments["b@A"]])
    seen, after = [], None
    while True:
        page = (await api.ok(LIST, {"filter": flt, "first": 2, "after": after,
                                    "sort": "NUMBER_ASC"}, admin.token))["shipments"]
        seen += [e["node"]["number"] for e in page["edges"]]
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 5 and seen == sorted(seen) and set(expected) <= set(seen)
    back = (await api.ok(LIST, {"filter": flt, "last": 2, "sort": "NUMBER_ASC"},
                         admin.token))["shipments"]
    assert [e["node"]["number"] for e in back["edges"]] == seen[-2:]
    assert back["pageInfo"]["hasPreviousPage"] is True
    newest = (await api.ok(LIST, {"filter": flt, "first": 1}, admin.token))["shipments"]
    assert newest["edges"][0]["node"]["number"] == last.number  # default: newest first
    too_many = await api.gql(LIST, {"first": 101}, admin.token)
    assert "between 0 and 100" in too_many["errors"][0]["message"]
    bad_cursor = await api.gql(LIST, {"first": 2, "after": "garbage!!"}, admin.token)
    assert "invalid cursor" in bad_cursor["errors"][0]["message"]


async def test_relations_are_batched(api, factory, db):
    w = s.world(factory)
    admin = factory.user("ADMIN")
    item = s.product(factory)
    for _ in range(6):
        order, lines = s.order(factory, w.customer_a.id, [(item, 2)], reserve=[w.wh_b])
        s.ship(factory, order, w.wh_b, [(lines[0].id, 2)], None,
               [("PICKED_UP", 1), ("IN_TRANSIT", 2)], carrier=w.carrier)
    query = """query($filter: ShipmentFilter, $first: Int) { shipments(filter: $filter,
      first: $first) { edges { node { number order { number } warehouse { code }
      carrier { code } lines { quantity orderLine { sku } }
      trackingEvents { status } } } } }"""
    flt = {"warehouseId": s.gid("Warehouse", w.wh_b.id)}

    async def statements(first: int) -> int:
        db.counter.reset()
        data = await api.ok(query, {"filter": flt, "first": first}, admin.token)
        assert len(data["shipments"]["edges"]) == first
        return db.counter.count

    assert await statements(2) == await statements(8)


async def test_order_lists_its_shipments_and_unauthenticated_is_refused(api, factory):
    w = s.world(factory)
    data = await api.ok("query($id: ID!) { order(id: $id) { shipments { number status } } }",
                        {"id": s.gid("Order", w.orders["a"].id)}, w.rep_a.token)
    numbers = {x["number"] for x in data["order"]["shipments"]}
    assert numbers == {w.shipments["a@A"].number, w.shipments["a@B"].number}
    anonymous = await api.gql(LIST, {"first": 1})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_carriers_list_and_node(api, factory):
    active, retired = s.carrier(factory), s.carrier(factory, active=False)
    analyst = factory.user("ANALYST")
    query = """query($filter: CarrierFilter) { carriers(first: 100, filter: $filter,
      sort: CODE_ASC) { edges { node { id code isActive } } } }"""
    only_active = await api.ok(query, {"filter": {"isActive": True}}, analyst.token)
    codes = [e["node"]["code"] for e in only_active["carriers"]["edges"]]
    assert active.code in codes and retired.code not in codes and codes == sorted(codes)
    node = await api.ok("query($id: ID!) { node(id: $id) { ... on Carrier { code } } }",
                        {"id": s.gid("Carrier", retired.id)}, analyst.token)
    assert node == {"node": {"code": retired.code}}
