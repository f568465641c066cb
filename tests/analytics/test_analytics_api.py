"""Analytics over HTTP: the analysts' questions answered, the role rules (CUSTOMER refused,
FINANCE the sales sources only, a SALES rep its own customers, ANALYST without personal
groups or small ones), `extensions.cost`, clear errors, and the read replica setting
(docs/architecture.md#analytics)."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import event

from app.ids import to_global_id
from tests.support import Api

REVENUE = """query($r: [String!]) {
  salesAnalytics(from: "2025-01-01", to: "2025-04-01", grain: MONTH, by: CHANNEL,
                 filter: {regions: $r}) {
    rows { period group { key label } revenue { amount } orders units }
    meta { timeZone rowsScanned suppressedGroups } } }"""


async def test_revenue_by_month_and_channel(api, factory, fx) -> None:  # noqa: ANN001
    manager = factory.user("MANAGER")
    response = await api.raw(REVENUE, {"r": [fx.region]}, manager.token)
    body = response.json()
    rows = body["data"]["salesAnalytics"]["rows"]
    assert [(r["period"], r["group"]["key"], r["revenue"]["amount"], r["orders"], r["units"])
            for r in rows] == [("2025-01-01", "WEB", "100.00", 1, 2),
                               ("2025-02-01", "MOBILE", "300.00", 1, 3),
                               ("2025-02-01", "WEB", "150.00", 1, 3),
                               ("2025-03-01", "WEB", "400.00", 1, 4)]
    meta = body["data"]["salesAnalytics"]["meta"]
    assert meta == {"timeZone": "Asia/Shanghai", "rowsScanned": 4, "suppressedGroups": 0}
    cost = body["extensions"]["cost"]
    assert set(cost) == {"requested", "actual", "budget"} and cost["actual"] >= 4
    # months cut at UTC: the order of 17:00Z on 31 January is January there
    utc = await api.ok(REVENUE.replace("grain: MONTH", 'grain: MONTH, timeZone: "UTC"'),
                       {"r": [fx.region]}, manager.token)
    assert [r["revenue"]["amount"] for r in utc["salesAnalytics"]["rows"]][:2] == [
        "250.00", "300.00"]


async def test_roles(api, factory, fx) -> None:  # noqa: ANN001
    customer = factory.user("CUSTOMER", customer_id=fx.customers["A"])
    body = await api.gql(REVENUE, {"r": [fx.region]}, customer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    finance = factory.user("FINANCE")
    data = await api.ok(REVENUE, {"r": [fx.region]}, finance.token)
    assert len(data["salesAnalytics"]["rows"]) == 4
    body = await api.gql('{ aggregate(source: SHIPMENTS, measures: [SHIPMENTS], '
                         'from: "2025-01-01", to: "2025-04-01") { rows { period } } }',
                         token=finance.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.gql('{ deliveryAnalytics(from: "2025-01-01", to: "2025-04-01") '
                         '{ rows { shipments } } }', token=finance.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    rep = factory.user("SALES")  # owns nobody
    data = await api.ok(REVENUE, {"r": [fx.region]}, rep.token)
    assert data["salesAnalytics"]["rows"] == []


GROUP_BY = """query($d: [AnalyticsDimension!], $r: [String!]) {
  aggregate(source: ORDERS, measures: [REVENUE, ORDERS], dimensions: $d,
            from: "2025-01-01", to: "2025-04-01", filter: {regions: $r}) {
    rows { groups { dimension key label } values { measure value } }
    meta { suppressedGroups } } }"""


async def test_group_by_for_analysts(api, factory, fx) -> None:  # noqa: ANN001
    analyst = factory.user("ANALYST")
    body = await api.gql(GROUP_BY, {"d": ["CUSTOMER_PHONE"], "r": [fx.region]}, analyst.token)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN" and "personal data" in error["message"]
    assert body["data"] is None
    data = await api.ok(GROUP_BY, {"d": ["CHANNEL"], "r": [fx.region]}, analyst.token)
    assert data["aggregate"] == {"rows": [], "meta": {"suppressedGroups": 2}}
    manager = factory.user("MANAGER")
    data = await api.ok(GROUP_BY, {"d": ["CUSTOMER"], "r": [fx.region]}, manager.token)
    keys = {g["groups"][0]["key"] for g in data["aggregate"]["rows"]}
    assert to_global_id("Customer", fx.customers["A"]) in keys
    body = await api.gql(GROUP_BY.replace('"2025-01-01"', '"2025-01-01", timeZone: "Mars/X"'),
                         {"d": [], "r": [fx.region]}, manager.token)
    assert "unknown time zone" in body["errors"][0]["message"]


async def test_delivery_customers_flow_and_stock_fields(api, factory, fx) -> None:  # noqa: ANN001
    manager = factory.user("MANAGER")
    k1 = to_global_id("Carrier", fx.carriers["K1"])
    data = await api.ok(
        'query($k: [ID!]) { deliveryAnalytics(from: "2025-01-01", to: "2025-04-01", '
        'by: CARRIER, filter: {carrierIds: $k}) { rows { group { key } shipments delivered '
        'onTimeRate averageTransitHours } } '
        f'customerAnalytics(from: "2025-02-01", to: "2025-04-01", regions: ["{fx.region}"]) '
        '{ buyers newCustomers returningCustomers repurchaseRate lifetimeValue { amount } } '
        f'topCustomers(from: "2025-01-01", to: "2025-04-01", first: 1, regions: '
        f'["{fx.region}"]) {{ customer {{ id }} spend {{ amount }} orders }} '
        'orderStatusDurations(from: "2019-06-01", to: "2019-07-01", timeZone: "UTC") '
        '{ status p50Hours p90Hours bottleneck } '
        'orderCloseReasons(from: "2019-06-01", to: "2019-07-01", timeZone: "UTC") '
        '{ status reason orders } '
        'inventoryAnalytics(from: "2019-02-01", to: "2019-03-01", timeZone: "UTC") '
        '{ key shipped turnover dead stockouts } reservationAges { bucket units } }',
        {"k": [k1]}, manager.token)
    assert data["deliveryAnalytics"]["rows"] == [{"group": {"key": k1}, "shipments": 3,
                                                  "delivered": 2, "onTimeRate": 0.5,
                                                  "averageTransitHours": 68.25}]
    assert data["customerAnalytics"] == {"buyers": 3, "newCustomers": 2,
                                         "returningCustomers": 1, "repurchaseRate": 0.333333,
                                         "lifetimeValue": {"amount": "316.67"}}
    assert data["topCustomers"] == [{"customer": {"id": to_global_id(
        "Customer", fx.customers["C"])}, "spend": {"amount": "400.00"}, "orders": 1}]
    assert {"status": "SCHEDULED", "p50Hours": 10.0, "p90Hours": 24.0, "bottleneck": True} \
        in data["orderStatusDurations"]
    assert data["orderCloseReasons"][0] == {"status": "CANCELLED", "reason": "Too expensive",
                                            "orders": 2}
    p3 = to_global_id("Product", fx.stock_products["P3"])
    assert {"key": p3, "shipped": 15, "turnover": 3.0, "dead": False, "stockouts": 2} in \
        data["inventoryAnalytics"]
    assert len(data["reservationAges"]) == 5


@pytest.fixture
def replica_url(settings) -> str:  # noqa: ANN001
    """The same database under another URL: a replica stand-in the app must open itself."""
    url = settings.database_url
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        head, _, tail = path.rpartition("/")
        return f"sqlite:///{head}/./{tail}"
    return url + ("&" if "?" in url else "?") + "application_name=crm-analytics"


async def test_aggregates_run_on_the_analytics_database(settings, db, factory, fx,  # noqa: ANN001
                                                        replica_url) -> None:
    from schema.asgi import create_app

    app = create_app(settings=dataclasses.replace(
        settings, analytics_database_url=replica_url), db=db)
    state = app.state.crm
    assert state.analytics_db is not None and state.analytics_db.url != db.url
    seen: list[str] = []
    event.listen(state.analytics_db.read_engine, "before_cursor_execute",
                 lambda *args: seen.append(args[2]))
    manager = factory.user("MANAGER")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test") as client:
        data = await Api(client, factory).ok(REVENUE, {"r": [fx.region]}, manager.token)
    assert len(data["salesAnalytics"]["rows"]) == 4
    assert any("sales_order" in sql for sql in seen)
    state.analytics_db.dispose()


async def test_customers_sorted_by_spend_page_by_page(api, factory, fx) -> None:  # noqa: ANN001
    manager = factory.user("MANAGER")
    query = ('query($r: String, $a: String) { customers(first: 2, after: $a, sort: SPEND_DESC, '
             'filter: {region: $r}) { edges { node { id } } pageInfo { endCursor '
             'hasNextPage } } }')
    seen = []
    after = None
    while True:
        data = await api.ok(query, {"r": fx.region, "a": after}, manager.token)
        page = data["customers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # lifetime revenue: C 400, B 300, A 100 + 150, E 50, D nothing (a draft)
    assert seen == [to_global_id("Customer", fx.customers[n]) for n in "CBAED"]
