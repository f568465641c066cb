"""Warehouses through the GraphQL API, and the WAREHOUSE role's row scope on stock."""

from __future__ import annotations

from app.ids import from_global_id
from app.inventory import ledger
from tests.inventory.support import (
    audit_records,
    gid,
    levels_of,
    movements_of,
    product,
    receive,
    warehouse,
)
from tests.shipping import support as ship
from tests.support import unique

CREATE = """mutation($i: WarehouseCreateInput!) { warehouseCreate(input: $i) {
  warehouse { id code name region address isActive } userErrors { field message code } } }"""
UPDATE = """mutation($id: ID!, $i: WarehouseUpdateInput!) { warehouseUpdate(id: $id, input: $i) {
  warehouse { code name isActive } userErrors { field message code } } }"""
GET = "query($id: ID!) { warehouse(id: $id) { code stockLevels { onHand } } }"


async def test_create_update_and_validate_warehouses(api, factory):
    manager = factory.user("MANAGER")
    code = unique("SH-")
    made = await api.ok(CREATE, {"i": {"code": code, "name": "上海浦东仓", "region": "华东",
                                       "address": "上海市浦东新区张江路 88 号"}}, manager.token)
    wh = made["warehouseCreate"]["warehouse"]
    assert wh["name"] == "上海浦东仓" and wh["isActive"] is True
    dup = await api.ok(CREATE, {"i": {"code": code, "name": "x"}}, manager.token)
    assert dup["warehouseCreate"]["userErrors"][0]["code"] == "DUPLICATE"
    bad = await api.ok(CREATE, {"i": {"code": "has space", "name": " ", "region": "r" * 65}},
                       manager.token)
    assert {e["field"][0] for e in bad["warehouseCreate"]["userErrors"]} == {
        "code", "name", "region"}
    upd = await api.ok(UPDATE, {"id": wh["id"], "i": {"name": "浦东一号仓", "isActive": False}},
                       manager.token)
    assert upd["warehouseUpdate"]["warehouse"] == {"code": code, "name": "浦东一号仓",
                                                   "isActive": False}
    other = warehouse(factory)
    taken = await api.ok(UPDATE, {"id": gid("Warehouse", other.id), "i": {"code": code}},
                         manager.token)
    assert taken["warehouseUpdate"]["userErrors"][0]["code"] == "DUPLICATE"
    missing = await api.ok(UPDATE, {"id": gid("Warehouse", 99999999), "i": {"name": "x"}},
                           manager.token)
    assert missing["warehouseUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert audit_records(factory, "warehouse.update", "Warehouse", other.id) == []
    pk = from_global_id(wh["id"])[1]
    assert len(audit_records(factory, "warehouse.create", "Warehouse", pk)) == 1
    [record] = audit_records(factory, "warehouse.update", "Warehouse", pk)
    assert record.before["is_active"] is True and record.after["is_active"] is False
    assert record.actor_id == manager.id
    listed = await api.ok("query($s: String) { warehouses(filter: {search: $s}) { nodes { id } } }",
                          {"s": code}, manager.token)
    assert [n["id"] for n in listed["warehouses"]["nodes"]] == [wh["id"]]


async def test_warehouse_with_reserved_stock_cannot_be_deactivated(api, factory):
    manager = factory.user("ADMIN")
    p, w = product(factory), warehouse(factory)
    receive(factory, p.id, w.id, 5)
    factory.write(lambda uow: ledger.reserve(uow.session, [ledger.StockLine(p.id, w.id, 2)],
                                             ledger.Reference("Order", 7)))
    out = await api.ok(UPDATE, {"id": gid("Warehouse", w.id), "i": {"isActive": False}},
                       manager.token)
    err = out["warehouseUpdate"]["userErrors"][0]
    assert err["code"] == "CONFLICT" and err["field"] == ["isActive"]


async def test_warehouse_staff_cannot_manage_warehouses(api, factory):
    w = warehouse(factory)
    staff = factory.user("WAREHOUSE", warehouses=[w.code])
    body = await api.gql(CREATE, {"i": {"code": unique("X"), "name": "x"}}, staff.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await api.gql(UPDATE, {"id": gid("Warehouse", w.id), "i": {"name": "x"}}, staff.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_warehouse_scope_hides_foreign_warehouses_everywhere(api, factory):
    p = product(factory)
    mine, foreign = warehouse(factory), warehouse(factory)
    receive(factory, p.id, mine.id, 10)
    receive(factory, p.id, foreign.id, 20)
    staff = factory.user("WAREHOUSE", warehouses=[mine.code])
    token = staff.token

    listed = await api.ok("{ warehouses(first: 100) { nodes { code } } }", token=token)
    assert [n["code"] for n in listed["warehouses"]["nodes"]] == [mine.code]
    seen = await api.ok(GET, {"id": gid("Warehouse", foreign.id)}, token)
    gone = await api.ok(GET, {"id": gid("Warehouse", 99999999)}, token)
    assert seen == gone == {"warehouse": None}
    own = await api.ok(GET, {"id": gid("Warehouse", mine.id)}, token)
    assert own["warehouse"]["stockLevels"] == [{"onHand": 10}]

    pq = """query($id: ID!) { product(id: $id) { totalAvailable
      stockLevels { onHand warehouse { code } } } }"""
    data = await api.ok(pq, {"id": gid("Product", p.id)}, token)
    assert data["product"] == {"totalAvailable": 10,
                               "stockLevels": [{"onHand": 10, "warehouse": {"code": mine.code}}]}
    flt = {"productId": gid("Product", p.id)}
    levels = await api.ok("""query($f: StockLevelFilter) { stockLevels(filter: $f) {
      totalCount nodes { onHand } } }""", {"f": flt}, token)
    assert levels["stockLevels"] == {"totalCount": 1, "nodes": [{"onHand": 10}]}
    moves = await api.ok("""query($f: StockMovementFilter) { stockMovements(filter: $f) {
      nodes { id warehouse { code } } } }""", {"f": flt}, token)
    assert [n["warehouse"]["code"] for n in moves["stockMovements"]["nodes"]] == [mine.code]
    foreign_move = next(m for m in movements_of(factory, p.id) if m.warehouse_id == foreign.id)
    node = await api.ok("query($id: ID!) { node(id: $id) { id } }",
                        {"id": gid("StockMovement", foreign_move.id)}, token)
    assert node == {"node": None}

    # writes to a foreign warehouse answer exactly like writes to a missing one
    receive_q = """mutation($i: StockReceiveInput!) { stockReceive(input: $i) {
      stockLevel { onHand } userErrors { field message code } } }"""
    base = {"productId": gid("Product", p.id), "quantity": 1}
    out = await api.ok(receive_q, {"i": {**base, "warehouseId": gid("Warehouse", foreign.id)}},
                       token)
    absent = await api.ok(receive_q, {"i": {**base, "warehouseId": gid("Warehouse", 99999999)}},
                          token)
    assert out == absent and out["stockReceive"]["userErrors"][0]["code"] == "NOT_FOUND"
    transfer = """mutation($i: StockTransferInput!) { stockTransfer(input: $i) {
      userErrors { field code } } }"""
    moved = await api.ok(transfer, {"i": {"productId": gid("Product", p.id), "quantity": 1,
                                          "fromWarehouseId": gid("Warehouse", mine.id),
                                          "toWarehouseId": gid("Warehouse", foreign.id)}}, token)
    assert moved["stockTransfer"]["userErrors"] == [{"field": ["toWarehouseId"],
                                                     "code": "NOT_FOUND"}]
    settings = """mutation($id: ID!) { stockLevelUpdate(id: $id, input: {safetyStock: 99}) {
      stockLevel { safetyStock } userErrors { field message code } } }"""
    foreign_level = levels_of(factory, p.id)[foreign.id]
    assert (await api.ok(settings, {"id": gid("StockLevel", foreign_level.id)}, token)) == (
        await api.ok(settings, {"id": gid("StockLevel", 99999999)}, token))
    assert levels_of(factory, p.id)[foreign.id].safety_stock == 0
    ok = await api.ok(receive_q, {"i": {**base, "warehouseId": gid("Warehouse", mine.id)}}, token)
    assert ok["stockReceive"]["stockLevel"] == {"onHand": 11}
    assert sum(m.on_hand_delta for m in movements_of(factory, p.id)
               if m.warehouse_id == foreign.id) == 20


async def test_warehouse_without_assignments_sees_nothing(api, factory):
    w = warehouse(factory)
    p = product(factory)
    receive(factory, p.id, w.id, 3)
    staff = factory.user("WAREHOUSE")
    data = await api.ok("""{ warehouses { totalCount } stockLevels { totalCount }
      stockMovements { totalCount } lowStockLevels { totalCount } }""", token=staff.token)
    assert data == {"warehouses": {"totalCount": 0}, "stockLevels": {"totalCount": 0},
                    "stockMovements": {"totalCount": 0}, "lowStockLevels": {"totalCount": 0}}


async def test_another_warehouses_address_stays_hidden_through_relations(api, factory):
    """The security issue's finding: WAREHOUSE staff read other warehouses' addresses
    through an order's allocations."""
    mine, foreign = warehouse(factory), warehouse(factory)
    order, _ = ship.order(factory, factory.customer().id, [(product(factory), 2)],
                          reserve=[foreign])
    token = factory.user("WAREHOUSE", warehouses=[mine.code]).token
    body = await api.gql("""query($id: ID!) { order(id: $id) { allocations {
      warehouse { code address } } } }""", {"id": gid("Order", order.id)}, token)
    seen = body["data"]["order"]["allocations"][0]["warehouse"]
    assert seen == {"code": foreign.code, "address": None}
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = await api.ok("query($id: ID!) { warehouse(id: $id) { address } }",
                       {"id": gid("Warehouse", mine.id)}, token)
    assert own["warehouse"]["address"] is not None
