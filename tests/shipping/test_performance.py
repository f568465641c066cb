"""Delivery performance and the shipments at risk through the API: the figures of a known
network by carrier, service, warehouse and region; the at-risk list's rows, order, pages
and scope; who may read them; and the SQL statements of both queries and of the shipment
board, the same for 10 and 100 shipments (docs/architecture.md#delivery-performance)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from app.shipping import lifecycle
from app.shipping.performance import p90
from tests.orders.support import query_statements
from tests.shipping import logistics_support as ls
from tests.shipping.logistics_support import at, local_day
from tests.shipping.support import gid, warehouse
from tests.support import unique

PERFORMANCE = """query($from: Date!, $to: Date!, $groupBy: DeliveryPerformanceGroup!) {
  deliveryPerformance(from: $from, to: $to, groupBy: $groupBy) {
    key { id code name }
    shipments delivered onTimeRatePromised onTimeRateEstimate avgTransitHours
    p90TransitHours exceptionRate failedAttemptRate costPerKg { amount currency }
  } }"""


@pytest.mark.parametrize(("values", "expected"), [
    ([7.0], 7.0),
    ([5.0, 1.0], 5.0),
    ([float(i) for i in range(1, 11)], 9.0),  # 9 of 10 values are at most 9
    ([float(i) for i in range(1, 12)], 10.0),
    ([float(i) for i in range(20, 0, -1)], 18.0),
    ([3.0, 3.0, 3.0, 100.0], 100.0),
])
def test_p90_is_the_nearest_rank(values: list[float], expected: float):
    assert p90(values) == expected


@dataclass
class Network:
    a1: ls.Lane  # warehouse A, carrier A, 2 days, 10 + 2/kg
    a2: ls.Lane  # warehouse B, carrier A, 1 day, 5 + 3/kg
    b: ls.Lane  # warehouse A, carrier B, 3 days, 20 + 1/kg
    north: str
    south: str


def _shipment(factory, route: ls.Lane, region: str, promised: int | None, units: int = 1,
              ready: int = 0):  # noqa: ANN001, ANN202
    """One shipment of its own order (promised `promised` days after day 0)."""
    order, line = ls.order(factory, factory.customer().id, ls.product(factory, "1.00"), units,
                           route.warehouse, region=region,
                           promised=None if promised is None else local_day(promised))
    return ls.ship(factory, order, line, units, route, at(ready))


@pytest.fixture(scope="module")
def network(factory) -> Network:  # noqa: ANN001
    wh_a, wh_b = warehouse(factory), warehouse(factory)
    a1 = ls.lane(factory, 2, warehouse_row=wh_a)
    a2 = ls.lane(factory, 1, base="5", per_kg="3", warehouse_row=wh_b, carrier_row=a1.carrier)
    b = ls.lane(factory, 3, base="20", per_kg="1", warehouse_row=wh_a)
    net = Network(a1, a2, b, unique("North-"), unique("South-"))
    n, s = net.north, net.south
    # carrier A, 2 days (estimate: day 2), to the north
    s1 = _shipment(factory, a1, n, promised=2)  # 24 h, on time
    ls.scan(factory, s1.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, s1.id, "DELIVERED", at(1, 1))
    s2 = _shipment(factory, a1, n, promised=1, units=2)  # 38 h: day 1 in UTC, day 2 locally
    ls.scan(factory, s2.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, s2.id, "DELIVERED", at(1, 15))
    s3 = _shipment(factory, a1, n, promised=2)  # a failed attempt, 72 h: late
    ls.scan(factory, s3.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, s3.id, "FAILED_ATTEMPT", at(1, 0))
    ls.scan(factory, s3.id, "DELIVERED", at(3, 1))
    s4 = _shipment(factory, a1, n, promised=2)  # damaged on the way, not delivered
    ls.scan(factory, s4.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, s4.id, "EXCEPTION", at(1, 0), problem="DAMAGED")
    # carrier A from warehouse B, 1 day, no promise: 6 h
    s5 = _shipment(factory, a2, s, promised=None)
    ls.scan(factory, s5.id, "PICKED_UP", at(0, 2))
    ls.scan(factory, s5.id, "DELIVERED", at(0, 8))
    # carrier B, 3 days (estimate: day 3), promised day 5: delivered day 4, 96 h
    s6 = _shipment(factory, b, s, promised=5)
    ls.scan(factory, s6.id, "PICKED_UP", at(0, 3))
    ls.scan(factory, s6.id, "DELIVERED", at(4, 3))
    # not in the period: picked up before it, or not picked up at all
    before = _shipment(factory, b, s, promised=5, ready=-3)
    ls.scan(factory, before.id, "PICKED_UP", at(-3, 1))
    _shipment(factory, b, s, promised=5)
    return net


def _row(shipments, delivered, promised, estimate, avg, p90_, exceptions, failed, per_kg):  # noqa: ANN001, ANN202
    return {"shipments": shipments, "delivered": delivered, "onTimeRatePromised": promised,
            "onTimeRateEstimate": estimate, "avgTransitHours": avg, "p90TransitHours": p90_,
            "exceptionRate": exceptions, "failedAttemptRate": failed,
            "costPerKg": {"amount": per_kg, "currency": "CNY"}}


# carrier A / service A1: s1-s4 (costs 12 + 14 + 12 + 12 for 5 kg), service A2: s5 (8 for
# 1 kg); carrier B: s6 (21 for 1 kg). Transit hours 24, 38, 72 (A1), 6 (A2), 96 (B).
A1 = _row(4, 3, 0.3333, 0.6667, 44.67, 72.0, 0.5, 0.25, "10.00")
A2 = _row(1, 1, None, 1.0, 6.0, 6.0, 0.0, 0.0, "8.00")
CARRIER_A = _row(5, 4, 0.3333, 0.75, 35.0, 72.0, 0.4, 0.2, "9.67")
B = _row(1, 1, 1.0, 0.0, 96.0, 96.0, 0.0, 0.0, "21.00")


async def _performance(api, token: str, group: str, first: int = 0, last: int = 7):  # noqa: ANN001, ANN202
    data = await api.ok(PERFORMANCE, {"from": local_day(first).isoformat(),
                                      "to": local_day(last).isoformat(), "groupBy": group},
                        token)
    return data["deliveryPerformance"]


def _figures(rows: list[dict], keys: dict[str, str]) -> dict[str, dict]:
    """{label: figures} of the rows whose key id (or region) is one of `keys`' values."""
    out = {}
    for row in rows:
        ident = row["key"]["id"] or row["key"]["code"]
        label = next((k for k, v in keys.items() if v == ident), None)
        if label is not None:
            out[label] = {k: v for k, v in row.items() if k != "key"}
    return out


