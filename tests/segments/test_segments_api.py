"""Segments over HTTP: a SALES rep sees its own customers' segments and preferences and no
one else's, through every entry point; CUSTOMER nothing; ANALYST aggregates, contact data
masked; only segments:write saves (docs/architecture.md#customer-segments)."""

from __future__ import annotations

import pytest

from app.ids import to_global_id
from app.segments import service
from tests.segments.fixture import CASES, THRESHOLDS, T, write_orders
from tests.support import unique

SEGMENT = "segment { segment recencyScore frequencyScore monetaryScore }"


@pytest.fixture(scope="module")
def two_reps(factory):  # noqa: ANN001, ANN201
    """Two reps, each owning the five customers of CASES, scored."""
    out = {}
    for rep_name in ("mine", "theirs"):
        rep = factory.user("SALES")
        ids = {}
        for name, (orders, *_rest) in CASES.items():
            customer = factory.customer(owner_id=rep.id, region="East")
            factory.write(write_orders, customer.id, orders)
            ids[name] = customer.id
        factory.write(service.recompute_customers, list(ids.values()), T, THRESHOLDS)
        out[rep_name] = (rep, ids)
    return out


async def test_sales_sees_only_its_own_customers_segments(api, factory, two_reps) -> None:  # noqa: ANN001
    (rep, mine), (_other, theirs) = two_reps["mine"], two_reps["theirs"]
    gid = to_global_id("Customer", theirs["vip"])
    data = await api.ok(f'{{ customer(id: "{gid}") {{ id {SEGMENT} }} '
                        f'node(id: "{gid}") {{ id }} }}', token=rep.token)
    assert data == {"customer": None, "node": None}
    own = to_global_id("Customer", mine["vip"])
    data = await api.ok(f'{{ customer(id: "{own}") {{ {SEGMENT} preferences {{ cadenceDays }} '
                        '} }', token=rep.token)
    assert data["customer"]["segment"] == {"segment": "VIP", "recencyScore": 5,
                                           "frequencyScore": 4, "monetaryScore": 4}
    assert data["customer"]["preferences"]["cadenceDays"] == 10.0
    data = await api.ok("{ segmentCounts { segment count } "
                        "customersDueToReorder(within: 366, first: 200) { id } }",
                        token=rep.token)
    assert {c["segment"]: c["count"] for c in data["segmentCounts"]} == {
        "VIP": 1, "REGULAR": 1, "POTENTIAL": 1, "AT_RISK": 1, "LOST": 1}
    allowed = {to_global_id("Customer", i) for i in mine.values()}
    assert {c["id"] for c in data["customersDueToReorder"]} <= allowed
    manager = factory.user("MANAGER")
    saved = await api.ok('mutation($i: SegmentSaveInput!) { segmentSave(input: $i) { '
                         'segment { id name count } userErrors { code } } }',
                         {"i": {"name": unique("Everyone "), "filter": {}}},
                         token=manager.token)
    sid = saved["segmentSave"]["segment"]["id"]
    data = await api.ok(f'{{ node(id: "{sid}") {{ ... on Segment {{ count '
                        'customers(first: 100) { edges { node { id segment { segment } } } } '
                        '} } }', token=rep.token)
    assert data["node"]["count"] == 5
    assert {e["node"]["id"] for e in data["node"]["customers"]["edges"]} == allowed


async def test_customer_analyst_and_writes(api, factory, two_reps) -> None:  # noqa: ANN001
    _rep, mine = two_reps["mine"]
    customer = factory.user("CUSTOMER", customer_id=mine["vip"])
    own = to_global_id("Customer", mine["vip"])
    body = await api.gql(f'{{ customer(id: "{own}") {{ name segment {{ segment }} }} }}',
                         token=customer.token)
    assert body["data"]["customer"]["segment"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.gql("{ segmentCounts { count } }", token=customer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    analyst = factory.user("ANALYST")
    data = await api.ok('{ segmentCounts { segment count } segments { count customers(first: 5)'
                        ' { edges { node { phone } } } } }', token=analyst.token)
    assert sum(c["count"] for c in data["segmentCounts"]) >= 10
    phones = [e["node"]["phone"] for s in data["segments"] for e in s["customers"]["edges"]]
    assert all(p is None or "*" in p for p in phones)
    body = await api.gql('mutation { segmentSave(input: {name: "x", filter: {}}) { '
                         'segment { id } } }', token=_rep.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
