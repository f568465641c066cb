"""Consignors' goods in the warehouse through the API (docs/architecture.md#consignors):
receipts against an advance shipping notice, the owner on levels and movements, the
filters, and a wrong owner refused with nothing written."""

from __future__ import annotations

from sqlmodel import Session, select

from app.audit.models import AuditRecord
from tests.consignors.support import consignor, goods, movements, receive
from tests.orders.support import gid

RECEIVE = """mutation($i: StockReceiveInput!) { stockReceive(input: $i) {
  stockLevel { onHand consignor { id name } product { sku consignor { id } } }
  userErrors { field message code } } }"""


def _receipt(product, warehouse, quantity=5, **extra) -> dict:  # noqa: ANN001
    return {"i": {"productId": gid("Product", product.id),
                  "warehouseId": gid("Warehouse", warehouse.id), "quantity": quantity, **extra}}


async def test_receipt_names_the_consignor_and_its_asn(kit, factory):
    keeper_wh = kit.warehouse()
    keeper = factory.user("WAREHOUSE", warehouses=[keeper_wh.code])
    a = consignor(kit)
    tee = goods(kit, a)
    out = (await kit.api.ok(RECEIVE, _receipt(tee, keeper_wh, 12, consignorId=gid(
        "Customer", a.id), asnReference="ASN-A-0001", reference="DN-77"), keeper.token))
    payload = out["stockReceive"]
    assert payload["userErrors"] == []
    assert payload["stockLevel"] == {"onHand": 12, "consignor": {
        "id": gid("Customer", a.id), "name": a.name}, "product": {
        "sku": tee.sku, "consignor": {"id": gid("Customer", a.id)}}}
    [move] = movements(kit, tee)
    assert (move.kind, move.consignor_id, move.asn_reference, move.external_reference) == (
        "RECEIPT", a.id, "ASN-A-0001", "DN-77")
    ledger = await kit.api.ok("""query($c: ID!) { stockMovements(filter: {consignorId: $c}) {
      nodes { kind onHandDelta asnReference consignor { name } } } }""",
                              {"c": gid("Customer", a.id)}, keeper.token)
    assert ledger["stockMovements"]["nodes"] == [
        {"kind": "RECEIPT", "onHandDelta": 12, "asnReference": "ASN-A-0001",
         "consignor": {"name": a.name}}]


async def test_wrong_owner_is_refused_and_writes_nothing(kit, factory):
    manager = factory.user("MANAGER")
    a, b, ordinary = consignor(kit), consignor(kit), kit.customer()
    wh = kit.warehouse()
    tee_a, own = goods(kit, a), goods(kit, None)
    cases = [
        (tee_a, {"consignorId": gid("Customer", b.id), "asnReference": "ASN-B-1"},
         ["consignorId"], "CONFLICT", "another consignor's goods"),
        (own, {"consignorId": gid("Customer", a.id), "asnReference": "ASN-A-1"},
         ["consignorId"], "CONFLICT", "the company's own goods"),
        (tee_a, {}, ["consignorId"], "INVALID", "name the consignor"),
        (tee_a, {"consignorId": gid("Customer", a.id)}, ["asnReference"], "INVALID",
         "asnReference is required"),
        (tee_a, {"consignorId": gid("Customer", ordinary.id), "asnReference": "X"},
         ["consignorId"], "INVALID", "is not a consignor"),
        (own, {"asnReference": "ASN-1"}, ["asnReference"], "INVALID", "consignor's document"),
        (tee_a, {"consignorId": gid("Warehouse", wh.id), "asnReference": "X"},
         ["consignorId"], "NOT_FOUND", ""),
    ]
    for product, extra, field, code, says in cases:
        out = (await kit.api.ok(RECEIVE, _receipt(product, wh, **extra),
                                manager.token))["stockReceive"]
        assert out["stockLevel"] is None, extra
        [error] = out["userErrors"]
        assert (error["field"], error["code"]) == (field, code), (extra, error)
        assert says in error["message"], error
    assert movements(kit, tee_a) == [] and movements(kit, own) == []
    assert kit.levels(tee_a) == {} and kit.levels(own) == {}

    def audits(session: Session) -> list[AuditRecord]:
        return list(session.exec(select(AuditRecord).where(
            AuditRecord.action == "stock.receive", AuditRecord.actor_id == manager.id)))
    assert kit.read(audits) == []