async def test_delivery_performance_of_a_known_network(api, factory, network):
    n = network
    analyst = factory.user("ANALYST")
    by_carrier = await _performance(api, analyst.token, "CARRIER")
    carrier_a = gid("Carrier", n.a1.carrier.id)
    assert _figures(by_carrier, {"A": carrier_a, "B": gid("Carrier", n.b.carrier.id)}) == {
        "A": CARRIER_A, "B": B}
    row_a = next(r for r in by_carrier if r["key"]["id"] == carrier_a)
    assert row_a["key"] == {"id": carrier_a, "code": n.a1.carrier.code,
                            "name": n.a1.carrier.name}
    assert [r["key"]["name"] for r in by_carrier] == sorted(r["key"]["name"] for r in by_carrier)

    by_service = await _performance(api, analyst.token, "SERVICE")
    assert _figures(by_service, {"A1": gid("CarrierService", n.a1.service.id),
                                 "A2": gid("CarrierService", n.a2.service.id),
                                 "B": gid("CarrierService", n.b.service.id)}) == {
        "A1": A1, "A2": A2, "B": B}
    service_key = next(r["key"] for r in by_service
                       if r["key"]["id"] == gid("CarrierService", n.a1.service.id))
    assert service_key["name"] == f"{n.a1.carrier.name} {n.a1.service.name}"

    by_warehouse = await _performance(api, analyst.token, "WAREHOUSE")
    wh_a, wh_b = n.a1.warehouse, n.a2.warehouse
    assert _figures(by_warehouse, {"A": gid("Warehouse", wh_a.id),
                                   "B": gid("Warehouse", wh_b.id)}) == {
        # s1-s4 and s6: transit 24, 38, 72, 96; 71 for 6 kg
        "A": _row(5, 4, 0.5, 0.5, 57.5, 96.0, 0.4, 0.2, "11.83"), "B": A2}

    by_region = await _performance(api, analyst.token, "REGION")
    assert _figures(by_region, {"north": n.north, "south": n.south}) == {
        # s5 and s6: transit 6 and 96; 29 for 2 kg
        "north": A1, "south": _row(2, 2, 1.0, 0.5, 51.0, 96.0, 0.0, 0.0, "14.50")}
    assert next(r["key"] for r in by_region if r["key"]["code"] == n.north) == {
        "id": None, "code": n.north, "name": n.north}

    # the days after the pickups: nothing of this network
    later = await _performance(api, analyst.token, "CARRIER", 1, 7)
    assert _figures(later, {"A": carrier_a}) == {}


