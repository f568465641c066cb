"""The order lifecycle through the API: review, reservation, scheduling, fulfillment hooks,
delivery acceptance, completion, and the history every step leaves behind."""

from __future__ import annotations

from decimal import Decimal

from app.catalog import service as catalog_service
from app.orders import fulfillment
from tests.orders.support import actions, gid, pk


async def test_full_lifecycle_with_history_audit_and_events(kit, factory):
    rep, finance = factory.user("SALES"), factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    wh = kit.warehouse("华东")
    keeper = factory.user("WAREHOUSE", warehouses=[wh.code])  # plans its own warehouse's
    tea = kit.product("50.00")
    kit.stock(tea, wh, 10)
    order = await kit.order(rep.token, customer, [(tea, 4)])
    oid = order["id"]
    assert (await kit.ok_step("orderSubmit", oid, rep.token))["status"] == "PENDING_REVIEW"
    approved = await kit.ok_step("orderApprove", oid, finance.token)
    assert approved["status"] == "CONFIRMED"
    assert [(a["quantity"], a["warehouse"]["code"]) for a in approved["allocations"]] == [
        (4, wh.code)]
    assert kit.reserved(tea) == 4
    scheduled = await kit.ok_step("orderSchedule", oid, keeper.token)
    assert scheduled["status"] == "SCHEDULED"
    assert scheduled["scheduledDate"] and scheduled["promisedDate"] >= scheduled["scheduledDate"]
    started = await kit.ok_step("orderStartFulfillment", oid, keeper.token)
    assert started["status"] == "IN_FULFILLMENT"

    line_id = pk(order["lines"][0]["id"])
    factory.write(fulfillment.record_shipment, pk(oid), [(line_id, wh.id, 1)])
    factory.write(fulfillment.record_shipment, pk(oid), [(line_id, wh.id, 3)])
    level = kit.levels(tea)[wh.id]
    assert (level.on_hand, level.reserved) == (6, 0)
    kit.assert_ledger_consistent(tea)

    accepted = await kit.ok_step("orderConfirmDelivery", oid, buyer.token, rating=5,
                                 comment="很好，谢谢")
    assert (accepted["status"], accepted["rating"], accepted["feedback"]) == (
        "DELIVERED", 5, "很好，谢谢")
    assert accepted["lines"][0]["quantityDelivered"] == 4
    done = await kit.ok_step("orderComplete", oid, rep.token)
    assert done["status"] == "COMPLETED"

    await _assert_history(kit, oid, rep, finance, customer)


async def _assert_history(kit, oid: str, rep, finance, customer) -> None:  # noqa: ANN001
    """Events (type, from, to, actor), the domain events and the audit trail agree."""
    history = await kit.api.ok("""query($id: ID!) { order(id: $id) { events {
      type fromStatus toStatus actor { id } createdAt details } } }""", {"id": oid}, rep.token)
    events = history["order"]["events"]
    assert [e["type"] for e in events] == [
        "CREATED", "SUBMITTED", "APPROVED", "SCHEDULED", "FULFILLMENT_STARTED",
        "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERY_CONFIRMED", "COMPLETED"]
    assert [(e["fromStatus"], e["toStatus"]) for e in events[5:7]] == [
        ("IN_FULFILLMENT", "PARTIALLY_SHIPPED"), ("PARTIALLY_SHIPPED", "SHIPPED")]
    assert events[2]["actor"] == {"id": finance.gid}
    changes = kit.outbox("order.status_changed", pk(oid))
    assert [c["to_status"] for c in changes] == [
        "PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "PARTIALLY_SHIPPED",
        "SHIPPED", "DELIVERED", "COMPLETED"]
    assert set(changes[1]) == {"order_id", "customer_id", "from_status", "to_status",
                               "actor_id", "order_event_id", "at", "message"}
    assert changes[1]["actor_id"] == finance.id and changes[1]["customer_id"] == customer.id
    audits = [a.action for a in kit.audits(pk(oid))]
    assert audits[:3] == ["order.created", "order.submitted", "order.approved"]
    assert len(audits) == len(events)