async def test_lists_filter_by_owner_and_the_ledger_balances_per_owner(kit, factory):
    manager = factory.user("MANAGER")
    a, b = consignor(kit), consignor(kit)
    wh = kit.warehouse()
    tee_a, tee_b, own = goods(kit, a), goods(kit, b), goods(kit, None)
    receive(kit, tee_a, wh, 7, a)
    receive(kit, tee_b, wh, 9, b)
    receive(kit, own, wh, 11)
    order = await kit.order(manager.token, a, [(tee_a, 2)])
    await kit.ok_step("orderSubmit", order["id"], manager.token)
    await kit.ok_step("orderApprove", order["id"], manager.token)
    await kit.ok_step("orderCancel", order["id"], manager.token, reason="test")

    query = """query($f: StockLevelFilter, $p: ProductFilter, $m: StockMovementFilter) {
      stockLevels(filter: $f, first: 50) { nodes { onHand product { sku } } }
      products(filter: $p, first: 50) { nodes { sku } }
      stockMovements(filter: $m, first: 50) { nodes { kind onHandDelta reservedDelta } } }"""
    for owner, product, on_hand in ((a, tee_a, 7), (b, tee_b, 9)):
        c = gid("Customer", owner.id)
        w = gid("Warehouse", wh.id)
        data = await kit.api.ok(query, {"f": {"consignorId": c, "warehouseId": w},
                                        "p": {"consignorId": c},
                                        "m": {"consignorId": c, "warehouseId": w}},
                                manager.token)
        assert data["stockLevels"]["nodes"] == [{"onHand": on_hand,
                                                 "product": {"sku": product.sku}}]
        assert data["products"]["nodes"] == [{"sku": product.sku}]
        moves = data["stockMovements"]["nodes"]
        assert sum(m["onHandDelta"] for m in moves) == on_hand
        assert sum(m["reservedDelta"] for m in moves) == 0
    a_kinds = {m.kind for m in movements(kit, tee_a)}
    assert a_kinds == {"RECEIPT", "RESERVATION", "RELEASE"}
    assert {m.consignor_id for m in movements(kit, tee_a)} == {a.id}
    own_only = await kit.api.ok(query, {"f": {"consigned": False,
                                              "warehouseId": gid("Warehouse", wh.id)},
                                        "p": {"consigned": False, "skus": [own.sku, tee_a.sku]},
                                        "m": {"consigned": False,
                                              "warehouseId": gid("Warehouse", wh.id)}},
                                manager.token)
    assert own_only["stockLevels"]["nodes"] == [{"onHand": 11, "product": {"sku": own.sku}}]
    assert own_only["products"]["nodes"] == [{"sku": own.sku}]
    assert own_only["stockMovements"]["nodes"] == [
        {"kind": "RECEIPT", "onHandDelta": 11, "reservedDelta": 0}]
    consignors = await kit.api.ok("""query($s: String) { customers(filter:
      {isConsignor: true, search: $s}, first: 5) { nodes { name isConsignor } } }""",
                                  {"s": a.name}, manager.token)
    assert consignors["customers"]["nodes"] == [{"name": a.name, "isConsignor": True}]


async def test_product_consignor_must_be_a_consignor_and_stays(kit, factory):
    manager = factory.user("MANAGER")
    a, ordinary = consignor(kit), kit.customer()
    create = """mutation($i: ProductCreateInput!) { productCreate(input: $i) {
      product { sku consignor { name } } userErrors { field message code } } }"""
    base = {"name": "T恤", "price": "10.00"}
    out = (await kit.api.ok(create, {"i": {**base, "sku": "CSG-T-1", "consignorId": gid(
        "Customer", a.id)}}, manager.token))["productCreate"]
    assert out == {"product": {"sku": "CSG-T-1", "consignor": {"name": a.name}},
                   "userErrors": []}
    bad = (await kit.api.ok(create, {"i": {**base, "sku": "CSG-T-2", "consignorId": gid(
        "Customer", ordinary.id)}}, manager.token))["productCreate"]
    assert bad["product"] is None and bad["userErrors"][0]["field"] == ["consignorId"]
    unflag = (await kit.api.ok("""mutation($id: ID!) { customerUpdate(id: $id, input:
      {isConsignor: false}) { customer { id } userErrors { field code } } }""",
                               {"id": gid("Customer", a.id)}, manager.token))["customerUpdate"]
    assert unflag == {"customer": None,
                      "userErrors": [{"field": ["isConsignor"], "code": "CONFLICT"}]}


async def test_the_company_own_goods_have_no_consignor(kit, factory):
    manager = factory.user("MANAGER")
    a, wh = consignor(kit), kit.warehouse()
    own, tee = goods(kit, None), goods(kit, a)
    receive(kit, own, wh, 3)
    receive(kit, tee, wh, 4, a)
    data = await kit.api.ok("""query($w: ID!) { stockLevels(filter: {warehouseId: $w},
      sort: PRODUCT_ASC) { nodes { onHand consignor { name } product { consignor { name } } } }
      stockMovements(filter: {warehouseId: $w}, sort: CREATED_AT_ASC) {
        nodes { consignor { name } asnReference } } }""",
                            {"w": gid("Warehouse", wh.id)}, manager.token)
    assert data["stockLevels"]["nodes"] == [
        {"onHand": 3, "consignor": None, "product": {"consignor": None}},
        {"onHand": 4, "consignor": {"name": a.name}, "product": {"consignor": {"name": a.name}}}]
    assert [m["consignor"] for m in data["stockMovements"]["nodes"]] == [None, {"name": a.name}]
    assert data["stockMovements"]["nodes"][0]["asnReference"] is None
