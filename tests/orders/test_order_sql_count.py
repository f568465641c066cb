"""Issue 2 item 12: the orders list (with customer, lines, products, their stock levels with
warehouses, and shipments) issues the same number of SQL statements for 10 and 50 orders,
and at most 8: 6 (orders, customers, lines, shipments, products, stock levels joined with
their warehouses)."""

from __future__ import annotations

from app.orders import service, transitions
from app.orders.pricing import LineRequest
from app.shipping import creation
from tests.orders.support import query_statements
from tests.shipping import support as ship_support

QUERY = """query($n: Int) { orders(first: $n) { edges { node {
  number status total { amount }
  customer { name }
  lines { quantity product { name stockLevels { available warehouse { name } } } }
  shipments { number status }
} } } }"""


async def test_orders_list_statement_count_does_not_grow(kit, factory, db):
    rep = factory.user("SALES")
    customers = [kit.customer(owner_id=rep.id) for _ in range(5)]
    east, north = kit.warehouse("华东"), kit.warehouse("华北")
    tea, cup = kit.product("10.00"), kit.product("5.00")
    for product in (tea, cup):
        kit.stock(product, east, 500)
        kit.stock(product, north, 500)
    _, svc = ship_support.lane_carrier(factory, east.id)
    for i in range(50):
        draft = service.OrderDraft(customer_id=customers[i % 5].id, submit=True, lines=(
            LineRequest(tea.id, 1 + i % 3), LineRequest(cup.id, 2)))
        order = factory.write(service.create_order, draft)
        if i % 2:
            factory.write(transitions.approve_order, order.id)
            line_ids = [ln.id for ln in kit.read(lambda s, o=order.id: _lines(s, o))]
            factory.write(creation.create_shipment, *ship_support.draft(
                order.id, east.id, [(line_ids[0], 1)], service=svc))
    counts = {}
    for n in (10, 50):
        db.counter.reset()
        data = await kit.api.ok(QUERY, {"n": n}, rep.token)
        counts[n] = len(query_statements(db))
        nodes = [e["node"] for e in data["orders"]["edges"]]
        assert len(nodes) == n
        assert all(len(node["lines"]) == 2 for node in nodes)
        assert all(node["lines"][0]["product"]["stockLevels"] for node in nodes)
        assert sum(len(node["shipments"]) for node in nodes) == n // 2
    assert counts[10] == counts[50], query_statements(db)
    assert counts[50] <= 6, query_statements(db)


def _lines(session, order_id: int) -> list:  # noqa: ANN001
    from app.orders.repository import lines_of
    return lines_of(session, order_id)