async def test_a_warehouse_clerk_sees_the_performance_of_its_warehouses(api, factory, network):
    clerk = factory.user("WAREHOUSE", warehouses=[network.a2.warehouse.code])
    rows = await _performance(api, clerk.token, "CARRIER")
    assert _figures(rows, {"A": gid("Carrier", network.a1.carrier.id),
                           "B": gid("Carrier", network.b.carrier.id)}) == {"A": A2}


async def test_delivery_performance_periods(api, factory):
    analyst = factory.user("ANALYST")
    cases = [("2024-06-02", "2024-06-01", "to must not be before from"),
             ("2024-01-01", "2025-01-01", "at most 366 days")]
    for first, last, message in cases:
        body = await api.gql(PERFORMANCE, {"from": first, "to": last, "groupBy": "REGION"},
                             analyst.token)
        assert body["data"] == {"deliveryPerformance": None}
        (error,) = body["errors"]
        assert message in error["message"] and error["extensions"]["code"] == "INVALID"
    whole_leap_year = await api.gql(PERFORMANCE, {"from": "2024-01-01", "to": "2024-12-31",
                                                  "groupBy": "REGION"}, analyst.token)
    assert not whole_leap_year.get("errors")


# Shipments at risk -------------------------------------------------------------------

AT_RISK = """query($first: Int, $after: String) { shipmentsAtRisk(first: $first, after: $after) {
  edges { cursor node { id number status estimatedDelivery warehouse { code } } }
  pageInfo { hasNextPage endCursor } } }"""


