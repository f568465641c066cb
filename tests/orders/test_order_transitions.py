"""Every transition's guard through the API: illegal moves name the current state,
hold/release/cancel/reject/update/note behave, and rights are enforced."""

from __future__ import annotations

import pytest

from app.orders import fulfillment
from tests.orders.support import gid, pk

# (mutation, arguments) for every step
STEPS = {
    "orderSubmit": {}, "orderApprove": {}, "orderReject": {"reason": "价格不对"},
    "orderHold": {"reason": "等待付款"}, "orderRelease": {}, "orderSchedule": {},
    "orderStartFulfillment": {}, "orderConfirmDelivery": {}, "orderComplete": {},
    "orderCancel": {"reason": "客户取消"},
}
# the states each step may start from
ALLOWED = {
    "orderSubmit": {"DRAFT"}, "orderApprove": {"PENDING_REVIEW"},
    "orderReject": {"PENDING_REVIEW"},
    "orderHold": {"PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT"},
    "orderRelease": {"ON_HOLD"}, "orderSchedule": {"CONFIRMED", "SCHEDULED"},
    "orderStartFulfillment": {"SCHEDULED"}, "orderConfirmDelivery": {"SHIPPED", "DELIVERED"},
    "orderComplete": {"DELIVERED"},
    "orderCancel": {"DRAFT", "PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT",
                    "ON_HOLD"},
}
PATH = ["orderSubmit", "orderApprove", "orderSchedule", "orderStartFulfillment"]


