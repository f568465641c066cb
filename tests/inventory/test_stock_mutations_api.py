"""Stock workflows through the GraphQL API: every change lands in the ledger, nothing partial."""

from __future__ import annotations

import asyncio

from app.inventory import ledger
from tests.inventory.support import (
    assert_ledger_consistent,
    audit_records,
    gid,
    levels_of,
    movements_of,
    product,
    receive,
    stock_alerts,
    warehouse,
)

LEVEL = "stockLevel { id onHand reserved available incoming safetyStock reorderPoint isLow " \
        "status product { sku } warehouse { code } }"
ERRORS = "userErrors { field message code }"
RECEIVE = f"""mutation($i: StockReceiveInput!) {{ stockReceive(input: $i) {{
  {LEVEL} {ERRORS} }} }}"""
ADJUST = f"""mutation($i: StockAdjustInput!) {{ stockAdjust(input: $i) {{ {LEVEL} {ERRORS} }} }}"""
COUNT = f"""mutation($i: StockCountInput!) {{ stockCount(input: $i) {{ {LEVEL} {ERRORS} }} }}"""
TRANSFER = """mutation($i: StockTransferInput!) { stockTransfer(input: $i) {
  fromStockLevel { onHand available warehouse { code } }
  toStockLevel { onHand available warehouse { code } } userErrors { field message code } } }"""
UPDATE = f"""mutation($id: ID!, $i: StockLevelUpdateInput!) {{ stockLevelUpdate(id: $id, input: $i)
  {{ {LEVEL} {ERRORS} }} }}"""


def _ids(p, w) -> dict:  # noqa: ANN001
    return {"productId": gid("Product", p.id), "warehouseId": gid("Warehouse", w.id)}


async def test_receive_creates_level_movement_and_audit(api, factory):
    admin = factory.user("MANAGER")
    p, w = product(factory), warehouse(factory)
    data = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 40, "reason": "到货入库",
                                        "reference": "DN-2024-0042"}}, admin.token)
    out = data["stockReceive"]
    assert out["userErrors"] == []
    assert out["stockLevel"]["onHand"] == 40 and out["stockLevel"]["available"] == 40
    assert out["stockLevel"]["product"]["sku"] == p.sku
    again = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 2}}, admin.token)
    assert again["stockReceive"]["stockLevel"]["onHand"] == 42
    moves = movements_of(factory, p.id)
    assert [(m.kind, m.on_hand_delta) for m in moves] == [("RECEIPT", 40), ("RECEIPT", 2)]
    assert moves[0].external_reference == "DN-2024-0042" and moves[0].reason == "到货入库"
    assert moves[0].actor_id == admin.id
    assert_ledger_consistent(factory, p.id)
    ledger_rows = await api.ok("""query($p: ID!) { stockMovements(filter: {productId: $p}) {
      nodes { kind onHandDelta externalReference actor { email } warehouse { code } } } }""",
                               {"p": gid("Product", p.id)}, admin.token)
    assert ledger_rows["stockMovements"]["nodes"][-1] == {
        "kind": "RECEIPT", "onHandDelta": 40, "externalReference": "DN-2024-0042",
        "actor": {"email": admin.email}, "warehouse": {"code": w.code}}
    level_id = levels_of(factory, p.id)[w.id].id
    records = audit_records(factory, "stock.receive", "StockLevel", level_id)
    assert len(records) == 2 and records[0].before is None
    assert records[1].before["on_hand"] == 40 and records[1].after["on_hand"] == 42


async def test_adjust_needs_reason_and_cannot_remove_reserved_stock(api, factory):
    manager = factory.user("MANAGER")
    p, w = product(factory), warehouse(factory)
    receive(factory, p.id, w.id, 10)
    factory.write(lambda uow: ledger.reserve(uow.session, [ledger.StockLine(p.id, w.id, 4)],
                                             ledger.Reference("Order", 1)))
    up = await api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": 5, "reason": "盘盈"}},
                      manager.token)
    assert up["stockAdjust"]["stockLevel"]["onHand"] == 15
    down = await api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": -3, "reason": "破损"}},
                        manager.token)
    assert down["stockAdjust"]["stockLevel"]["available"] == 8
    too_much = await api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": -9, "reason": "丢失"}},
                            manager.token)
    err = too_much["stockAdjust"]["userErrors"][0]
    assert err["code"] == "INSUFFICIENT_STOCK" and err["field"] == ["quantityDelta"]
    assert "only 8 available" in err["message"]
    no_reason = await api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": 1, "reason": "  "}},
                             manager.token)
    assert no_reason["stockAdjust"]["userErrors"][0]["field"] == ["reason"]
    zero = await api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": 0, "reason": "x"}},
                        manager.token)
    assert zero["stockAdjust"]["userErrors"][0]["field"] == ["quantityDelta"]
    level = levels_of(factory, p.id)[w.id]
    assert (level.on_hand, level.reserved) == (12, 4)
    assert [m.kind for m in movements_of(factory, p.id)] == [
        "RECEIPT", "RESERVATION", "ADJUSTMENT", "ADJUSTMENT"]
    assert_ledger_consistent(factory, p.id)