async def test_shipments_at_risk_are_exactly_the_late_estimates(api, factory):
    route = ls.lane(factory, 3)  # estimate: day 3
    rep = factory.user("SALES")
    own = factory.customer(owner_id=rep.id)

    def parcel(promised: int | None, customer_id: int | None = None):  # noqa: ANN202
        order, line = ls.order(factory, customer_id or factory.customer().id,
                               ls.product(factory), 1, route.warehouse,
                               promised=None if promised is None else local_day(promised))
        return ls.ship(factory, order, line, 1, route)

    created = parcel(2)  # at risk before pickup too
    on_the_way = parcel(1, own.id)
    ls.scan(factory, on_the_way.id, "PICKED_UP", at(0, 1))
    failed = parcel(0)
    ls.scan(factory, failed.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, failed.id, "FAILED_ATTEMPT", at(1))
    exactly = parcel(3)  # the estimate is the promise: not at risk
    no_promise = parcel(None)
    delivered = parcel(1)
    ls.scan(factory, delivered.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, delivered.id, "DELIVERED", at(4))
    returned = parcel(1)
    ls.scan(factory, returned.id, "PICKED_UP", at(0, 1))
    ls.scan(factory, returned.id, "RETURNED_TO_SENDER", at(2))
    cancelled = parcel(1)
    factory.write(lifecycle.cancel, cancelled.id, "客户改地址")
    clerk = factory.user("WAREHOUSE", warehouses=[route.warehouse.code])

    expected = [failed, on_the_way, created]  # oldest promise first
    data = await api.ok(AT_RISK, {"first": 10}, clerk.token)
    nodes = [e["node"] for e in data["shipmentsAtRisk"]["edges"]]
    assert [x["id"] for x in nodes] == [gid("Shipment", s.id) for s in expected]
    assert {x["estimatedDelivery"] for x in nodes} == {local_day(3).isoformat()}
    assert [x["status"] for x in nodes] == ["FAILED_ATTEMPT", "PICKED_UP", "CREATED"]
    assert not {gid("Shipment", s.id) for s in (exactly, no_promise, delivered, returned,
                                                cancelled)} & {x["id"] for x in nodes}

    first = (await api.ok(AT_RISK, {"first": 2}, clerk.token))["shipmentsAtRisk"]
    assert first["pageInfo"]["hasNextPage"]
    rest = (await api.ok(AT_RISK, {"first": 2, "after": first["pageInfo"]["endCursor"]},
                         clerk.token))["shipmentsAtRisk"]
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == [
        gid("Shipment", s.id) for s in expected]
    assert not rest["pageInfo"]["hasNextPage"]

    # a sales rep: its customers' parcels only
    mine = (await api.ok(AT_RISK, {"first": 100}, rep.token))["shipmentsAtRisk"]["edges"]
    assert [e["node"]["id"] for e in mine] == [gid("Shipment", on_the_way.id)]


# Who may read -------------------------------------------------------------------------

ROLES = ("ADMIN", "MANAGER", "SALES", "CUSTOMER_SERVICE", "WAREHOUSE", "LOGISTICS", "FINANCE",
         "ANALYST", "CUSTOMER")
MAY_READ_PERFORMANCE = {"ADMIN", "MANAGER", "WAREHOUSE", "LOGISTICS", "FINANCE", "ANALYST"}


async def test_who_may_read_performance_and_the_shipments_at_risk(api, factory, network):
    customer = factory.customer()
    for role in ROLES:
        user = factory.user(role, customer_id=customer.id if role == "CUSTOMER" else None,
                            warehouses=[network.a1.warehouse.code] if role == "WAREHOUSE"
                            else None)
        body = await api.gql(PERFORMANCE, {"from": local_day(0).isoformat(),
                                           "to": local_day(7).isoformat(),
                                           "groupBy": "WAREHOUSE"}, user.token)
        if role in MAY_READ_PERFORMANCE:
            assert not body.get("errors"), (role, body)
            rows = _figures(body["data"]["deliveryPerformance"], {
                "A": gid("Warehouse", network.a1.warehouse.id)})
            assert rows["A"]["shipments"] == 5, role
        else:
            assert body["data"] == {"deliveryPerformance": None}, role
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], role
        body = await api.gql(AT_RISK, {"first": 1}, user.token)
        if role == "CUSTOMER":
            assert body["data"] == {"shipmentsAtRisk": None}
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
            assert "staff only" in body["errors"][0]["message"]
        else:
            assert not body.get("errors"), (role, body)


# SQL statements: the same for 10 and 100 shipments --------------------------------------

OPERATIONS = Path(__file__).resolve().parents[2] / "frontend-contract" / "operations"
BOARD = """query($first: Int, $carrierId: ID) {
  shipments(first: $first, filter: {carrierId: $carrierId}) { edges { node {
    number status trackingNumber estimatedDelivery promisedDate cost { amount }
    charge { amount } codAmount { amount } recipient { name region }
    service { code } availableActions { action allowed reason }
    order { number customer { name } }
    carrier { name }
    warehouse { code }
    lines { quantity orderLine { sku } }
  } } } }"""

AT_RISK_PAGE = """query($first: Int) { shipmentsAtRisk(first: $first) { edges { node {
  number status estimatedDelivery trackingNumber
  order { number customer { name } } carrier { name } warehouse { code }
  lines { quantity orderLine { sku } }
} } } }"""


