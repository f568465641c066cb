"""Issue 3 item 7: 300 concurrent orderApprove calls over the ASGI app for 300 one-unit
orders of a product with 50 units: exactly 50 are confirmed, never more."""

from __future__ import annotations

import asyncio
from collections import Counter

from app.orders import service
from app.orders.models import Order
from app.orders.pricing import LineRequest
from tests.orders.support import gid

APPROVE = """mutation($id: ID!) { orderApprove(id: $id) {
  order { id status } userErrors { code message } } }"""
CANCEL = """mutation($id: ID!) { orderCancel(id: $id, reason: "并发取消") {
  order { status allocations { quantity } } userErrors { code } } }"""
ORDERS, UNITS = 300, 50


def _draft(customer_id: int, product_id: int) -> service.OrderDraft:
    return service.OrderDraft(customer_id=customer_id, submit=True,
                              lines=(LineRequest(product_id=product_id, quantity=1),))


async def test_concurrent_approvals_never_oversell(kit, factory):
    product = kit.product("10.00")
    kit.stock(product, kit.warehouse("华东"), 30)
    kit.stock(product, kit.warehouse("华北"), 20)
    customers = [kit.customer() for _ in range(30)]
    orders: list[Order] = [factory.write(service.create_order,
                                         _draft(customers[i % 30].id, product.id))
                           for i in range(ORDERS)]
    approvers = [factory.user("FINANCE") for _ in range(3)] + [factory.user("MANAGER")]

    results = await asyncio.gather(*[
        kit.api.ok(APPROVE, {"id": gid("Order", o.id)}, approvers[i % 4].token)
        for i, o in enumerate(orders)])
    payloads = [r["orderApprove"] for r in results]
    confirmed = [p["order"]["id"] for p in payloads if p["order"]]
    failures = Counter(e["code"] for p in payloads for e in p["userErrors"])
    assert len(confirmed) == UNITS
    assert failures == {"INSUFFICIENT_STOCK": ORDERS - UNITS}
    assert all(p["order"]["status"] == "CONFIRMED" for p in payloads if p["order"])
    levels = kit.levels(product)
    assert sum(lv.reserved for lv in levels.values()) == UNITS
    assert all(lv.reserved == lv.on_hand for lv in levels.values())
    kit.assert_ledger_consistent(product)

    # cancelling (concurrently, too) leaves no reservation behind
    cancelled = await asyncio.gather(*[kit.api.ok(CANCEL, {"id": oid}, approvers[3].token)
                                       for oid in confirmed])
    assert all(c["orderCancel"]["order"] == {"status": "CANCELLED", "allocations": []}
               for c in cancelled)
    assert kit.reserved(product) == 0
    kit.assert_ledger_consistent(product)
