"""The follow-up list with its parcels, orders, consignors and recorders runs a fixed number
of statements, whatever the page's size (look-ahead loads, no N+1)."""

from __future__ import annotations

from tests.consignors import follow_up_support as f
from tests.orders.support import query_statements
from tests.shipping import support as s

PAGE = """query($c: ID!, $first: Int) { deliveryFollowUps(filter: {consignorId: $c},
  first: $first) { nodes { id reason ageHours shipment { number status }
  order { number } consignor { name } openedBy { email } } } }"""


async def test_list_statements_do_not_grow(api, factory, db):  # noqa: ANN001
    manager = factory.user("MANAGER")
    owner = f.consignor(factory)
    first = f.parcel(factory, owner, stock=60)
    parcels = [first] + [f.parcel(factory, owner, warehouse=first.warehouse,
                                  product=first.product) for _ in range(11)]
    for p in parcels:
        out = (await api.ok(f.RECORD, {"shipmentId": p.gid, "reason": "REFUSED"},
                            manager.token))["deliveryFollowUpRecord"]
        assert out["userErrors"] == []
    counts = {}
    for size in (3, 12):
        db.counter.reset()
        data = await api.ok(PAGE, {"c": s.gid("Customer", owner.id), "first": size},
                            manager.token)
        nodes = data["deliveryFollowUps"]["nodes"]
        assert len(nodes) == size
        assert {n["consignor"]["name"] for n in nodes} == {owner.name}
        assert all(n["shipment"]["number"] and n["order"]["number"] for n in nodes)
        counts[size] = len([q for q in query_statements(db) if q.lstrip().upper().startswith(
            ("SELECT", "WITH"))])
    # the page, then shipments, orders, customers, users: one statement each
    assert counts[3] == counts[12] >= 5, counts
