"""Issue 3 item 10: orderDuplicate re-orders a previous order at today's catalog prices."""

from __future__ import annotations

from decimal import Decimal

from app.catalog import service as catalog_service
from app.orders.models import Order
from tests.orders.support import ORDER
from tests.returns.support import codes, count, delivered

DUPLICATE = ORDER + """
mutation($id: ID!, $key: String) { orderDuplicate(id: $id, idempotencyKey: $key) {
  order { ...O } sourceOrder { id } skippedLines { sku name message }
  userErrors { field message code } } }"""


async def _duplicate(kit, token: str, order_id: str, key: str | None = None) -> dict:  # noqa: ANN001
    data = await kit.api.ok(DUPLICATE, {"id": order_id, "key": key}, token)
    return data["orderDuplicate"]


async def test_reorder_at_current_prices_skipping_retired_products(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer(discount_rate=Decimal("0.10"))
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    tea, cup, pot = kit.product("100.00"), kit.product("20.00"), kit.product("300.00")
    ship_to = {"recipient": "王小明", "address": "上海市浦东新区世纪大道1号",
               "phone": "13900001111"}
    source, _ = await delivered(kit, admin.token, customer, [(tea, 2), (cup, 3), (pot, 1)],
                                shipTo=ship_to)
    factory.write(catalog_service.update_product, tea.id, {"price": Decimal("120.00")})
    factory.write(catalog_service.update_product, pot.id, {"is_active": False})

    copy = await _duplicate(kit, buyer.token, source["id"])
    assert copy["userErrors"] == []
    new = copy["order"]
    assert new["id"] != source["id"] and copy["sourceOrder"] == {"id": source["id"]}
    assert (new["status"], new["paymentStatus"]) == ("DRAFT", "UNPAID")
    assert [(ln["sku"], ln["quantity"], ln["unitPrice"]["amount"], ln["discountRate"])
            for ln in new["lines"]] == [(tea.sku, 2, "120.00", "0.10"), (cup.sku, 3, "20.00",
                                                                           "0.10")]
    assert new["total"] == {"amount": "270.00"}  # (240 + 60) less 10%
    assert copy["skippedLines"] == [{"sku": pot.sku, "name": pot.name,
                                     "message": f"{pot.sku} is no longer sold"}]
    assert (new["shipRecipient"], new["shipPhone"]) == ("王小明", "13900001111")


async def test_duplicate_is_idempotent_scoped_and_needs_something_to_sell(kit, factory):
    admin = factory.user("ADMIN")
    customer, stranger = kit.customer(), kit.customer()
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    outsider = factory.user("CUSTOMER", customer_id=stranger.id)
    tea = kit.product("10.00")
    source = await kit.order(admin.token, customer, [(tea, 1)])
    first = await _duplicate(kit, buyer.token, source["id"], key="again-1")
    replay = await _duplicate(kit, buyer.token, source["id"], key="again-1")
    assert replay["order"]["id"] == first["order"]["id"]
    assert count(kit, Order, Order.customer_id == customer.id) == 2
    other = await _duplicate(kit, admin.token, source["id"], key="again-1")
    assert other["order"]["id"] not in (first["order"]["id"], source["id"])
    assert codes(await _duplicate(kit, outsider.token, source["id"])) == ["NOT_FOUND"]
    assert codes(await _duplicate(kit, buyer.token, "bogus")) == ["NOT_FOUND"]
    denied = await kit.api.gql(DUPLICATE, {"id": source["id"]},
                               factory.user("WAREHOUSE").token)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    factory.write(catalog_service.update_product, tea.id, {"is_active": False})
    nothing = await _duplicate(kit, buyer.token, source["id"])
    assert codes(nothing) == ["INVALID"] and nothing["order"] is None
    assert count(kit, Order, Order.customer_id == customer.id) == 3
