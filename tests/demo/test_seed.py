"""`seed_demo` on a fresh database: counts, consistency, determinism, logins, --if-empty."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.auth.models import User, UserWarehouse
from app.auth.roles import Role
from app.catalog.models import Product
from app.customers.models import Address, Contact, Customer
from app.demo.catalog_data import DEMO_PASSWORD, DEMO_USERS
from app.demo.orders import STATUS_COUNTS
from app.demo.service import demo_logins, seed_demo
from app.errors import DomainError, ErrorCode
from app.ids import to_global_id
from app.inventory.models import StockLevel, StockMovement, Warehouse
from app.orders.models import Order, OrderAllocation, OrderLine
from app.payments.models import Payment
from app.shipping.models import Carrier, Shipment, ShipmentLine, TrackingEvent


def _read(demo, fn):  # noqa: ANN001, ANN202
    return demo.runner.read_sync(fn, (), {})


def _count(session, model) -> int:  # noqa: ANN001
    return session.exec(select(func.count()).select_from(model)).one()


def test_counts_and_variety(demo):
    assert demo.result.skipped is False
    # (no time limit here: seeding's time depends on the machine's load; it is printed by
    # `crm seed-demo`, and a unit test holds behaviour, never a timing)

    def facts(s):  # noqa: ANN001, ANN202
        customers = list(s.exec(select(Customer)))
        return {
            "counts": {m.__name__: _count(s, m) for m in (
                Customer, Contact, Address, Product, Warehouse, Carrier, Order, Shipment,
                TrackingEvent, Payment, StockLevel)},
            # the ordinary demo's orders (the consignors' come on top: app/demo/follow_ups.py)
            "statuses": Counter(s.exec(select(Order.status).join(
                Customer, Customer.id == Order.customer_id).where(~Customer.is_consignor))),
            "shipment_statuses": set(s.exec(select(Shipment.status))),
            "languages": Counter(c.language for c in customers),
            "tiers": {c.tier for c in customers}, "regions": {c.region for c in customers},
            "owners": Counter(c.owner_id for c in customers if c.owner_id),
            "chinese": any("有限公司" in c.name for c in customers),
            "users": {u.email: u for u in s.exec(select(User))},
            "assignments": list(s.exec(select(UserWarehouse))),
            "warehouse_regions": set(s.exec(select(Warehouse.region))),
            "consigned_levels": _count(s, select(StockLevel).where(
                StockLevel.consignor_id.is_not(None)).subquery()),
        }

    f = _read(demo, facts)
    counts = f["counts"]
    # the ordinary demo, and on top of it the consignors' (app/demo/consignors.py) with
    # their consignees, delivery orders (app/demo/deliveries.py) and failed deliveries
    # (app/demo/follow_ups.py)
    assert counts["Customer"] == 200 + 2 + 4 and counts["Product"] == 100 + 5
    assert counts["Warehouse"] == 3 and counts["Order"] == 1000 + 6 + 4
    assert (demo.result.counts["delivery_follow_ups"],
            demo.result.counts["delivery_follow_ups_resolved"]) == (4, 1)
    assert counts["Contact"] >= 200 and counts["Address"] >= 200
    assert counts["StockLevel"] == 300 + 10 and counts["Carrier"] >= 4
    assert f["consigned_levels"] == 10 and demo.result.counts["consignors"] == 2
    assert [demo.result.counts[k] for k in ("consignees", "delivery_plans",
                                            "delivery_orders")] == [4, 4, 6]
    assert counts["Shipment"] > 500 and counts["TrackingEvent"] > 2000
    assert counts["Payment"] > 300
    # the ordinary demo's orders (the consignors' delivery orders and failed deliveries aside)
    assert f["statuses"] == Counter(dict(STATUS_COUNTS))
    assert {"CREATED", "IN_TRANSIT", "DELIVERED", "EXCEPTION"} <= f["shipment_statuses"]
    assert set(f["languages"]) == {"zh", "en"} and f["chinese"]
    assert f["tiers"] == {"STANDARD", "SILVER", "GOLD", "PLATINUM"}
    assert f["regions"] == f["warehouse_regions"] == {"East", "North", "South"}
    users = f["users"]
    assert {u.role for u in users.values()} == {r.value for r in Role}
    sales_ids = {u.id for u in users.values() if u.role == "SALES"}
    assert set(f["owners"]) == sales_ids  # every SALES demo user owns a share
    assert users["customer@demo.local"].customer_id is not None
    assert users["consignor@demo.local"].customer_id is not None  # CSG-001
    assert [(a.user_id) for a in f["assignments"]] == [users["warehouse@demo.local"].id]


def test_stock_ledger_reconciles(demo):
    def check(s):  # noqa: ANN001, ANN202
        sums = {(p, w): (oh, rs) for p, w, oh, rs in s.exec(
            select(StockMovement.product_id, StockMovement.warehouse_id,
                   func.sum(StockMovement.on_hand_delta), func.sum(StockMovement.reserved_delta))
            .group_by(StockMovement.product_id, StockMovement.warehouse_id))}
        levels = list(s.exec(select(StockLevel)))
        outstanding = Counter()
        for a in s.exec(select(OrderAllocation)):
            outstanding[(a.product_id, a.warehouse_id)] += a.quantity - a.quantity_shipped
        shipped = Counter()
        for line_id, qty, status, restocked in s.exec(
                select(ShipmentLine.order_line_id, ShipmentLine.quantity, Shipment.status,
                       Shipment.restocked_at)
                .join(Shipment, Shipment.id == ShipmentLine.shipment_id)):
            # a parcel back in stock no longer counts (app/orders/undelivered.py)
            shipped[line_id] += qty if status != "CREATED" and restocked is None else 0
        lines = {ln.id: ln.quantity_shipped for ln in s.exec(select(OrderLine))}
        return sums, levels, outstanding, shipped, lines

    sums, levels, outstanding, shipped, lines = _read(demo, check)
    assert len(sums) == len(levels)
    for lv in levels:
        key = (lv.product_id, lv.warehouse_id)
        assert sums[key] == (lv.on_hand, lv.reserved), key
        assert 0 <= lv.reserved <= lv.on_hand
        assert outstanding[key] == lv.reserved, key  # reservations are explained by orders
    assert any(lv.on_hand == lv.reserved for lv in levels)  # some items are sold out
    assert {k: v for k, v in lines.items() if v} == {k: v for k, v in shipped.items() if v}


def test_seed_is_deterministic(demo, seeded_factory):
    def fingerprint(s):  # noqa: ANN001, ANN202
        orders = [(o.number, o.status, str(o.total), o.payment_status, o.created_at)
                  for o in s.exec(select(Order).order_by(Order.id))]
        shipments = [(x.number, x.tracking_number, x.status)
                     for x in s.exec(select(Shipment).order_by(Shipment.id))]
        customers = [(c.code, c.name) for c in s.exec(select(Customer).order_by(Customer.id))]
        stock = [(lv.on_hand, lv.reserved) for lv in s.exec(select(StockLevel).order_by(
            StockLevel.product_id, StockLevel.warehouse_id))]
        return orders, shipments, customers, stock

    first = _read(demo, fingerprint)
    with seeded_factory() as again:
        second = _read(again, fingerprint)
    assert first == second
    assert first[0][0][0].startswith("SO-")


def test_if_empty_is_a_noop_and_plain_seed_refuses(demo):
    before = _read(demo, lambda s: (_count(s, Customer), _count(s, Order)))
    skipped = seed_demo(demo.runner, only_if_empty=True, quiet=True)
    assert skipped.skipped is True
    with pytest.raises(DomainError) as caught:
        seed_demo(demo.runner, only_if_empty=False, quiet=True)
    assert caught.value.code is ErrorCode.CONFLICT
    assert _read(demo, lambda s: (_count(s, Customer), _count(s, Order))) == before


def test_a_skipped_seed_still_prints_the_demo_logins(demo, runner, capsys):  # noqa: ANN001
    """`make run` on a database that has the demo already: the logins again, not only on
    the first run; a database without the demo users prints none."""
    seed_demo(demo.runner, only_if_empty=True, quiet=False)
    out = capsys.readouterr().out
    assert out.startswith("demo data skipped: it already has customers\n")
    assert f"demo logins (password for all: {DEMO_PASSWORD}):" in out
    assert all(f"  {email} " in out for email, _, _ in DEMO_USERS)
    assert "sales@demo.local" in out and "owns " in out
    assert sorted(demo_logins(demo.runner)) == sorted(email for email, _, _ in DEMO_USERS)
    assert demo_logins(runner) == []  # the shared test database: no demo users


LOGIN = """mutation($email: String!, $password: String!) { login(email: $email,
  password: $password) { accessToken user { role } userErrors { code } } }"""


async def _gql(client, query, variables=None, token=None):  # noqa: ANN001, ANN202
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers=headers)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


async def test_every_demo_login_works_through_the_api(demo, demo_api):
    tokens = {}
    for email, role, _ in DEMO_USERS:
        data = await _gql(demo_api, LOGIN, {"email": email, "password": DEMO_PASSWORD})
        assert data["login"]["userErrors"] == [] and data["login"]["user"]["role"] == role
        tokens[email] = data["login"]["accessToken"]
        me = await _gql(demo_api, "{ me { role } }", token=tokens[email])
        assert me["me"]["role"] == role

    def expected(s):  # noqa: ANN001, ANN202
        customer_id = s.exec(select(User.customer_id).where(
            User.email == "customer@demo.local")).one()
        own = _count(s, select(Shipment).join(Order, Order.id == Shipment.order_id).where(
            Order.customer_id == customer_id).subquery())
        wh = s.exec(select(Warehouse).where(Warehouse.code == "WH-SH")).one()
        from_wh = _count(s, select(Shipment).where(Shipment.warehouse_id == wh.id).subquery())
        return customer_id, own, wh.id, from_wh

    customer_id, own, wh_id, from_wh = _read(demo, expected)
    query = "query($f: ShipmentFilter) { shipments(first: 1, filter: $f) { totalCount } }"
    seen = await _gql(demo_api, query, token=tokens["customer@demo.local"])
    assert own > 0 and seen["shipments"]["totalCount"] == own
    seen = await _gql(demo_api, query, token=tokens["warehouse@demo.local"])
    assert seen["shipments"]["totalCount"] == from_wh
    me = await _gql(demo_api, "{ me { customerId warehouseIds } }",
                    token=tokens["customer@demo.local"])
    assert me["me"]["customerId"] == to_global_id("Customer", customer_id)
    me = await _gql(demo_api, "{ me { warehouseIds } }", token=tokens["warehouse@demo.local"])
    assert me["me"]["warehouseIds"] == [to_global_id("Warehouse", wh_id)]


async def test_seeded_rows_serialize_through_the_graph(demo_api):
    """Every seeded enum value and relation is valid for the schema (no errors at all)."""
    login = await _gql(demo_api, LOGIN, {"email": "admin@demo.local", "password": DEMO_PASSWORD})
    token = login["login"]["accessToken"]
    orders = await _gql(demo_api, """{ orders(first: 100) { totalCount edges { node {
      number status paymentStatus paymentMethod channel customer { name }
      lines { sku quantityShipped } events { type fromStatus toStatus }
      allocations { quantity warehouse { code } }
      shipments { status carrier { code } trackingEvents { status } } } } } }""", token=token)
    # and the consignors' delivery orders and failed deliveries
    assert orders["orders"]["totalCount"] == 1000 + 6 + 4
    shipments = await _gql(demo_api, """{ shipments(first: 100, filter: {status: [EXCEPTION,
      FAILED_ATTEMPT, DELIVERED]}) { edges { node { status exceptionReason order { number }
      warehouse { code } lines { quantity orderLine { sku } }
      trackingEvents { status location occurredAt } } } } }""", token=token)
    nodes = [e["node"] for e in shipments["shipments"]["edges"]]
    assert nodes and all(n["trackingEvents"][-1]["status"] == n["status"] for n in nodes)
    assert all(n["exceptionReason"] for n in nodes if n["status"] == "EXCEPTION")
