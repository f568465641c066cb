"""The ownership rule through the API (docs/architecture.md#consignors): an order of
consignor A takes only A's goods, an ordinary customer's order only the company's."""

from __future__ import annotations

from tests.consignors.support import consignor, goods, movements, receive
from tests.orders.support import gid


async def test_consignor_order_reserves_only_its_own_stock(kit, factory):
    manager = factory.user("MANAGER")
    a, b = consignor(kit), consignor(kit)
    wh = kit.warehouse()
    tee_a, tee_b, tee_own = goods(kit, a), goods(kit, b), goods(kit, None)
    receive(kit, tee_a, wh, 10, a)
    receive(kit, tee_b, wh, 50, b)
    receive(kit, tee_own, wh, 50)
    order = await kit.order(manager.token, a, [(tee_a, 4)])
    await kit.ok_step("orderSubmit", order["id"], manager.token)
    approved = await kit.ok_step("orderApprove", order["id"], manager.token)
    assert approved["status"] == "CONFIRMED"
    assert [(x["quantity"], x["warehouse"]["code"]) for x in approved["allocations"]] == [
        (4, wh.code)]
    assert (kit.reserved(tee_a), kit.reserved(tee_b), kit.reserved(tee_own)) == (4, 0, 0)
    reservation = movements(kit, tee_a)[-1]
    assert (reservation.kind, reservation.consignor_id) == ("RESERVATION", a.id)
    for p in (tee_a, tee_b, tee_own):
        kit.assert_ledger_consistent(p)


async def test_orders_carry_only_their_owners_goods(kit, factory):
    manager = factory.user("MANAGER")
    a, b, ordinary = consignor(kit), consignor(kit), kit.customer()
    wh = kit.warehouse()
    tee_a, tee_b, tee_own = goods(kit, a), goods(kit, b), goods(kit, None)
    for p, owner in ((tee_a, a), (tee_b, b), (tee_own, None)):
        receive(kit, p, wh, 20, owner)
    cases = ((a, tee_b, "a consignor's goods"), (a, tee_own, "company's own stock"),
             (ordinary, tee_a, "a consignor's goods"))
    for customer, product, says in cases:
        out = await kit.create(manager.token, customer, [(product, 1)])
        assert out["order"] is None
        [error] = out["userErrors"]
        assert error["field"] == ["lines", "0", "productId"] and says in error["message"]
    ok = await kit.order(manager.token, ordinary, [(tee_own, 2)])
    await kit.ok_step("orderSubmit", ok["id"], manager.token)
    await kit.ok_step("orderApprove", ok["id"], manager.token)
    assert (kit.reserved(tee_a), kit.reserved(tee_b), kit.reserved(tee_own)) == (0, 0, 2)


async def test_allocation_refuses_stock_of_another_owner(kit, factory):
    """A customer flagged a consignor after ordering the company's goods: the order's lines
    were fine when placed, but allocation takes only the consignor's stock now."""
    manager = factory.user("MANAGER")
    customer, wh = kit.customer(), kit.warehouse()
    tea = goods(kit, None, name="茶叶")
    receive(kit, tea, wh, 10)
    order = await kit.order(manager.token, customer, [(tea, 3)])
    await kit.ok_step("orderSubmit", order["id"], manager.token)
    flag = await kit.api.ok("""mutation($id: ID!) { customerUpdate(id: $id, input:
      {isConsignor: true}) { customer { isConsignor } userErrors { message } } }""",
                            {"id": gid("Customer", customer.id)}, manager.token)
    assert flag["customerUpdate"]["customer"] == {"isConsignor": True}
    out = await kit.step("orderApprove", order["id"], manager.token)
    assert [e["code"] for e in out["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert kit.reserved(tea) == 0
    kit.assert_ledger_consistent(tea)


async def test_customers_see_no_other_consignors_goods(kit, factory):
    a, b = consignor(kit), consignor(kit)
    mine, theirs, own = goods(kit, a), goods(kit, b), goods(kit, None)
    buyer = factory.user("CUSTOMER", customer_id=a.id)
    query = """query($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { sku } } }"""
    data = await kit.api.ok(query, {"ids": [gid("Product", p.id) for p in (mine, theirs, own)]},
                            buyer.token)
    assert data["nodes"] == [{"sku": mine.sku}, None, {"sku": own.sku}]
