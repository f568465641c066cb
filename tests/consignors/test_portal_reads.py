"""The CONSIGNOR portal through the API (docs/architecture.md#consignors): a consignor's
sign-in reads its own goods, stock, movements, orders, parcels and exceptions, and nothing
of another consignor through lists, node(id), nested fields or aggregates."""

from __future__ import annotations

from typing import Any

from app.ids import from_global_id
from tests.consignors.portal_support import two_sides
from tests.orders.support import gid

LISTS = """{
  products(first: 100) { nodes { id consignor { id } } }
  stockLevels(first: 100) { nodes { id onHand reserved product { id } consignor { id }
                                    warehouse { code } } }
  lowStockLevels(first: 100) { nodes { id consignor { id } } }
  stockMovements(first: 100) { nodes { id kind consignor { id } product { id } } }
  orders(first: 100) { nodes { id customer { id } allocations { quantity } } }
  shipments(first: 100) { nodes { id order { id } } }
  shipmentExceptions(first: 100) { nodes { id shipment { id } } }
  failedDeliveries(first: 100) { nodes { failedAttempts shipment { id } } }
  customers(first: 100) { nodes { id name isConsignor } }
}"""


def _ids(rows: list[dict[str, Any]]) -> set[str]:
    return {r["id"] for r in rows}


async def test_lists_hold_only_the_consignors_own_rows(kit, factory):
    manager = factory.user("MANAGER")
    a, b, _wh = await two_sides(kit, manager)
    data = await kit.api.ok(LISTS, token=a.token)
    own_product = gid("Product", a.product.id)
    assert [p["id"] for p in data["products"]["nodes"]] == [own_product]
    assert {p["consignor"]["id"] for p in data["products"]["nodes"]} == {a.id}
    [level] = data["stockLevels"]["nodes"]
    assert (level["id"], level["onHand"], level["reserved"], level["consignor"]["id"]) == (
        a.level, 16, 0, a.id)  # 20 received, 4 reserved and shipped
    assert all(x["consignor"]["id"] == a.id for x in data["lowStockLevels"]["nodes"])
    moves = data["stockMovements"]["nodes"]
    assert _ids(moves) == set(a.movements) and {m["consignor"]["id"] for m in moves} == {a.id}
    assert {m["kind"] for m in moves} >= {"RECEIPT", "RESERVATION"}
    assert [(o["id"], o["customer"]["id"]) for o in data["orders"]["nodes"]] == [(a.order, a.id)]
    assert [s["id"] for s in data["shipments"]["nodes"]] == [a.shipment]
    assert [e["id"] for e in data["shipmentExceptions"]["nodes"]] == [a.exception]
    assert [f["shipment"]["id"] for f in data["failedDeliveries"]["nodes"]] == [a.shipment]
    assert [c["id"] for c in data["customers"]["nodes"]] == [a.id]
    # and B's sign-in the same for B: the scope is the sign-in's, not the first consignor's
    other = await kit.api.ok(LISTS, token=b.token)
    assert [o["id"] for o in other["orders"]["nodes"]] == [b.order]
    assert _ids(other["stockMovements"]["nodes"]) == set(b.movements)


NODE = """query($id: ID!) { node(id: $id) { id } }"""
ONE = """query($id: ID!) { product(id: $id) { id } order(id: $id) { id }
  shipment(id: $id) { id } shipmentException(id: $id) { id } customer(id: $id) { id } }"""


async def test_another_consignors_objects_answer_like_missing_ones(kit, factory):
    manager = factory.user("MANAGER")
    a, b, _wh = await two_sides(kit, manager)
    for own in a.objects():
        assert (await kit.api.ok(NODE, {"id": own}, a.token))["node"] == {"id": own}
    for foreign in b.objects():  # answered exactly as a missing object of its type
        missing = gid(from_global_id(foreign)[0], 10**9)
        seen, absent = [await kit.api.gql(NODE, {"id": x}, a.token) for x in (foreign, missing)]
        assert seen == absent and seen["data"] == {"node": None} and "errors" not in seen, \
            foreign
    nodes = await kit.api.ok("query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
                             {"ids": b.objects()}, a.token)
    assert nodes["nodes"] == [None] * len(b.objects())
    for foreign in (gid("Product", b.product.id), b.order, b.shipment, b.exception, b.id):
        answer = await kit.api.ok(ONE, {"id": foreign}, a.token)
        assert set(answer.values()) == {None}, (foreign, answer)


NESTED = """query($w: ID!, $p: ID!) {
  warehouse(id: $w) { stockLevels { id consignor { id } } }
  product(id: $p) { totalAvailable stockLevels { id } }
}"""


