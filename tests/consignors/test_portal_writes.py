"""The CONSIGNOR portal's writes and sign-in (docs/architecture.md#consignors): a CONSIGNOR
user belongs to a consignor, places orders of its own goods only (another consignor's
product answers like a missing one, its stock untouched), and its delta sync carries
nothing of another consignor."""

from __future__ import annotations

from app.catalog import service as catalog_service
from tests.consignors.portal_support import two_sides
from tests.consignors.support import consignor
from tests.orders.support import gid
from tests.support import unique

USER_CREATE = """mutation($input: UserCreateInput!) { userCreate(input: $input) {
  user { role } userErrors { field code message } } }"""
USER_UPDATE = """mutation($id: ID!, $input: UserUpdateInput!) { userUpdate(id: $id,
  input: $input) { user { role } userErrors { field code message } } }"""


async def test_a_consignor_user_needs_a_consignor(kit, factory):
    admin = factory.user("ADMIN")
    ordinary, shipper = kit.customer(), consignor(kit)

    async def create(**extra: str) -> dict:
        values = {"email": f"{unique('portal')}@example.com", "password": "s3cret-pass",
                  "role": "CONSIGNOR", **extra}
        return (await kit.api.ok(USER_CREATE, {"input": values}, admin.token))["userCreate"]

    for extra, says in (({}, "needs a customer"),
                        ({"customerId": gid("Customer", ordinary.id)}, "is a consignor")):
        out = await create(**extra)
        [error] = out["userErrors"]
        assert out["user"] is None and error["field"] == ["customerId"], out
        assert says in error["message"]
    made = await create(customerId=gid("Customer", shipper.id))
    assert made == {"user": {"role": "CONSIGNOR"}, "userErrors": []}
    # an ordinary customer's user cannot become a CONSIGNOR either
    buyer = factory.user("CUSTOMER", customer_id=ordinary.id)
    out = (await kit.api.ok(USER_UPDATE, {"id": gid("User", buyer.id), "input": {
        "role": "CONSIGNOR"}}, admin.token))["userUpdate"]
    assert out["user"] is None and out["userErrors"][0]["field"] == ["customerId"]
    me = await kit.api.ok("{ me { role permissions } }", token=factory.user(
        "CONSIGNOR", customer_id=shipper.id).token)
    assert me["me"]["role"] == "CONSIGNOR"
    assert "exports:create" not in me["me"]["permissions"]
    assert "stock:read" in me["me"]["permissions"]


async def test_a_consignor_cannot_order_or_allocate_another_consignors_goods(kit, factory):
    manager = factory.user("MANAGER")
    a, b, _wh = await two_sides(kit, manager)
    before = kit.reserved(b.product)
    refused = await kit.create(a.token, a.customer, [(b.product, 1)], channel="WEB")
    assert refused["order"] is None
    [error] = refused["userErrors"]
    assert (error["field"], error["code"]) == (["lines", "0", "productId"], "NOT_FOUND")
    missing = await kit.create(a.token, a.customer, [(a.product, 1)], channel="WEB", lines=[
        {"productId": gid("Product", 10**9), "quantity": 1}])
    assert missing["userErrors"] == refused["userErrors"]  # exactly like a missing product
    # nor on B's behalf
    foreign = await kit.create(a.token, b.customer, [(b.product, 1)], channel="WEB")
    assert foreign["order"] is None and foreign["userErrors"][0]["code"] == "NOT_FOUND"
    # its own goods: placed, submitted, and (approved by staff) reserved from its stock
    own = await kit.order(a.token, a.customer, [(a.product, 2)], channel="WEB")
    await kit.ok_step("orderSubmit", own["id"], a.token)
    approved = await kit.ok_step("orderApprove", own["id"], manager.token)
    assert [x["quantity"] for x in approved["allocations"]] == [2]
    assert kit.reserved(b.product) == before
    for product in (a.product, b.product):
        kit.assert_ledger_consistent(product)


SYNC = """query($since: String, $after: String) {
  syncChanges(entities: [PRODUCT, ORDER, SHIPMENT, CUSTOMER], since: $since, first: 50,
              after: $after) {
    edges { id entity removed } pageInfo { hasNextPage endCursor } syncToken full } }"""


async def _sync(kit, token: str, since: str | None = None) -> tuple[list[dict], str]:  # noqa: ANN001
    edges, after = [], None
    while True:
        page = (await kit.api.ok(SYNC, {"since": since, "after": after}, token))["syncChanges"]
        edges += page["edges"]
        if not page["pageInfo"]["hasNextPage"]:
            return edges, page["syncToken"]
        after = page["pageInfo"]["endCursor"]


async def test_delta_sync_carries_nothing_of_another_consignor(kit, factory):
    manager = factory.user("MANAGER")
    a, b, _wh = await two_sides(kit, manager)
    full, token = await _sync(kit, a.token)
    assert {e["id"] for e in full} == {a.id, gid("Product", a.product.id), a.order,
                                       a.shipment}
    for side, name in ((a, "新款"), (b, "新款")):
        factory.write(catalog_service.update_product, side.product.id,
                      {"name": name + unique("")})
    delta, _ = await _sync(kit, a.token, token)
    assert delta == [{"id": gid("Product", a.product.id), "entity": "PRODUCT",
                      "removed": False}]
    # B's own sign-in does get B's change
    _, b_token = await _sync(kit, b.token)
    factory.write(catalog_service.update_product, b.product.id, {"name": unique("改名 ")})
    b_delta, _ = await _sync(kit, b.token, b_token)
    assert [e["id"] for e in b_delta] == [gid("Product", b.product.id)]