async def test_transfer_moves_stock_and_fails_without_partial_writes(api, factory):
    user = factory.user("ADMIN")
    p = product(factory)
    a, b = warehouse(factory, name="上海仓"), warehouse(factory, name="广州仓")
    receive(factory, p.id, a.id, 30)
    variables = {"i": {"productId": gid("Product", p.id),
                       "fromWarehouseId": gid("Warehouse", a.id),
                       "toWarehouseId": gid("Warehouse", b.id), "quantity": 12,
                       "reason": "调拨"}}
    out = (await api.ok(TRANSFER, variables, user.token))["stockTransfer"]
    assert out["userErrors"] == []
    assert out["fromStockLevel"] == {"onHand": 18, "available": 18,
                                     "warehouse": {"code": a.code}}
    assert out["toStockLevel"] == {"onHand": 12, "available": 12, "warehouse": {"code": b.code}}
    before = len(movements_of(factory, p.id))
    variables["i"]["quantity"] = 19  # more than the 18 left in a
    failed = (await api.ok(TRANSFER, variables, user.token))["stockTransfer"]
    assert failed["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert failed["fromStockLevel"] is None and failed["toStockLevel"] is None
    levels = levels_of(factory, p.id)
    assert (levels[a.id].on_hand, levels[b.id].on_hand) == (18, 12)
    assert len(movements_of(factory, p.id)) == before
    same = dict(variables["i"], toWarehouseId=gid("Warehouse", a.id), quantity=1)
    same_out = (await api.ok(TRANSFER, {"i": same}, user.token))["stockTransfer"]
    assert same_out["userErrors"][0]["field"] == ["toWarehouseId"]
    kinds = [m.kind for m in movements_of(factory, p.id)]
    assert kinds == ["RECEIPT", "TRANSFER_OUT", "TRANSFER_IN"]
    assert_ledger_consistent(factory, p.id)


async def test_transfer_reversed_order_rolls_back_the_receipt(api, factory):
    """The destination sorts first: its TRANSFER_IN runs before the failing TRANSFER_OUT."""
    user = factory.user("ADMIN")
    p = product(factory)
    low, high = warehouse(factory), warehouse(factory)
    receive(factory, p.id, high.id, 5)
    variables = {"i": {"productId": gid("Product", p.id),
                       "fromWarehouseId": gid("Warehouse", high.id),
                       "toWarehouseId": gid("Warehouse", low.id), "quantity": 6}}
    out = (await api.ok(TRANSFER, variables, user.token))["stockTransfer"]
    assert out["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    assert set(levels_of(factory, p.id)) == {high.id}
    assert [m.kind for m in movements_of(factory, p.id)] == ["RECEIPT"]


async def test_count_sets_on_hand_but_not_below_reserved(api, factory):
    user = factory.user("MANAGER")
    p, w = product(factory), warehouse(factory)
    receive(factory, p.id, w.id, 20)
    factory.write(lambda uow: ledger.reserve(uow.session, [ledger.StockLine(p.id, w.id, 6)],
                                             ledger.Reference("Order", 2)))
    counted = await api.ok(COUNT, {"i": {**_ids(p, w), "countedQuantity": 17,
                                         "reason": "月度盘点"}}, user.token)
    level = counted["stockCount"]["stockLevel"]
    assert (level["onHand"], level["reserved"], level["available"]) == (17, 6, 11)
    up = await api.ok(COUNT, {"i": {**_ids(p, w), "countedQuantity": 25}}, user.token)
    assert up["stockCount"]["stockLevel"]["onHand"] == 25
    same = await api.ok(COUNT, {"i": {**_ids(p, w), "countedQuantity": 25}}, user.token)
    assert same["stockCount"]["userErrors"] == []
    below = await api.ok(COUNT, {"i": {**_ids(p, w), "countedQuantity": 5}}, user.token)
    err = below["stockCount"]["userErrors"][0]
    assert err["field"] == ["countedQuantity"] and "6 units reserved" in err["message"]
    assert levels_of(factory, p.id)[w.id].on_hand == 25
    counts = [m.on_hand_delta for m in movements_of(factory, p.id) if m.kind == "COUNT"]
    assert counts == [-3, 8, 0]
    assert_ledger_consistent(factory, p.id)


async def test_level_settings_update_and_validation(api, factory):
    user = factory.user("MANAGER")
    p, w = product(factory), warehouse(factory)
    level = receive(factory, p.id, w.id, 8)
    level_gid = gid("StockLevel", level.id)
    data = await api.ok(UPDATE, {"id": level_gid, "i": {"safetyStock": 10, "reorderPoint": 15,
                                                        "incoming": 30}}, user.token)
    out = data["stockLevelUpdate"]["stockLevel"]
    assert (out["safetyStock"], out["reorderPoint"], out["incoming"]) == (10, 15, 30)
    assert out["isLow"] is True and out["status"] == "LOW_STOCK" and out["onHand"] == 8
    bad = await api.ok(UPDATE, {"id": level_gid, "i": {"safetyStock": -1, "incoming": None}},
                       user.token)
    assert {e["field"][0] for e in bad["stockLevelUpdate"]["userErrors"]} == {
        "safetyStock", "incoming"}
    missing = await api.ok(UPDATE, {"id": gid("StockLevel", 99999999), "i": {}}, user.token)
    assert missing["stockLevelUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert len(audit_records(factory, "stock.level_update", "StockLevel", level.id)) == 1


async def test_bad_quantities_and_ids_are_user_errors(api, factory):
    user = factory.user("ADMIN")
    p, w = product(factory), warehouse(factory)
    for quantity in (0, -5, 1_000_000_001):
        out = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": quantity}}, user.token)
        assert out["stockReceive"]["userErrors"][0]["field"] == ["quantity"], quantity
    huge = await api.gql(RECEIVE, {"i": {**_ids(p, w), "quantity": 2**40}}, user.token)
    assert huge["errors"] and not huge.get("data")  # not a 32-bit Int: refused before running
    bad_ids = await api.ok(RECEIVE, {"i": {"productId": "garbage", "quantity": 1,
                                           "warehouseId": gid("Product", p.id)}}, user.token)
    assert {(tuple(e["field"]), e["code"]) for e in bad_ids["stockReceive"]["userErrors"]} == {
        (("productId",), "NOT_FOUND"), (("warehouseId",), "NOT_FOUND")}
    unknown = await api.ok(RECEIVE, {"i": {"productId": gid("Product", 99999999), "quantity": 1,
                                           "warehouseId": gid("Warehouse", w.id)}}, user.token)
    assert unknown["stockReceive"]["userErrors"][0] == {
        "field": ["productId"], "message": "Product not found", "code": "NOT_FOUND"}
    too_long = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 1,
                                            "reference": "x" * 101}}, user.token)
    assert too_long["stockReceive"]["userErrors"][0]["field"] == ["reference"]
    assert movements_of(factory, p.id) == []


