"""orderCreate: catalog prices, the customer's terms, validation, scope, idempotency."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from sqlmodel import func, select

from app.customers import service as customer_service
from app.orders.models import Order
from tests.orders.support import gid


def _count_orders(kit, customer) -> int:  # noqa: ANN001
    return kit.read(lambda s: s.exec(select(func.count(Order.id)).where(
        Order.customer_id == customer.id)).one())


async def test_draft_is_priced_from_catalog_with_customer_terms(kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id, discount_rate=Decimal("0.05"),
                            payment_terms="NET_30")
    factory.write(customer_service.add_address, customer.id, {
        "recipient": "王小明", "phone": "13900001111", "city": "杭州", "province": "浙江省",
        "line1": "西湖区文三路 100 号", "region": "华东"})
    factory.write(customer_service.add_contact, customer.id, {"name": "李雷", "is_primary": True})
    tea, cup = kit.product("128.50", name="龙井茶"), kit.product("19.99")
    order = await kit.order(rep.token, customer, [(tea, 3), (cup, 2)], notes="请周五前送达")
    assert order["status"] == "DRAFT" and order["version"] == 1
    assert order["number"].startswith("SO-")
    assert order["paymentMethod"] == "CREDIT_TERMS"  # NET_30 terms
    assert order["shipRecipient"] == "王小明"
    assert order["shipAddress"] == "浙江省 杭州 西湖区文三路 100 号"
    assert order["notes"] == "请周五前送达"
    first, second = order["lines"]
    assert (first["name"], first["unitPrice"]["amount"], first["discountRate"]) == (
        "龙井茶", "128.50", "0.05")
    assert first["lineTotal"]["amount"] == "366.23"  # 385.50 * 0.95 = 366.225, half up
    assert second["lineTotal"]["amount"] == "37.98"
    assert order["subtotal"] == {"amount": "425.48", "currency": "CNY"}
    assert order["total"]["amount"] == "404.21"
    assert order["discountTotal"]["amount"] == "21.27"
    contact = await kit.api.ok("query($id: ID!) { order(id: $id) { contact { name } "
                               "events { type fromStatus toStatus actor { id } } } }",
                               {"id": order["id"]}, rep.token)
    assert contact["order"]["contact"] == {"name": "李雷"}
    assert [e["type"] for e in contact["order"]["events"]] == ["CREATED"]


async def test_submit_flag_creates_pending_review(kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    order = await kit.order(rep.token, customer, [(kit.product(), 1)], submit=True)
    assert order["status"] == "PENDING_REVIEW"
    events = kit.outbox("order.status_changed", _pk(order))
    assert [(e["from_status"], e["to_status"]) for e in events] == [("DRAFT", "PENDING_REVIEW")]
    assert kit.outbox("order.event", _pk(order))[0]["type"] == "CREATED"


def _pk(order: dict) -> int:
    from tests.orders.support import pk
    return pk(order["id"])


async def test_invalid_lines_are_user_errors_and_write_nothing(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    product = kit.product()
    inactive = kit.product(is_active=False)
    payload = await kit.create(admin.token, customer, [(product, 0), (product, 2)])
    fields = {tuple(e["field"]) for e in payload["userErrors"]}
    assert fields == {("lines", "0", "quantity"), ("lines", "1", "productId")}
    assert payload["order"] is None
    payload = await kit.create(admin.token, customer, [(inactive, 1)])
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    payload = await kit.create(admin.token, customer, [])
    assert payload["userErrors"][0]["field"] == ["lines"]
    bad = await kit.create(admin.token, customer, [(product, 1)],
                           lines=[{"productId": "bm9wZQ", "quantity": 1}])
    assert bad["userErrors"][0]["code"] == "NOT_FOUND"
    assert _count_orders(kit, customer) == 0


async def test_customer_orders_only_for_itself_and_without_discounts(kit, factory):
    own, other = kit.customer(), kit.customer()
    user = factory.user("CUSTOMER", customer_id=own.id)
    product = kit.product()
    order = await kit.order(user.token, own, [(product, 1)], channel="MOBILE")
    assert order["status"] == "DRAFT"
    foreign = await kit.create(user.token, other, [(product, 1)])
    missing = await kit.create(user.token, type(other)(id=987654321), [(product, 1)])
    assert foreign == missing
    assert foreign["userErrors"][0]["code"] == "NOT_FOUND"
    discounted = await kit.create(user.token, own, [(product, 1)], lines=[
        {"productId": gid("Product", product.id), "quantity": 1, "discountRate": "0.5"}])
    assert discounted["userErrors"][0]["code"] == "FORBIDDEN"


async def test_roles_without_create_permission_get_forbidden(kit, factory):
    warehouse = factory.user("WAREHOUSE")
    body = await kit.api.gql("""mutation($i: OrderCreateInput!) { orderCreate(input: $i) {
      order { id } } }""", {"i": {"customerId": gid("Customer", kit.customer().id),
                                  "lines": []}}, warehouse.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_explicit_ship_to_payment_method_and_external_id(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer(payment_terms="PREPAID")
    product = kit.product()
    order = await kit.order(admin.token, customer, [(product, 1)], externalId="TMALL-001",
                            channel="MARKETPLACE", shipTo={"recipient": "韩梅梅",
                                                           "address": "北京市朝阳区 1 号",
                                                           "phone": "13800000000",
                                                           "region": "华北"},
                            paymentMethod="CASH_ON_DELIVERY")
    assert (order["shipRecipient"], order["shipRegion"], order["paymentMethod"]) == (
        "韩梅梅", "华北", "CASH_ON_DELIVERY")
    again = await kit.create(admin.token, customer, [(product, 1)], externalId="TMALL-001",
                             channel="MARKETPLACE")
    assert again["userErrors"][0]["code"] == "DUPLICATE"
    credit = await kit.create(admin.token, customer, [(product, 1)],
                              paymentMethod="CREDIT_TERMS")
    assert credit["userErrors"][0]["field"] == ["paymentMethod"]


async def test_idempotency_key_replays_and_detects_reuse(kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    first = await kit.order(rep.token, customer, [(product, 2)], idempotencyKey="k-1")
    replay = await kit.order(rep.token, customer, [(product, 2)], idempotencyKey="k-1")
    assert replay["id"] == first["id"] and replay["version"] == first["version"]
    assert _count_orders(kit, customer) == 1
    assert len(kit.audits(_pk(first))) == 1  # the replay wrote nothing
    reused = await kit.create(rep.token, customer, [(product, 3)], idempotencyKey="k-1")
    assert reused["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # keys are per principal: another rep's "k-1" is a new order
    other = factory.user("SALES")
    theirs = kit.customer(owner_id=other.id)
    own = await kit.order(other.token, theirs, [(product, 2)], idempotencyKey="k-1")
    assert own["id"] != first["id"]


async def test_concurrent_duplicates_create_one_order(kit, factory):
    rep = factory.user("SALES")
    customer = kit.customer(owner_id=rep.id)
    product = kit.product()
    results = await asyncio.gather(*[
        kit.create(rep.token, customer, [(product, 1)], idempotencyKey="同一个键")
        for _ in range(12)])
    assert all(r["userErrors"] == [] for r in results), results
    assert len({r["order"]["id"] for r in results}) == 1
    assert _count_orders(kit, customer) == 1
