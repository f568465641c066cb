"""Regression guards for the benchmark's operations (tests/bench/queries.py): the SPA orders
page and the deep analyst query run a fixed number of SQL statements, whatever the page
size. The counts are the ones the benchmark reports; a change that lowers one should lower
the number here, one that raises it is a regression (an N+1 or an extra round trip)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.orders import service, transitions
from app.orders.pricing import LineRequest
from app.shipping import creation, tracking
from tests.bench import queries
from tests.orders.support import Kit
from tests.shipping import support as ship_support
from tests.support import unique

# orders, customers, lines, shipments, products, stock levels joined with their warehouses
ORDERS_PAGE_STATEMENTS = 6
# on PostgreSQL the page compiles to one statement building its JSON (schema/compiled/)
ORDERS_PAGE_COMPILED = 1
# customers, purchase summaries (2), orders, lines, products, shipments, carriers, tracking
ANALYST_STATEMENTS = 9


def _lines(session, order_id: int) -> list:  # noqa: ANN001
    from app.orders.repository import lines_of
    return lines_of(session, order_id)


def _orders(kit: Kit, factory, prefix: str, count: int) -> None:  # noqa: ANN001
    customers = [kit.customer(name=f"{prefix}{i}") for i in range(3)]
    east = kit.warehouse("华东")
    products = [kit.product("12.50"), kit.product("8.00")]
    for product in products:
        kit.stock(product, east, 1000)
    _, svc = ship_support.lane_carrier(factory, east.id, "顺丰速运")
    for i in range(count):
        draft = service.OrderDraft(customer_id=customers[i % 3].id, submit=True, lines=tuple(
            LineRequest(p.id, 1 + i % 2) for p in products))
        order = factory.write(service.create_order, draft)
        factory.write(transitions.approve_order, order.id)
        line = kit.read(lambda s, o=order.id: _lines(s, o))[0]
        shipment = factory.write(creation.create_shipment, *ship_support.draft(
            order.id, east.id, [(line.id, 1)], unique("TN"), svc))
        factory.write(tracking.record_event, shipment.id,
                      ship_support.event("PICKED_UP", datetime.now(UTC), "上海", "已揽收"))


async def _count(kit: Kit, db, query: str, variables: dict, token: str) -> tuple[int, dict]:  # noqa: ANN001
    db.counter.reset()
    data = await kit.api.ok(query, variables, token)
    return db.counter.count, data


async def test_spa_orders_page_statements_are_fixed(api, factory, db):
    kit = Kit(api, factory)
    admin = factory.user("ADMIN")
    _orders(kit, factory, unique("页面客户"), 12)
    counts = {}
    for first in (2, 12):
        counts[first], data = await _count(kit, db, queries.ORDERS_PAGE, {"first": first},
                                           admin.token)
        nodes = [e["node"] for e in data["orders"]["edges"]]
        assert len(nodes) == first
        assert all(n["lines"] and n["shipments"] for n in nodes)
        assert all(n["lines"][0]["product"]["stockLevels"][0]["warehouse"] for n in nodes)
    expected = ORDERS_PAGE_STATEMENTS if db.is_sqlite else ORDERS_PAGE_COMPILED
    assert counts == {2: expected, 12: expected}, \
        db.counter.statements


async def test_analyst_deep_query_statements_are_fixed(api, factory, db):
    kit = Kit(api, factory)
    analyst = factory.user("ANALYST")
    prefix = unique("分析客户")
    _orders(kit, factory, prefix, 9)
    # the benchmark's query, narrowed to this test's customers
    query = queries.ANALYST_DEEP.replace(
        "customers(first: $customers)",
        f'customers(first: $customers, filter: {{search: "{prefix}"}})')
    counts = {}
    for customers, orders in ((1, 1), (3, 3)):
        counts[customers], data = await _count(
            kit, db, query, {"customers": customers, "orders": orders}, analyst.token)
        nodes = [e["node"] for e in data["customers"]["edges"]]
        assert len(nodes) == customers
        assert all(len(n["orders"]["edges"]) == orders for n in nodes)
        assert all(n["email"] is None or "***" in n["email"] for n in nodes)  # masked
        shipment = nodes[0]["orders"]["edges"][0]["node"]["shipments"][0]
        assert shipment["carrier"]["name"] == "顺丰速运" and shipment["trackingEvents"]
    assert counts == {1: ANALYST_STATEMENTS, 3: ANALYST_STATEMENTS}, db.counter.statements