async def test_on_hand_cannot_overflow(api, factory):
    user = factory.user("ADMIN")
    p, w = product(factory), warehouse(factory)
    for _ in range(2):
        out = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 1_000_000_000}}, user.token)
        assert out["stockReceive"]["userErrors"] == []
    over = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 1}}, user.token)
    assert over["stockReceive"]["userErrors"][0]["code"] == "QUANTITY_EXCEEDED"
    assert levels_of(factory, p.id)[w.id].on_hand == 2_000_000_000
    assert_ledger_consistent(factory, p.id)


async def test_inactive_warehouse_receives_nothing(api, factory):
    user = factory.user("ADMIN")
    p, w = product(factory), warehouse(factory, is_active=False)
    out = await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 3}}, user.token)
    assert out["stockReceive"]["userErrors"][0]["code"] == "CONFLICT"


async def test_roles_without_stock_write_are_refused(api, factory):
    p, w = product(factory), warehouse(factory)
    for role in ("SALES", "FINANCE", "LOGISTICS", "ANALYST"):
        body = await api.gql(RECEIVE, {"i": {**_ids(p, w), "quantity": 1}},
                             factory.user(role).token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    assert movements_of(factory, p.id) == []


async def test_stock_alerts_follow_status_changes(api, factory):
    user = factory.user("ADMIN")
    p, w = product(factory), warehouse(factory)
    level = receive(factory, p.id, w.id, 5)  # OUT -> IN (safety 0): back in stock
    await api.ok(UPDATE, {"id": gid("StockLevel", level.id), "i": {"safetyStock": 10}},
                 user.token)  # IN -> LOW by raising the bar
    await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 2}}, user.token)  # still LOW
    await api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 3}}, user.token)  # LOW -> IN
    await api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": -10, "reason": "报废"}},
                 user.token)  # IN -> OUT
    alerts = stock_alerts(factory, p.id)
    assert [a["kind"] for a in alerts] == [
        "BACK_IN_STOCK", "LOW_STOCK", "BACK_IN_STOCK", "OUT_OF_STOCK"]
    assert alerts[1]["available"] == 5 and alerts[1]["safety_stock"] == 10
    assert alerts[-1]["warehouse_id"] == w.id and alerts[-1]["available"] == 0


async def test_concurrent_receipts_and_removals_stay_exact(api, factory):
    """First receipts race to create the level; removals race for the last units."""
    user = factory.user("ADMIN")
    p, w = product(factory), warehouse(factory)
    receipts = await asyncio.gather(*[
        api.ok(RECEIVE, {"i": {**_ids(p, w), "quantity": 1}}, user.token) for _ in range(10)])
    assert all(r["stockReceive"]["userErrors"] == [] for r in receipts)
    removals = await asyncio.gather(*[
        api.ok(ADJUST, {"i": {**_ids(p, w), "quantityDelta": -1, "reason": "抽检"}}, user.token)
        for _ in range(14)])
    codes = sorted(e["code"] for r in removals for e in r["stockAdjust"]["userErrors"])
    assert codes == ["INSUFFICIENT_STOCK"] * 4
    assert levels_of(factory, p.id)[w.id].on_hand == 0
    assert_ledger_consistent(factory, p.id)