async def _order_in(kit, factory, admin, state: str) -> dict:  # noqa: ANN001
    """A fresh one-line order driven to `state` through the API (and the shipping hooks)."""
    product = kit.product()
    wh = kit.warehouse()
    kit.stock(product, wh, 5)
    order = await kit.order(admin.token, kit.customer(), [(product, 2)])
    oid = order["id"]
    line = pk(order["lines"][0]["id"])
    plan = {"DRAFT": [], "PENDING_REVIEW": PATH[:1], "CONFIRMED": PATH[:2],
            "SCHEDULED": PATH[:3], "IN_FULFILLMENT": PATH, "PARTIALLY_SHIPPED": PATH,
            "SHIPPED": PATH, "DELIVERED": PATH, "COMPLETED": PATH,
            "ON_HOLD": PATH[:2] + ["orderHold"], "CANCELLED": ["orderCancel"],
            "REJECTED": PATH[:1] + ["orderReject"]}[state]
    for name in plan:
        order = await kit.ok_step(name, oid, admin.token, **STEPS[name])
    if state in ("PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "COMPLETED"):
        qty = 1 if state == "PARTIALLY_SHIPPED" else 2
        factory.write(fulfillment.record_shipment, pk(oid), [(line, wh.id, qty)])
    if state in ("DELIVERED", "COMPLETED"):
        factory.write(fulfillment.record_delivery, pk(oid))
    if state == "COMPLETED":
        await kit.ok_step("orderComplete", oid, admin.token)
    order = (await kit.api.ok("query($id: ID!) { order(id: $id) { id status } }", {"id": oid},
                              admin.token))["order"]
    assert order["status"] == state
    return order


ALL_STATES = ["DRAFT", "PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT",
              "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED", "COMPLETED", "ON_HOLD", "CANCELLED",
              "REJECTED"]


@pytest.mark.parametrize("state", ALL_STATES)
async def test_illegal_transitions_name_the_current_state(kit, factory, state):
    admin = factory.user("ADMIN")
    order = await _order_in(kit, factory, admin, state)
    for name, args in STEPS.items():
        if state in ALLOWED[name]:
            continue
        out = await kit.step(name, order["id"], admin.token, **args)
        assert out["order"] is None, name
        [error] = out["userErrors"]
        assert error["code"] == "INVALID_TRANSITION", (name, error)
        assert f"in state {state}" in error["message"], (name, error)


async def test_hold_and_release_return_to_the_held_state_and_keep_stock(kit, factory):
    admin = factory.user("ADMIN")
    for state in ("PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT"):
        order = await _order_in(kit, factory, admin, state)
        held = await kit.ok_step("orderHold", order["id"], admin.token, reason="信用审核")
        assert (held["status"], held["holdReason"]) == ("ON_HOLD", "信用审核")
        assert sum(a["quantity"] for a in held["allocations"]) == (
            0 if state == "PENDING_REVIEW" else 2)
        released = await kit.ok_step("orderRelease", order["id"], admin.token)
        assert (released["status"], released["holdReason"]) == (state, None)
    empty = await kit.step("orderHold", order["id"], admin.token, reason="  ")
    assert empty["userErrors"][0]["field"] == ["reason"]


async def test_cancel_releases_every_reservation(kit, factory):
    admin = factory.user("ADMIN")
    product = kit.product()
    one, two = kit.warehouse(), kit.warehouse()
    kit.stock(product, one, 3)
    kit.stock(product, two, 3)
    for path in (PATH[:2], PATH[:3], PATH, PATH[:2] + ["orderHold"]):
        order = await kit.order(admin.token, kit.customer(), [(product, 5)])  # a split
        for name in path:
            await kit.ok_step(name, order["id"], admin.token, **STEPS[name])
        assert kit.reserved(product) == 5
        cancelled = await kit.ok_step("orderCancel", order["id"], admin.token, reason="缺货")
        assert (cancelled["status"], cancelled["closeReason"]) == ("CANCELLED", "缺货")
        assert cancelled["allocations"] == []
        assert kit.reserved(product) == 0
        kit.assert_ledger_consistent(product)


async def test_reject_needs_a_reason_and_closes_the_order(kit, factory):
    admin = factory.user("ADMIN")
    order = await _order_in(kit, factory, admin, "PENDING_REVIEW")
    missing = await kit.step("orderReject", order["id"], admin.token, reason="")
    assert missing["userErrors"][0]["field"] == ["reason"]
    rejected = await kit.ok_step("orderReject", order["id"], admin.token, reason="重复订单")
    assert (rejected["status"], rejected["closeReason"]) == ("REJECTED", "重复订单")


UPDATE = """mutation($id: ID!, $i: OrderUpdateInput!) { orderUpdate(id: $id, input: $i) {
  order { status version notes promisedDate shipRecipient lines { sku quantity } }
  userErrors { field code message } } }"""


async def test_update_with_optimistic_concurrency_only_before_approval(kit, factory):
    admin = factory.user("ADMIN")
    product, other = kit.product(), kit.product()
    order = await _order_in(kit, factory, admin, "PENDING_REVIEW")
    version = (await kit.api.ok("query($id: ID!) { order(id: $id) { version } }",
                                {"id": order["id"]}, admin.token))["order"]["version"]
    changed = (await kit.api.ok(UPDATE, {"id": order["id"], "i": {
        "notes": "改为两种茶", "expectedVersion": version,
        "shipTo": {"recipient": "赵六", "address": "上海市浦东新区 8 号"},
        "lines": [{"productId": gid("Product", product.id), "quantity": 1},
                  {"productId": gid("Product", other.id), "quantity": 7}]}},
        admin.token))["orderUpdate"]
    assert changed["userErrors"] == []
    assert changed["order"]["version"] == version + 1
    assert [ln["quantity"] for ln in changed["order"]["lines"]] == [1, 7]
    assert changed["order"]["shipRecipient"] == "赵六"
    stale = (await kit.api.ok(UPDATE, {"id": order["id"], "i": {
        "notes": "x", "expectedVersion": version}}, admin.token))["orderUpdate"]
    assert stale["userErrors"][0]["code"] == "CONFLICT"
    confirmed = await _order_in(kit, factory, admin, "CONFIRMED")
    late = (await kit.api.ok(UPDATE, {"id": confirmed["id"], "i": {"notes": "x"}},
                             admin.token))["orderUpdate"]
    assert late["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "CONFIRMED" in late["userErrors"][0]["message"]


async def test_notes_write_history_and_emit_order_event(kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    order = await kit.order(rep.token, customer, [(kit.product(), 1)])
    note = """mutation($id: ID!, $m: String!) { orderNoteAdd(id: $id, message: $m) {
      event { type message actor { id } } order { id } userErrors { field code } } }"""
    out = (await kit.api.ok(note, {"id": order["id"], "m": "客户要求开发票"},
                            rep.token))["orderNoteAdd"]
    assert out["event"] == {"type": "NOTE_ADDED", "message": "客户要求开发票",
                            "actor": {"id": rep.gid}}
    mine = (await kit.api.ok(note, {"id": order["id"], "m": "请在门卫处签收"},
                             buyer.token))["orderNoteAdd"]
    assert mine["userErrors"] == []
    events = kit.outbox("order.event", pk(order["id"]))
    assert [e["type"] for e in events] == ["CREATED", "NOTE_ADDED", "NOTE_ADDED"]
    assert all(e["order_event_id"] for e in events)
    # customers see their own notes, not the staff's internal ones
    seen = await kit.api.ok("query($id: ID!) { order(id: $id) { events { type message } } }",
                            {"id": order["id"]}, buyer.token)
    assert [e["message"] for e in seen["order"]["events"] if e["type"] == "NOTE_ADDED"] == [
        "请在门卫处签收"]
    empty = (await kit.api.ok(note, {"id": order["id"], "m": " "}, rep.token))["orderNoteAdd"]
    assert empty["userErrors"][0]["field"] == ["message"]


async def test_rights_and_row_scope_on_steps(kit, factory):
    rep, other_rep = factory.user("SALES"), factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    stranger = factory.user("CUSTOMER", customer_id=kit.customer().id)
    order = await kit.order(rep.token, customer, [(kit.product(), 1)], submit=True)
    denied = await kit.api.gql("mutation($id: ID!) { orderApprove(id: $id) { order { id } } }",
                               {"id": order["id"]}, rep.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    warehouse = factory.user("WAREHOUSE")
    denied = await kit.api.gql("""mutation($id: ID!) { orderCancel(id: $id, reason: "x") {
      order { id } } }""", {"id": order["id"]}, warehouse.token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # another rep's / customer's order answers exactly like a missing one
    for token in (other_rep.token, stranger.token):
        foreign = await kit.step("orderCancel", order["id"], token, reason="x")
        missing = await kit.step("orderCancel", gid("Order", 987654321), token, reason="x")
        assert foreign == missing
        assert foreign["userErrors"][0]["code"] == "NOT_FOUND"
    # the customer may cancel its own order while it waits for review, not after approval
    admin = factory.user("ADMIN")
    product = kit.product()
    kit.stock(product, kit.warehouse(), 1)
    approved = await kit.order(rep.token, customer, [(product, 1)], submit=True)
    await kit.ok_step("orderApprove", approved["id"], admin.token)
    late = await kit.step("orderCancel", approved["id"], buyer.token, reason="不要了")
    assert late["userErrors"][0]["code"] == "FORBIDDEN"
    early = await kit.ok_step("orderCancel", order["id"], buyer.token, reason="不要了")
    assert early["status"] == "CANCELLED"


async def test_confirm_delivery_validates_rating_and_accepts_delivered_orders(kit, factory):
    admin = factory.user("ADMIN")
    order = await _order_in(kit, factory, admin, "DELIVERED")
    bad = await kit.step("orderConfirmDelivery", order["id"], admin.token, rating=6)
    assert bad["userErrors"][0]["field"] == ["rating"]
    rated = await kit.ok_step("orderConfirmDelivery", order["id"], admin.token, rating=3,
                              comment="包装破损")
    assert (rated["status"], rated["rating"], rated["feedback"]) == ("DELIVERED", 3, "包装破损")