@pytest.fixture(scope="module")
def hundred(factory) -> ls.Lane:  # noqa: ANN001
    """100 one-unit parcels of one carrier, each estimated a day after its promise: 10
    picked up on day 20, 90 on day 21."""
    route = ls.lane(factory, 3)
    order, line = ls.order(factory, factory.customer().id, ls.product(factory), 100,
                           route.warehouse, promised=local_day(22), region=unique("West-"))
    parcels = [ls.ship(factory, order, line, 1, route, at(20)) for _ in range(100)]
    for i, parcel in enumerate(parcels):
        ls.scan(factory, parcel.id, "PICKED_UP", at(20 if i < 10 else 21, 1))
    return route


async def _statements(api, db, query: str, variables: dict, token: str):  # noqa: ANN001, ANN202
    db.counter.reset()
    data = await api.ok(query, variables, token)
    return len(query_statements(db)), data


async def test_delivery_performance_statements_do_not_grow(api, factory, db, hundred):
    analyst = factory.user("ANALYST")
    carrier = gid("Carrier", hundred.carrier.id)
    for group in ("CARRIER", "SERVICE", "WAREHOUSE", "REGION"):
        counts = {}
        for last_day, shipments in ((20, 10), (21, 100)):
            counts[shipments], data = await _statements(api, db, PERFORMANCE, {
                "from": local_day(20).isoformat(), "to": local_day(last_day).isoformat(),
                "groupBy": group}, analyst.token)
            if group == "CARRIER":
                row = next(r for r in data["deliveryPerformance"] if r["key"]["id"] == carrier)
                assert row["shipments"] == shipments
        # the shipments' facts, and the groups' names (a region names itself)
        assert counts == dict.fromkeys((10, 100), 1 if group == "REGION" else 2), \
            (group, counts, db.counter.statements)


async def test_shipments_at_risk_statements_do_not_grow(api, factory, db, hundred):
    manager = factory.user("MANAGER")  # LOGISTICS lacks customers:read (order.customer)
    counts = {}
    for first in (10, 100):
        counts[first], data = await _statements(api, db, AT_RISK_PAGE, {"first": first},
                                                manager.token)
        nodes = [e["node"] for e in data["shipmentsAtRisk"]["edges"]]
        assert len(nodes) == first
        assert all(n["lines"][0]["orderLine"]["sku"] and n["order"]["customer"]["name"]
                   for n in nodes)
    # the page; orders, customers, carriers, warehouses, lines, order lines
    assert counts == {10: 7, 100: 7}, (counts, db.counter.statements)


async def test_the_contract_shipment_board_statements_do_not_grow(api, factory, db,
                                                                  hundred):
    board = (OPERATIONS / "shipment-board.graphql").read_text()
    token = factory.user("LOGISTICS").token
    counts = {}
    for first in (10, 100):
        counts[first], data = await _statements(api, db, board, {
            "first": first, "filter": {"carrierId": gid("Carrier", hundred.carrier.id)}}, token)
        assert len(data["shipments"]["nodes"]) == first
    assert counts[10] == counts[100], (counts, db.counter.statements)


async def test_shipment_board_statements_do_not_grow(api, factory, db, hundred):
    manager = factory.user("MANAGER")  # LOGISTICS lacks customers:read (order.customer)
    carrier = gid("Carrier", hundred.carrier.id)
    counts = {}
    for first in (10, 100):
        counts[first], data = await _statements(api, db, BOARD, {"first": first,
                                                                 "carrierId": carrier},
                                                manager.token)
        nodes = [e["node"] for e in data["shipments"]["edges"]]
        assert all(n["cost"]["amount"] and n["availableActions"] for n in nodes)
        assert len(nodes) == first
        assert {n["carrier"]["name"] for n in nodes} == {hundred.carrier.name}
        assert all(n["warehouse"]["code"] == hundred.warehouse.code for n in nodes)
        assert all(n["lines"] == [{"quantity": 1, "orderLine": {"sku": n["lines"][0][
            "orderLine"]["sku"]}}] for n in nodes)
    # the page; orders, customers, carriers, services, warehouses, lines, order lines
    assert counts == {10: 8, 100: 8}, (counts, db.counter.statements)
