"""A consignee's change request (date, address, quantity) on a delivery order, through the
delivery-change workflow of tickets (docs/architecture.md#delivery-orders-and-plans,
docs/architecture.md#tickets-and-slas)."""

from __future__ import annotations

from datetime import date, timedelta

from tests.consignors.delivery_support import CREATE, Consignor
from tests.orders.support import gid

REQUEST = """mutation($input: TicketDeliveryChangeRequestInput!) {
  ticketRequestDeliveryChange(input: $input) {
    ticket { id kind deliveryChange { date address status quantities { productId quantity } } }
    userErrors { field message code } } }"""
APPROVE = """mutation($id: ID!) { ticketApproveDeliveryChange(id: $id) {
  ticket { status deliveryChange { status } } userErrors { field message code } } }"""
ORDER = """query($id: ID!) { order(id: $id) { status promisedDate shipAddress total { amount }
  lines { quantity product { id } } } }"""


async def _delivery(kit, c, token):  # noqa: ANN001, ANN202
    out = (await kit.api.ok(CREATE, {"input": {"consignorId": c.gid, "order": c.order(
        "CHG-1", lines=[c.line(c.tee, 10), c.line(c.cap, 5)])}}, token))["deliveryOrderCreate"]
    assert out["userErrors"] == []
    return out["result"]["order"]["id"]


async def test_a_consignee_changes_date_address_and_quantity(kit, factory):
    agent, manager = factory.user("CUSTOMER_SERVICE"), factory.user("MANAGER")
    c = Consignor(kit)
    order_id = await _delivery(kit, c, manager.token)
    when = (date.today() + timedelta(days=5)).isoformat()
    asked = (await kit.api.ok(REQUEST, {"input": {
        "orderId": order_id, "customerId": c.gid, "description": "店长来电：改到周五，少要 4 件",
        "change": {"date": when, "address": "杭州市 西湖区 文一路 8 号",
                   "quantities": [{"productId": gid("Product", c.tee.id), "quantity": 6}]}}},
        agent.token))["ticketRequestDeliveryChange"]
    assert asked["userErrors"] == []
    change = asked["ticket"]["deliveryChange"]
    assert (change["date"], change["status"]) == (when, "PENDING")
    assert change["quantities"] == [{"productId": gid("Product", c.tee.id), "quantity": 6}]
    approved = (await kit.api.ok(APPROVE, {"id": asked["ticket"]["id"]},
                                 manager.token))["ticketApproveDeliveryChange"]
    assert approved["userErrors"] == []
    order = (await kit.api.ok(ORDER, {"id": order_id}, manager.token))["order"]
    assert (order["promisedDate"], order["shipAddress"]) == (when, "杭州市 西湖区 文一路 8 号")
    assert sorted((x["product"]["id"], x["quantity"]) for x in order["lines"]) == sorted(
        [(gid("Product", c.tee.id), 6), (gid("Product", c.cap.id), 5)])
    assert order["total"] == {"amount": "1100.00"}  # 11 units at the catalog's 100.00


async def test_quantities_change_only_before_review(kit, factory):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    order_id = await _delivery(kit, c, manager.token)
    await kit.ok_step("orderApprove", order_id, manager.token)
    change = {"quantities": [{"productId": gid("Product", c.tee.id), "quantity": 1}]}
    refused = (await kit.api.ok(REQUEST, {"input": {"orderId": order_id, "customerId": c.gid,
                                                    "change": change}},
                                manager.token))["ticketRequestDeliveryChange"]
    assert refused["ticket"] is None
    [error] = refused["userErrors"]
    assert error["code"] == "INVALID_TRANSITION" and "reserved" in error["message"]
    # a product not on the order is named on its own path
    d = Consignor(kit)
    other = await _delivery(kit, d, manager.token)
    missing = (await kit.api.ok(REQUEST, {"input": {"orderId": other, "customerId": d.gid,
                                                    "change": change}},
                                manager.token))["ticketRequestDeliveryChange"]
    assert [(e["field"], e["code"]) for e in missing["userErrors"]] == [
        (["deliveryChange", "quantities", "0", "productId"], "NOT_FOUND")]
    # the date still changes after review
    when = (date.today() + timedelta(days=2)).isoformat()
    dated = (await kit.api.ok(REQUEST, {"input": {"orderId": order_id, "customerId": c.gid,
                                                  "change": {"date": when}}},
                              manager.token))["ticketRequestDeliveryChange"]
    assert dated["userErrors"] == []