async def test_failed_review_explains_each_check_and_leaves_stock_alone(kit, factory):
    finance, manager = factory.user("FINANCE"), factory.user("MANAGER")
    customer = kit.customer(credit_limit=Decimal("900"))  # the order is 960.00
    wh = kit.warehouse()
    product = kit.product("300.00")
    kit.stock(product, wh, 2)
    admin = factory.user("ADMIN")
    lines = [{"productId": gid("Product", product.id), "quantity": 4, "discountRate": "0.20"}]
    order = await kit.order(admin.token, customer, [], lines=lines, submit=True)
    out = await kit.step("orderApprove", order["id"], finance.token)
    codes = {e["code"] for e in out["userErrors"]}
    assert codes == {"APPROVAL_REQUIRED", "CREDIT_LIMIT_EXCEEDED"}
    assert out["order"] is None
    assert kit.reserved(product) == 0
    # a manager may grant the discount, but credit and stock still decide
    out = await kit.step("orderApprove", order["id"], manager.token)
    assert [e["code"] for e in out["userErrors"]] == ["CREDIT_LIMIT_EXCEEDED"]
    factory.write(_set_credit, customer.id, Decimal("5000"))
    out = await kit.step("orderApprove", order["id"], manager.token)
    assert [e["code"] for e in out["userErrors"]] == ["INSUFFICIENT_STOCK"]
    assert out["userErrors"][0]["field"] == ["lines", "0", "quantity"]
    assert kit.reserved(product) == 0
    kit.stock(product, kit.warehouse(), 2)  # 2 + 2 across two warehouses: a split
    approved = await kit.ok_step("orderApprove", order["id"], manager.token)
    assert sorted(a["quantity"] for a in approved["allocations"]) == [2, 2]
    kit.assert_ledger_consistent(product)


def _set_credit(uow, customer_id: int, limit: Decimal) -> None:  # noqa: ANN001
    from app.customers.models import Customer
    row = uow.session.get(Customer, customer_id)
    row.credit_limit = limit
    uow.session.add(row)


