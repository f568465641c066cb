"""Delivery orders for consignors through the API (docs/architecture.md#delivery-orders-
and-plans): one or a bulk, each row on its own, idempotent by the consignor's reference,
the consignee as recipient and the consignor paying under its freight agreement."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from app.auth.principal import Principal
from app.auth.roles import Role
from app.delivery import service
from app.orders.service import ShipTo
from tests.consignors.delivery_support import (
    BULK,
    CREATE,
    LEAN_BULK,
    Consignor,
    delivery_rows,
    orders_of,
)
from tests.consignors.support import goods
from tests.orders.support import gid, pk
from tests.support import unique

FREIGHT = """mutation($input: ConsignorFreightAgreementSetInput!) {
  consignorFreightAgreementSet(input: $input) { freightAgreement { basis rate { amount }
    minimumCharge { amount } } userErrors { field message } } }"""
BILLING = """query($id: ID!) { consignorBilling(consignorId: $id) { orderCount total { amount } }
  deliveryOrders(filter: {consignorId: $id, billed: true}) { totalCount
    edges { node { reference freightCharge { amount } } } } }"""


async def _create(kit, token, consignor_gid, order):  # noqa: ANN001, ANN202
    data = await kit.api.ok(CREATE, {"input": {"consignorId": consignor_gid, "order": order}},
                            token)
    return data["deliveryOrderCreate"]


async def test_a_delivery_order_ships_to_the_consignee_and_bills_the_consignor(kit, factory):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    agreed = await kit.api.ok(FREIGHT, {"input": {
        "consignorId": c.gid, "basis": "PER_UNIT", "rate": "1.50", "minimumCharge": "5.00",
        "validFrom": date.today().isoformat()}}, manager.token)
    assert agreed["consignorFreightAgreementSet"]["userErrors"] == []
    when = (date.today() + timedelta(days=3)).isoformat()
    out = await _create(kit, manager.token, c.gid, c.order(
        "SO-1001", deliveryDate=when, lines=[c.line(c.tee, 4), c.line(c.cap, 2)]))
    assert out["userErrors"] == []
    result = out["result"]
    assert result["created"] is True and result["userErrors"] == []
    order, delivery = result["order"], result["deliveryOrder"]
    # the consignor is the paying customer; the consignee's address is the ship-to
    assert order["customer"]["id"] == c.gid and order["status"] == "PENDING_REVIEW"
    assert (order["shipRecipient"], order["promisedDate"]) == ("王店长", when)
    assert "文三路 1 号" in order["shipAddress"]
    assert sorted(x["quantity"] for x in order["lines"]) == [2, 4]
    assert delivery["consigneeId"] == gid("Customer", c.consignee.id)
    # 6 units at 1.50 = 9.00, above the 5.00 minimum
    assert (delivery["freightCharge"], delivery["freightBasis"], delivery["freightQuantity"]
            ) == ({"amount": "9.00"}, "PER_UNIT", "6.00")
    # the existing order loop takes it from here: review allocates the consignor's goods
    approved = await kit.ok_step("orderApprove", order["id"], manager.token)
    assert approved["status"] == "CONFIRMED"
    assert kit.reserved(c.tee) == 4 and kit.reserved(c.cap) == 2
    billing = (await kit.api.ok(BILLING, {"id": c.gid}, manager.token))
    assert billing["consignorBilling"] == {"orderCount": 1, "total": {"amount": "9.00"}}
    assert billing["deliveryOrders"]["edges"] == [
        {"node": {"reference": "SO-1001", "freightCharge": {"amount": "9.00"}}}]


async def test_the_same_reference_returns_the_existing_order(kit, factory):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    first = (await _create(kit, manager.token, c.gid, c.order("REF-7")))["result"]
    again = (await _create(kit, manager.token, c.gid, c.order("REF-7", lines=[
        c.line(c.cap, 9)])))["result"]
    assert (first["created"], again["created"]) == (True, False)
    assert again["deliveryOrder"]["id"] == first["deliveryOrder"]["id"]
    assert again["order"]["id"] == first["order"]["id"]
    assert len(delivery_rows(kit, c.row.id)) == 1 and len(orders_of(kit, c.row.id)) == 1
    # another consignor's same reference is its own order
    other = Consignor(kit)
    theirs = (await _create(kit, manager.token, other.gid, other.order("REF-7")))["result"]
    assert theirs["created"] is True


async def test_bulk_rows_stand_on_their_own(kit, factory):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    stranger = goods(kit, Consignor(kit).row)  # another consignor's product
    rows = [c.order("B-1"),
            c.order("B-2", lines=[{"productId": gid("Product", stranger.id), "quantity": 1}]),
            c.order("B-3", lines=[{"sku": c.cap.sku, "quantity": 3}]),
            c.order("B-4", lines=[c.line(quantity=0)]),
            c.order("B-1"),  # repeated in the same call: the first one's order
            {"reference": "B-5", "lines": [c.line()]},  # neither consignee nor shipTo
            {"reference": "B-6", "lines": [c.line()], "shipTo": {
                "recipient": "李四", "address": "上海市 徐汇区 1 号", "phone": "13800000000"}},
            c.order("B-7", consigneeId="not-an-id")]
    out = (await kit.api.ok(BULK, {"input": {"consignorId": c.gid, "orders": rows}},
                            manager.token))["deliveryOrderBulkCreate"]
    assert out["userErrors"] == []
    got = {r["reference"]: r for r in out["results"][:4] + out["results"][5:]}
    assert [r["reference"] for r in out["results"]] == [r["reference"] for r in rows]
    assert (out["createdCount"], out["errorCount"]) == (3, 4)
    assert [got[r]["created"] for r in ("B-1", "B-3", "B-6")] == [True, True, True]
    assert out["results"][4]["created"] is False
    assert out["results"][4]["order"]["id"] == got["B-1"]["order"]["id"]
    errors = {r: [(e["field"], e["code"]) for e in got[r]["userErrors"]]
              for r in ("B-2", "B-4", "B-5", "B-7")}
    assert errors == {"B-2": [(["lines", "0", "productId"], "NOT_FOUND")],
                      "B-4": [(["lines", "0", "quantity"], "INVALID")],
                      "B-5": [(["consigneeId"], "INVALID")],
                      "B-7": [(["consigneeId"], "NOT_FOUND")]}
    assert got["B-6"]["order"]["shipRecipient"] == "李四"
    assert sorted(d.consignor_reference for d in delivery_rows(kit, c.row.id)) == [
        "B-1", "B-3", "B-6"]
    assert len(orders_of(kit, c.row.id)) == 3


async def test_a_bulk_of_a_thousand_with_bad_rows_among_them(kit, factory):
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    rows = [c.order(f"K-{n:04d}", lines=[c.line(quantity=0 if n % 250 == 7 else 1)])
            for n in range(1000)]
    out = (await kit.api.ok(LEAN_BULK, {"input": {"consignorId": c.gid, "orders": rows}},
                            manager.token))["deliveryOrderBulkCreate"]
    assert (out["createdCount"], out["errorCount"]) == (996, 4)
    assert len(delivery_rows(kit, c.row.id)) == 996
    again = (await kit.api.ok(LEAN_BULK, {"input": {"consignorId": c.gid, "orders": rows[:300]}},
                              manager.token))["deliveryOrderBulkCreate"]
    assert (again["createdCount"], again["errorCount"]) == (0, 2)
    assert len(orders_of(kit, c.row.id)) == 996
    too_many = (await kit.api.ok(LEAN_BULK, {"input": {"consignorId": c.gid, "orders": rows + [
        c.order("K-extra")]}}, manager.token))["deliveryOrderBulkCreate"]
    assert [e["field"] for e in too_many["userErrors"]] == [["orders"]]


async def test_concurrent_calls_with_one_reference_make_one_order(kit, factory):
    """Two integrations' calls race with the same references: one order per reference
    (the claim on the unique (consignor, reference) key), both told about it."""
    manager = factory.user("MANAGER")
    c = Consignor(kit)
    rows = [c.order(f"R-{n}") for n in range(20)]
    calls = [kit.api.ok(BULK, {"input": {"consignorId": c.gid, "orders": rows}},
                        manager.token) for _ in range(2)]
    first, second = [x["deliveryOrderBulkCreate"] for x in await asyncio.gather(*calls)]
    assert first["createdCount"] + second["createdCount"] == 20
    assert first["errorCount"] == second["errorCount"] == 0
    for a, b in zip(first["results"], second["results"], strict=True):
        assert a["order"]["id"] == b["order"]["id"]
    assert len(delivery_rows(kit, c.row.id)) == 20 and len(orders_of(kit, c.row.id)) == 20


async def test_concurrent_units_claim_a_reference_once(kit, runner):
    """The service under two units of work at once (PostgreSQL runs them side by side)."""
    c = Consignor(kit)
    req = service.DeliveryRequest(reference=unique("RACE-"), consignee_id=gid(
        "Customer", c.consignee.id), lines=(service.DeliveryLine(
            quantity=1, product_id=gid("Product", c.tee.id)),))
    staff = Principal(user_id=0, role=Role.MANAGER)
    results = await asyncio.gather(*[runner.write(service.create_delivery_order, c.row.id, req,
                                                  principal=staff) for _ in range(4)])
    assert sorted(r.created for r in results) == [False, False, False, True]
    assert len({r.order.id for r in results}) == 1
    assert len(orders_of(kit, c.row.id)) == 1


async def test_who_may_create_and_see_delivery_orders(kit, factory):
    c, other = Consignor(kit), Consignor(kit)
    manager, warehouse = factory.user("MANAGER"), factory.user("WAREHOUSE")
    made = (await _create(kit, manager.token, c.gid, c.order("V-1")))["result"]
    await _create(kit, manager.token, other.gid, other.order("V-1"))
    # WAREHOUSE reads delivery orders but may not create them
    body = await kit.api.gql(CREATE, {"input": {"consignorId": c.gid, "order": c.order("V-2")}},
                             warehouse.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # SALES: only the consignors it owns; another's answers like a missing one
    rep = factory.user("SALES")
    out = await _create(kit, rep.token, c.gid, c.order("V-3"))
    assert [e["code"] for e in out["userErrors"]] == ["NOT_FOUND"]
    # a consignor's own sign-in (scoped like a CUSTOMER until the CONSIGNOR role exists)
    scoped = Principal(user_id=0, role=Role.CUSTOMER, customer_id=c.row.id)
    page = kit.read(lambda s: service.list_delivery_orders(
        s, scoped, service.repo.DeliveryOrderFilter(), service.repo.DeliveryOrderSort
        .CREATED_AT_DESC, service.PageRequest(first=50)))
    assert [d.consignor_reference for d in page.items] == ["V-1"]
    assert page.items[0].id == pk(made["deliveryOrder"]["id"])
    # a plain CUSTOMER (not a consignor) sees no delivery orders at all
    buyer = factory.user("CUSTOMER", customer_id=kit.customer().id)
    body = await kit.api.gql("{ deliveryOrders(first: 5) { totalCount } }", None, buyer.token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    query = "query($id: ID!) { deliveryOrder(id: $id) { reference } }"
    assert (await kit.api.ok(query, {"id": made["deliveryOrder"]["id"]}, warehouse.token)
            )["deliveryOrder"] == {"reference": "V-1"}


def test_ship_to_wins_over_the_consignee_address(kit):
    c = Consignor(kit)
    ship = ShipTo(recipient="张三", address="北京市 朝阳区 2 号", region="华北")
    req = service.DeliveryRequest(reference=unique("ST-"), ship_to=ship, consignee_id=gid(
        "Customer", c.consignee.id), lines=(service.DeliveryLine(quantity=1, sku=c.tee.sku),))
    result = kit.factory.write(service.create_delivery_order, c.row.id, req)
    assert (result.order.ship_recipient, result.order.ship_region) == ("张三", "华北")
    assert result.delivery_order.consignee_id == c.consignee.id
    assert result.delivery_order.freight_charge is None  # no agreement: nothing billed
