"""shippingQuotes over HTTP against the real app: prices, weights, dates, reasons, the
recommended service, the customer's charge, row scope and the role matrix."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from app.orders import fulfillment
from tests.orders.support import gid, pk, query_statements
from tests.shipping.quote_support import (
    QUOTES,
    ROLES,
    box,
    day,
    make_carrier,
    make_service,
    mine,
    placed,
    quote_world,
)


async def test_every_service_is_quoted_with_its_price_dates_and_reasons(api, kit):
    w = await quote_world(kit)
    admin = kit.factory.user("ADMIN")
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    assert (got["originRegion"], got["destinationRegion"]) == (w.origin, w.destination)
    assert got["promisedDate"] == day(2) and not got["cashOnDelivery"]
    assert got["weightKg"] == "3.00" and Decimal(got["volumeCm3"]) == 24000
    assert got["items"] == [{"sku": w.box.sku, "quantity": 2, "weightKg": "1.50",
                             "coldChain": False}]
    assert got["readyAt"].startswith(f"{day(0)}T09:00:00")
    quotes = mine(got, w.express, w.economy)
    express, economy = quotes[w.express.code], quotes[w.economy.code]
    assert express["price"] == {"amount": "40.00", "currency": "CNY"}  # 20 + 5 x 4 kg
    assert (express["weightKg"], express["volumetricWeightKg"],
            express["billableWeightKg"]) == ("3.00", "4.00", "4.00")
    assert express["pickupDate"] == day(0) and express["estimatedDelivery"] == day(1)
    assert express["eligible"] and express["reasons"] == []
    assert express["rateRule"] == {"originRegion": w.origin, "destinationRegion": w.destination,
                                   "transitDays": 1}
    assert economy["price"]["amount"] == "12.00" and economy["estimatedDelivery"] == day(4)
    assert not economy["eligible"] and economy["canCarry"]
    assert [r["code"] for r in economy["reasons"]] == ["MISSES_PROMISED_DATE"]
    assert economy["reasons"][0]["message"] == f"arrives {day(4)}, after the promised {day(2)}"
    assert economy["rateRule"]["originRegion"] == "*"
    # the cheapest eligible service is recommended (economy is cheaper but late)
    assert got["recommended"] == {"service": {"code": w.express.code},
                                  "price": {"amount": "40.00"}}
    assert f"that arrive by the promised {day(2)}" in got["recommendation"]
    assert got["quotes"][0]["service"]["code"] == w.express.code  # recommended first


async def test_without_time_pressure_the_cheaper_service_wins(api, kit):
    w = await quote_world(kit, promised=None)
    got = (await api.ok(QUOTES, w.variables(), kit.factory.user("LOGISTICS").token))[
        "shippingQuotes"]
    assert got["recommended"]["service"]["code"] == w.economy.code
    assert all(q["eligible"] for q in mine(got, w.express, w.economy).values())


async def test_past_the_cutoff_the_express_picks_up_tomorrow(api, kit):
    w = await quote_world(kit, promised=day(1))
    evening = w.variables(at=f"{day(0)}T16:30:00+08:00")
    got = (await api.ok(QUOTES, evening, kit.factory.user("ADMIN").token))["shippingQuotes"]
    express = mine(got, w.express)[w.express.code]
    assert express["pickupDate"] == day(1) and express["estimatedDelivery"] == day(2)
    assert [r["code"] for r in express["reasons"]] == ["PAST_CUTOFF"]
    # nobody arrives in time: the earliest arrival that can carry the parcel is recommended
    assert got["recommended"]["service"]["code"] == w.express.code
    assert got["recommendation"].startswith(f"no service arrives by the promised {day(1)}")
    # the same moment in UTC is the same local time
    utc = w.variables(at=f"{day(0)}T08:30:00Z")
    again = (await api.ok(QUOTES, utc, kit.factory.user("ADMIN").token))["shippingQuotes"]
    assert mine(again, w.express)[w.express.code]["pickupDate"] == day(1)


async def test_cash_on_delivery_and_cold_chain_need_services_that_offer_them(api, kit):
    w = await quote_world(kit, promised=None, paymentMethod="CASH_ON_DELIVERY")
    admin = kit.factory.user("ADMIN")
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    quotes = mine(got, w.express, w.economy)
    assert got["cashOnDelivery"]
    assert quotes[w.express.code]["price"]["amount"] == "43.00"  # + the 3.00 COD fee
    assert [r["code"] for r in quotes[w.economy.code]["reasons"]] == ["NO_COD"]
    assert got["recommended"]["service"]["code"] == w.express.code

    ice = kit.product(price="30.00", weight_kg=Decimal("2"), cold_chain=True)
    kit.stock(ice, w.warehouse, 10)
    cold = make_service(kit.factory, make_carrier(kit.factory), [(w.origin, "*", "50", "4", 2)],
                        level="COLD_CHAIN", cold_chain=True)
    order = await placed(kit, kit.customer(), [(w.box, 1), (ice, 1)], w.destination)
    got = (await api.ok(QUOTES, {**w.variables(), "o": order["id"]}, admin.token))[
        "shippingQuotes"]
    quotes = mine(got, w.express, w.economy, cold)
    assert got["coldChain"]
    assert all([r["code"] for r in quotes[s.code]["reasons"]] == ["NO_COLD_CHAIN"]
               for s in (w.express, w.economy))
    assert ice.sku in quotes[w.express.code]["reasons"][0]["message"]
    assert quotes[cold.code]["eligible"] and quotes[cold.code]["price"]["amount"] == "64.00"
    assert got["recommended"]["service"]["code"] == cold.code


async def test_too_heavy_oversize_and_unserved_lanes(api, kit):
    w = await quote_world(kit, quantity=12, promised=None)
    pole = kit.product(price="10.00", weight_kg=Decimal("1"), length_cm=Decimal("150"),
                       width_cm=Decimal("5"), height_cm=Decimal("5"))
    kit.stock(pole, w.warehouse, 5)
    tight = make_service(kit.factory, make_carrier(kit.factory), [(w.origin, w.destination,
                                                                   "5", "1", 1)],
                         max_weight_kg=Decimal("10"), max_length_cm=Decimal("100"),
                         max_width_cm=Decimal("50"), max_height_cm=Decimal("50"))
    elsewhere = make_service(kit.factory, make_carrier(kit.factory),
                             [(w.origin, "别处", "1", "0", 1)])
    order = await placed(kit, kit.customer(), [(w.box, 12), (pole, 1)], w.destination)
    got = (await api.ok(QUOTES, {**w.variables(), "o": order["id"]},
                        kit.factory.user("ADMIN").token))["shippingQuotes"]
    quotes = mine(got, tight, elsewhere, w.economy)
    assert [r["code"] for r in quotes[tight.code]["reasons"]] == ["TOO_HEAVY", "OVERSIZE"]
    assert pole.sku in quotes[tight.code]["reasons"][1]["message"]
    assert [r["code"] for r in quotes[elsewhere.code]["reasons"]] == ["REGION_NOT_SERVED"]
    assert quotes[elsewhere.code]["price"] is None
    assert quotes[elsewhere.code]["estimatedDelivery"] is None
    # 12 boxes and the pole: 147,750 cm3 / 6000 = 24.625 kg, rounded up
    assert quotes[w.economy.code]["billableWeightKg"] == "24.63"
    assert got["recommended"]["service"]["code"] == w.economy.code


async def test_a_named_service_is_recommended_and_the_charge_follows_the_agreement(api, kit):
    rich = kit.customer(free_shipping_threshold=Decimal("150.00"))
    w = await quote_world(kit, customer=rich)
    admin = kit.factory.user("ADMIN")
    named = w.variables(s=gid("CarrierService", w.economy.id))
    got = (await api.ok(QUOTES, named, admin.token))["shippingQuotes"]
    assert got["recommended"]["service"]["code"] == w.economy.code
    assert "named by the dispatcher although it is late" in got["recommendation"]
    # goods 200.00 reach the agreed 150.00: free
    assert got["customerCharge"] == {"amount": "0.00", "currency": "CNY"}
    assert "reaches the agreed 150.00" in got["customerChargeReason"]
    billed = await quote_world(kit)  # a customer without agreement: billed at the price
    got = (await api.ok(QUOTES, billed.variables(), admin.token))["shippingQuotes"]
    assert got["customerCharge"]["amount"] == got["recommended"]["price"]["amount"] == "40.00"


async def test_the_allocation_of_the_warehouse_decides_what_is_left_to_ship(api, kit):
    w = await quote_world(kit, promised=None)
    north, south = kit.warehouse(region=w.origin), kit.warehouse(region=w.origin)
    a, b = box(kit), kit.product(price="20.00", weight_kg=Decimal("0.50"))
    kit.stock(a, north, 5)
    kit.stock(b, south, 5)  # no warehouse has both: the order is split per line
    order = await placed(kit, kit.customer(), [(a, 2), (b, 4)], w.destination)
    assert {x["warehouse"]["id"] for x in order["allocations"]} == {
        gid("Warehouse", north.id), gid("Warehouse", south.id)}
    admin = kit.factory.user("ADMIN")

    async def items(warehouse):  # noqa: ANN001, ANN202
        variables = {**w.variables(), "o": order["id"], "w": gid("Warehouse", warehouse.id)}
        got = (await api.ok(QUOTES, variables, admin.token))["shippingQuotes"]
        return {i["sku"]: i["quantity"] for i in got["items"]}, got["weightKg"]

    assert await items(north) == ({a.sku: 2}, "3.00")
    assert await items(south) == ({b.sku: 4}, "2.00")
    # a warehouse without an allocation of the order: the whole order
    assert await items(w.warehouse) == ({a.sku: 2, b.sku: 4}, "5.00")


async def test_the_role_matrix(api, kit):
    w = await quote_world(kit)
    allowed = {"ADMIN", "MANAGER", "LOGISTICS", "WAREHOUSE", "FINANCE", "ANALYST"}  # rates:read
    for role in ROLES:
        user = kit.factory.user(role, warehouses=[w.warehouse.code] if role == "WAREHOUSE"
                                else None, customer_id=kit.customer().id
                                if role == "CUSTOMER" else None)
        body = await api.gql(QUOTES, w.variables(), user.token)
        if role in allowed:
            assert not body.get("errors") and body["data"]["shippingQuotes"]["quotes"], role
        else:
            assert body["data"] == {"shippingQuotes": None}, role
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
    body = await api.gql(QUOTES, w.variables())
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def _error(api, variables, token):  # noqa: ANN001, ANN202
    body = await api.gql(QUOTES, variables, token)
    assert body["data"] == {"shippingQuotes": None}
    return {k: body["errors"][0][k] for k in ("message", "extensions")} | {
        "path": body["errors"][0].get("path")}


async def test_a_foreign_id_answers_exactly_like_a_missing_one(api, kit):
    w = await quote_world(kit)
    elsewhere = kit.warehouse(region=w.origin)
    clerk = kit.factory.user("WAREHOUSE", warehouses=[elsewhere.code])
    foreign = await _error(api, w.variables(), clerk.token)
    missing = await _error(api, {**w.variables(), "w": gid("Warehouse", 987654321)},
                           clerk.token)
    assert foreign == missing
    assert foreign["extensions"]["code"] == "NOT_FOUND"
    admin = kit.factory.user("ADMIN")
    by_type = await _error(api, {**w.variables(), "o": gid("Product", w.box.id)}, admin.token)
    no_order = await _error(api, {**w.variables(), "o": gid("Order", 987654321)}, admin.token)
    garbage = await _error(api, {**w.variables(), "o": "%%%"}, admin.token)
    assert by_type == no_order == garbage
    assert by_type["message"] == "Order not found"
    assert by_type["extensions"] == {"code": "NOT_FOUND", "field": ["orderId"]}


async def test_a_naive_ready_time_is_refused(api, kit):
    w = await quote_world(kit)
    body = await api.gql(QUOTES, w.variables(at=f"{day(0)}T09:00:00"),
                         kit.factory.user("ADMIN").token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert "time zone" in body["errors"][0]["message"]


async def test_inactive_services_and_carriers_are_not_quoted(api, kit):
    w = await quote_world(kit)
    retired = make_service(kit.factory, make_carrier(kit.factory), [(w.origin, "*", "1", "0", 1)],
                           is_active=False)
    gone = make_service(kit.factory, make_carrier(kit.factory, is_active=False),
                        [(w.origin, "*", "1", "0", 1)], cutoff_time=time(12, 0))
    got = (await api.ok(QUOTES, w.variables(), kit.factory.user("ADMIN").token))[
        "shippingQuotes"]
    assert mine(got, retired, gone) == {}


async def test_statements_do_not_grow_with_the_number_of_services(api, kit, db):
    w = await quote_world(kit)
    token = kit.factory.user("ADMIN").token

    async def statements() -> int:
        db.counter.reset()
        await api.ok(QUOTES, w.variables(), token)
        return len(query_statements(db))

    before = await statements()
    carrier = make_carrier(kit.factory)
    for _ in range(3):
        make_service(kit.factory, carrier, [(w.origin, w.destination, "9", "1", 2),
                                            (w.origin, "*", "19", "3", 4)])
    assert await statements() == before


async def test_a_cancelled_order_is_not_quoted(api, kit):
    w = await quote_world(kit)
    admin = kit.factory.user("ADMIN")
    await kit.ok_step("orderCancel", w.order["id"], admin.token, reason="客户取消")
    body = await api.gql(QUOTES, w.variables(), admin.token)
    assert body["data"] == {"shippingQuotes": None}
    assert body["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    assert "CANCELLED" in body["errors"][0]["message"]


async def test_shipped_units_are_left_out_and_nothing_left_is_a_conflict(api, kit):
    w = await quote_world(kit, quantity=3)
    admin = kit.factory.user("ADMIN")
    line = pk(w.order["lines"][0]["id"])
    kit.factory.write(fulfillment.record_shipment, pk(w.order["id"]), [(line, w.warehouse.id, 2)])
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    assert got["items"][0]["quantity"] == 1 and got["weightKg"] == "1.50"
    kit.factory.write(fulfillment.record_shipment, pk(w.order["id"]), [(line, w.warehouse.id, 1)])
    body = await api.gql(QUOTES, w.variables(), admin.token)
    assert body["errors"][0]["extensions"] == {"code": "CONFLICT", "field": ["orderId"]}
    assert body["errors"][0]["message"] == "nothing of this order is left to ship"