async def test_credit_counts_unpaid_open_orders(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer(credit_limit=Decimal("250"))
    product = kit.product("100.00")
    kit.stock(product, kit.warehouse(), 10)
    first = await kit.order(admin.token, customer, [(product, 2)], submit=True)
    second = await kit.order(admin.token, customer, [(product, 1)], submit=True)
    await kit.ok_step("orderApprove", first["id"], admin.token)
    out = await kit.step("orderApprove", second["id"], admin.token)
    assert out["userErrors"][0]["code"] == "CREDIT_LIMIT_EXCEEDED"
    assert "outstanding 200.00" in out["userErrors"][0]["message"]
    await kit.ok_step("orderCancel", first["id"], admin.token, reason="客户取消")
    await kit.ok_step("orderApprove", second["id"], admin.token)


async def test_price_change_is_a_mismatch_until_the_order_is_repriced(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    product = kit.product("10.00")
    kit.stock(product, kit.warehouse(), 5)
    order = await kit.order(admin.token, customer, [(product, 2)], submit=True)
    factory.write(catalog_service.update_product, product.id, {"price": Decimal("12.00")})
    out = await kit.step("orderApprove", order["id"], admin.token)
    assert out["userErrors"][0]["code"] == "PRICE_MISMATCH"
    assert out["userErrors"][0]["field"] == ["lines", "0", "unitPrice"]
    update = """mutation($id: ID!, $i: OrderUpdateInput!) { orderUpdate(id: $id, input: $i) {
      order { version total { amount } lines { unitPrice { amount } } }
      userErrors { code field } } }"""
    repriced = await kit.api.ok(update, {"id": order["id"], "i": {
        "lines": [{"productId": gid("Product", product.id), "quantity": 2}],
        "expectedVersion": order["version"]}}, admin.token)
    assert repriced["orderUpdate"]["order"]["total"] == {"amount": "24.00"}
    approved = await kit.ok_step("orderApprove", order["id"], admin.token)
    assert approved["status"] == "CONFIRMED"


async def test_schedule_prefers_one_warehouse_in_region_and_moves_reservations(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer(region="华南")
    north, south = kit.warehouse("华北"), kit.warehouse("华南")
    a, b = kit.product(), kit.product()
    for wh in (north, south):
        kit.stock(a, wh, 5)
        kit.stock(b, wh, 5)
    order = await kit.order(admin.token, customer, [(a, 3), (b, 2)], submit=True)
    approved = await kit.ok_step("orderApprove", order["id"], admin.token)
    assert {x["warehouse"]["code"] for x in approved["allocations"]} == {south.code}
    # schedule from the north explicitly: reservations move in the same transaction
    moved = await kit.ok_step("orderSchedule", order["id"], admin.token,
                              warehouseId=gid("Warehouse", north.id))
    assert {x["warehouse"]["code"] for x in moved["allocations"]} == {north.code}
    assert (kit.levels(a)[north.id].reserved, kit.levels(a)[south.id].reserved) == (3, 0)
    assert (kit.levels(b)[north.id].reserved, kit.levels(b)[south.id].reserved) == (2, 0)
    kit.assert_ledger_consistent(a)
    kit.assert_ledger_consistent(b)
    too_much = await kit.order(admin.token, customer, [(a, 4)], submit=True)
    await kit.ok_step("orderApprove", too_much["id"], admin.token)  # 2 in north + ... split
    out = await kit.step("orderSchedule", too_much["id"], admin.token,
                         warehouseId=gid("Warehouse", north.id))
    assert out["userErrors"][0]["code"] == "INSUFFICIENT_STOCK"
    past = await kit.step("orderSchedule", too_much["id"], admin.token,
                          scheduledDate="2001-01-01")
    assert past["userErrors"][0]["field"] == ["scheduledDate"]


async def test_returning_higher_tier_customer_gets_priority(kit, factory):
    admin = factory.user("ADMIN")
    gold, plain = kit.customer(tier="GOLD"), kit.customer()
    product = kit.product()
    wh = kit.warehouse()
    kit.stock(product, wh, 20)

    async def confirmed(customer) -> dict:  # noqa: ANN001
        order = await kit.order(admin.token, customer, [(product, 1)], submit=True)
        return await kit.ok_step("orderApprove", order["id"], admin.token)

    first = await confirmed(gold)
    await kit.ok_step("orderSchedule", first["id"], admin.token)
    await kit.ok_step("orderStartFulfillment", first["id"], admin.token)
    factory.write(fulfillment.record_shipment, pk(first["id"]),
                  [(pk(first["lines"][0]["id"]), wh.id, 1)])
    factory.write(fulfillment.record_delivery, pk(first["id"]))
    returning, newcomer = await confirmed(gold), await confirmed(plain)
    assert (first["priority"], returning["priority"], newcomer["priority"]) == (4, 5, 0)
    assert (await kit.ok_step("orderSchedule", returning["id"], admin.token))[
        "scheduledDate"] < (await kit.ok_step("orderSchedule", newcomer["id"],
                                              admin.token))["scheduledDate"]
    queue = await kit.api.ok("""{ orders(first: 100, sort: PRIORITY_DESC,
      filter: {status: [SCHEDULED]}) { nodes { id priority } } }""", token=admin.token)
    mine = [n["id"] for n in queue["orders"]["nodes"] if n["id"] in (returning["id"],
                                                                        newcomer["id"])]
    assert mine == [returning["id"], newcomer["id"]]


async def test_available_actions_follow_state_and_permission(kit, factory):
    rep, finance = factory.user("SALES"), factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    order = await kit.order(rep.token, customer, [(kit.product(), 1)], submit=True)
    query = """query($id: ID!) { order(id: $id) { availableActions { action enabled reason } } }"""
    as_rep = actions((await kit.api.ok(query, {"id": order["id"]}, rep.token))["order"])
    as_fin = actions((await kit.api.ok(query, {"id": order["id"]}, finance.token))["order"])
    as_buyer = actions((await kit.api.ok(query, {"id": order["id"]}, buyer.token))["order"])
    assert as_fin["APPROVE"] == (True, None)
    assert as_rep["APPROVE"] == (False, "requires permission orders:review")
    assert as_rep["CANCEL"] == (True, None) and as_rep["HOLD"] == (True, None)
    assert as_rep["SUBMIT"][0] is False and "PENDING_REVIEW" in as_rep["SUBMIT"][1]
    assert as_rep["COMPLETE"][1].startswith("cannot complete an order in state PENDING_REVIEW")
    assert as_buyer["CANCEL"] == (True, None)
    assert as_buyer["UPDATE"][0] is False
    assert as_buyer["APPROVE"] == (False, "customers cannot approve orders")
