"""List resolvers load the relations their selection asks for ahead of time
(schema/loading/prefetch.py): through fragments, aliases and @include/@skip, only what is selected,
only what the caller may see, and with the same rules as the fields themselves. Part of
`make check-upstream`: prefetching reads strawberry's `Info.selected_fields`."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from app.orders import service, transitions
from app.orders.pricing import LineRequest
from app.shipping import creation
from tests.bench import queries
from tests.orders.support import Kit
from tests.shipping import support as ship_support
from tests.support import Api, unique

pytestmark = pytest.mark.upstream


@pytest.fixture(scope="module")
def app(settings, db):  # noqa: ANN001, ANN201
    """The resolvers' look-ahead is what is tested here: on PostgreSQL the orders page would
    compile to one statement (docs/architecture.md#compiled-reads), so this app has compiled
    reads off."""
    from schema.asgi import create_app

    return create_app(settings=replace(settings, compiled_reads=False), db=db)


@pytest.fixture(scope="module")
async def api(app, factory):  # noqa: ANN001, ANN201
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client, factory)

FRAGMENTS = """
query($first: Int!, $ships: Boolean!, $noStock: Boolean!) {
  page: orders(first: $first) { edges { node { ...OrderBits } } }
}
fragment OrderBits on Order {
  number
  buyer: customer { name }
  ... on Node { id }
  ... on Order { lines { quantity product { ...ProductStock } } }
  shipments @include(if: $ships) { number }
}
fragment ProductStock on Product {
  name
  stockLevels @skip(if: $noStock) { available warehouse { code } }
}
"""


def _lines(session, order_id: int) -> list:  # noqa: ANN001
    from app.orders.repository import lines_of
    return lines_of(session, order_id)


def _world(kit: Kit, factory, count: int):  # noqa: ANN001, ANN202
    """`count` orders of one customer: two lines each, stock in two warehouses, the first
    line of each shipped from the east warehouse."""
    customer = kit.customer(name=unique("预取客户"))
    east, north = kit.warehouse("华东"), kit.warehouse("华北")
    products = [kit.product("12.50"), kit.product("8.00")]
    for product in products:
        kit.stock(product, east, 500)
        kit.stock(product, north, 500)
    _, svc = ship_support.lane_carrier(factory, east.id)
    for i in range(count):
        draft = service.OrderDraft(customer_id=customer.id, submit=True, lines=tuple(
            LineRequest(p.id, 1 + i % 2) for p in products))
        order = factory.write(service.create_order, draft)
        factory.write(transitions.approve_order, order.id)
        line = kit.read(lambda s, o=order.id: _lines(s, o))[0]
        factory.write(creation.create_shipment,
                      *ship_support.draft(order.id, east.id, [(line.id, 1)], service=svc))
    return customer, east, north


async def _run(kit: Kit, db, query: str, variables: dict, token: str) -> tuple[dict, list]:  # noqa: ANN001
    db.counter.reset()
    body = await kit.api.gql(query, variables, token)
    return body, list(db.counter.statements)


def _selects(statements: list[str], table: str) -> int:
    return sum(1 for s in statements if f"FROM {table}" in s)


async def test_fragments_aliases_and_directives_are_followed(api, factory, db):
    kit = Kit(api, factory)
    admin = factory.user("ADMIN")
    _world(kit, factory, 4)
    plain, plain_sql = await _run(kit, db, queries.ORDERS_PAGE, {"first": 4}, admin.token)
    variables = {"first": 4, "ships": True, "noStock": False}
    body, statements = await _run(kit, db, FRAGMENTS, variables, admin.token)
    assert "errors" not in body and len(statements) == len(plain_sql) == 6, statements
    for got, want in zip(body["data"]["page"]["edges"], plain["data"]["orders"]["edges"],
                         strict=True):
        got, want = got["node"], want["node"]
        assert got["id"] == want["id"] and got["buyer"]["name"] == want["customer"]["name"]
        assert got["shipments"] == [{"number": s["number"]} for s in want["shipments"]]
        assert [ln["product"] for ln in got["lines"]] == [
            {"name": ln["product"]["name"], "stockLevels": [
                {"available": lv["available"], "warehouse": {"code": lv["warehouse"]["code"]}}
                for lv in ln["product"]["stockLevels"]]} for ln in want["lines"]]
    # what is not selected is not loaded
    variables.update(ships=False, noStock=True)
    body, statements = await _run(kit, db, FRAGMENTS, variables, admin.token)
    assert "errors" not in body and len(statements) == 4, statements
    assert _selects(statements, "shipment") == _selects(statements, "stock_level") == 0
    assert all("shipments" not in e["node"] for e in body["data"]["page"]["edges"])


async def test_a_relation_the_caller_may_not_see_is_refused_and_not_loaded(api, factory, db):
    kit = Kit(api, factory)
    customer, _, _ = _world(kit, factory, 3)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)  # no stock:read
    query = """query { orders(first: 3) { edges { node { number
      lines { product { name stockLevels { available } } } } } } }"""
    body, statements = await _run(kit, db, query, {}, buyer.token)
    edges = body["data"]["orders"]["edges"]
    assert len(edges) == 3
    assert all(ln["product"]["name"] and ln["product"]["stockLevels"] is None
               for e in edges for ln in e["node"]["lines"])
    errors = body["errors"]
    assert len(errors) == 6 and {e["extensions"]["code"] for e in errors} == {"FORBIDDEN"}
    assert {tuple(e["path"][-3:]) for e in errors} == {(0, "product", "stockLevels"),
                                                     (1, "product", "stockLevels")}
    assert _selects(statements, "stock_level") == 0, statements


async def test_warehouse_staff_see_their_warehouses_stock_on_the_page(api, factory, db):
    kit = Kit(api, factory)
    _, east, north = _world(kit, factory, 3)
    clerk = factory.user("WAREHOUSE", warehouses=[north.code])
    query = """query { orders(first: 3) { edges { node { number
      lines { product { stockLevels { onHand warehouse { code } } } }
      shipments { number } } } } }"""
    body, statements = await _run(kit, db, query, {}, clerk.token)
    assert "errors" not in body, body["errors"]
    nodes = [e["node"] for e in body["data"]["orders"]["edges"]]
    codes = {lv["warehouse"]["code"] for n in nodes for ln in n["lines"]
             for lv in ln["product"]["stockLevels"]}
    assert codes == {north.code}  # the east levels are not theirs
    assert all(n["shipments"] == [] for n in nodes)  # parcels leave from east only
    # the warehouses come joined to the stock levels, not from a query of their own
    assert _selects(statements, "warehouse") == 0, statements
    assert any("FROM stock_level JOIN warehouse" in s for s in statements), statements


async def test_the_page_and_everything_it_shows_load_in_one_hand_off(api, app, factory, db,
                                                                    monkeypatch):
    """The list's query and every look-ahead level share one worker-thread hand-off and
    one session (schema/loading/prefetch.py `read_connection`)."""
    kit = Kit(api, factory)
    admin = factory.user("ADMIN")
    _world(kit, factory, 3)
    runner = app.state.crm.runner
    read, hand_offs = runner.read, []

    async def counted(fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        hand_offs.append(fn)
        return await read(fn, *args, **kwargs)

    monkeypatch.setattr(runner, "read", counted)
    body, statements = await _run(kit, db, queries.ORDERS_PAGE, {"first": 3}, admin.token)
    assert "errors" not in body and len(statements) == 6, statements
    assert len(hand_offs) == 1