async def test_nested_fields_hold_only_the_consignors_own_rows(kit, factory):
    manager = factory.user("MANAGER")
    a, b, wh = await two_sides(kit, manager)
    variables = {"w": gid("Warehouse", wh.id), "p": gid("Product", a.product.id)}
    staff = await kit.api.ok(NESTED, variables, manager.token)
    assert {x["id"] for x in staff["warehouse"]["stockLevels"]} == {a.level, b.level}
    mine = await kit.api.ok(NESTED, variables, a.token)
    assert mine["warehouse"]["stockLevels"] == [{"id": a.level, "consignor": {"id": a.id}}]
    assert mine["product"] == {"totalAvailable": 16, "stockLevels": [{"id": a.level}]}
    order = await kit.api.ok("""query($id: ID!) { order(id: $id) {
      allocations { quantity } lines { product { id } } shipments { id } } }""",
                             {"id": a.order}, a.token)
    assert order["order"] == {"allocations": [{"quantity": 4}],
                              "lines": [{"product": {"id": gid("Product", a.product.id)}}],
                              "shipments": [{"id": a.shipment}]}


async def test_field_policy_hides_costs_and_masks_contact_data(kit, factory):
    manager = factory.user("MANAGER")
    a, _b, _wh = await two_sides(kit, manager)
    body = await kit.api.gql("""query($p: ID!, $c: ID!) { product(id: $p) { sku cost { amount } }
      customer(id: $c) { name phone creditLimit { amount } } }""",
                             {"p": gid("Product", a.product.id), "c": a.id}, a.token)
    assert body["data"]["product"] == {"sku": a.product.sku, "cost": None}
    assert body["data"]["customer"]["phone"] == "138****5678"
    assert body["data"]["customer"]["creditLimit"] is None
    denied = {tuple(e["path"]) for e in body["errors"]}
    assert denied == {("product", "cost"), ("customer", "creditLimit")}
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in body["errors"])


REFUSED = {
    "aggregate": """{ aggregate(source: STOCK_MOVEMENTS, measures: [ORDERS],
                      from: "2026-01-01", to: "2027-01-01") { __typename } }""",
    "inventoryAnalytics": """{ inventoryAnalytics(from: "2026-01-01", to: "2027-01-01") {
                              __typename } }""",
    "replenishmentSuggestions": "{ replenishmentSuggestions { __typename } }",
    "exportCreate": """mutation { exportCreate(source: STOCK_MOVEMENTS, fields: [ID],
                       format: CSV) { job { id } } }""",
    "shipmentsAtRisk": "{ shipmentsAtRisk { __typename } }",
}


async def test_aggregates_and_exports_are_refused(kit, factory):
    manager = factory.user("MANAGER")
    a, _b, _wh = await two_sides(kit, manager)
    for name, query in REFUSED.items():
        body = await kit.api.gql(query, token=a.token)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN", (name, error)
        assert error["path"] == [name]


async def test_stock_movements_by_a_foreign_reference_are_empty(kit, factory):
    manager = factory.user("MANAGER")
    a, b, _wh = await two_sides(kit, manager)
    data = await kit.api.ok("""query($r: ID!) { stockMovements(filter: {referenceId: $r}) {
      nodes { id } } }""", {"r": b.order}, a.token)
    assert data["stockMovements"]["nodes"] == []
    own = await kit.api.ok("""query($r: ID!) { stockMovements(filter: {referenceId: $r}) {
      nodes { id } } }""", {"r": a.order}, a.token)
    assert own["stockMovements"]["nodes"] != []


async def test_staff_working_notes_on_its_exceptions_stay_internal(kit, factory):
    manager = factory.user("MANAGER")
    a, _b, _wh = await two_sides(kit, manager)
    note = "收件人电话 13912345678 未接"
    added = await kit.api.ok("""mutation($id: ID!, $b: String!) { shipmentExceptionNoteAdd(
      id: $id, body: $b) { userErrors { message } } }""", {"id": a.exception, "b": note},
                             manager.token)
    assert added["shipmentExceptionNoteAdd"]["userErrors"] == []
    query = """query($id: ID!) { shipmentException(id: $id) { status notes { body } } }"""
    staff = await kit.api.ok(query, {"id": a.exception}, manager.token)
    assert [n["body"] for n in staff["shipmentException"]["notes"]] == [note]
    mine = await kit.api.ok(query, {"id": a.exception}, a.token)
    assert mine["shipmentException"] == {"status": staff["shipmentException"]["status"],
                                         "notes": []}
