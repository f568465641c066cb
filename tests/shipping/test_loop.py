"""The whole order-to-delivery loop with API calls only: customer -> order -> approve ->
schedule -> fulfil -> quote -> ship (split over two warehouses) -> carrier events ->
delivered -> customer acceptance with rating -> return request -> refund. At each step the
order's status, stock levels, the ledger and notifications are asserted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson

from app.persistence.columns import utcnow
from app.shipping.webhooks import signed_headers
from tests.notifications.support import rows as notifications
from tests.orders.support import gid, pk
from tests.shipping import flow_support as f

QUOTES = """query($o: ID!, $w: ID!) { shippingQuotes(orderId: $o, warehouseId: $w) {
  recommended { service { code } } quotes { service { code } eligible reasons { code } } } }"""
ORDER = """query($id: ID!) { order(id: $id) { status shippingTotal { amount } total { amount }
  paymentStatus rating shipments { id status acceptedAt } } }"""
RETURN = """mutation($i: ReturnRequestCreateInput!) { returnRequestCreate(input: $i) {
  returnRequest { id status } userErrors { field message code } } }"""
RETURN_STEP = """mutation($id: ID!) { NAME(id: $id) { returnRequest { id status }
  userErrors { field message code } } }"""
RECEIVE = """mutation($i: ReturnRequestReceiveInput!) { returnRequestReceive(input: $i) {
  returnRequest { id status } userErrors { field message code } } }"""
ROTATE = """mutation($id: ID!) { carrierWebhookSecretRotate(carrierId: $id) { webhookSecret
  userErrors { field message code } } }"""
PAY = """mutation($i: PaymentRecordInput!) { paymentRecord(input: $i) {
  payment { id } userErrors { field message code } } }"""


async def _post(api, carrier, secret, events):  # noqa: ANN001, ANN202
    """A batch of carrier events, signed as the carrier signs it, to its webhook."""
    raw = orjson.dumps({"events": events})
    response = await api.client.post(f"/webhooks/carriers/{carrier.code}", content=raw,
                                     headers=signed_headers(secret, raw, utcnow()))
    assert response.status_code == 200, response.text
    return response.json()["results"]


def _levels(kit, net):  # noqa: ANN001, ANN202
    tea, cup = kit.levels(net.tea)[net.east.id], kit.levels(net.cup)[net.south.id]
    return (tea.on_hand, tea.reserved), (cup.on_hand, cup.reserved)


async def _order(api, token, order_id):  # noqa: ANN001, ANN202
    return (await api.ok(ORDER, {"id": order_id}, token))["order"]


async def test_the_whole_loop_through_the_api(api, kit, factory):
    net = f.network(kit)
    customer = kit.customer(region=net.destination)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    logistics = factory.user("LOGISTICS")
    east_clerk = factory.user("WAREHOUSE", warehouses=[net.east.code])
    manager = factory.user("MANAGER")

    # order -> approve (reserved in both warehouses) -> pay -> schedule -> fulfil
    order = await f.placed(net, customer, [(net.tea, 2), (net.cup, 3)])
    oid = order["id"]
    assert order["status"] == "CONFIRMED"
    assert _levels(kit, net) == ((20, 2), (20, 3))
    total = Decimal(order["total"]["amount"])
    await f.ok(api, PAY, {"i": {"orderId": oid, "amount": str(total), "currency": "CNY",
                                "method": "BANK_TRANSFER"}}, factory.user("FINANCE").token,
               "paymentRecord")
    await kit.ok_step("orderSchedule", oid, manager.token)
    started = await kit.ok_step("orderStartFulfillment", oid, manager.token)
    assert started["status"] == "IN_FULFILLMENT"

    # quote: the economy service misses the promised date, express is recommended
    quotes = (await api.ok(QUOTES, {"o": oid, "w": f.warehouse_gid(net.east)},
                           logistics.token))["shippingQuotes"]
    assert quotes["recommended"]["service"]["code"] == net.express.code
    economy = next(q for q in quotes["quotes"] if q["service"]["code"] == net.economy.code)
    assert [r["code"] for r in economy["reasons"]] == ["MISSES_PROMISED_DATE"]

    # ship: one shipment per warehouse, express chosen with its reason, charge billed
    made = (await f.ok(api, f.CREATE_ALL, {"o": oid}, logistics.token,
                       "orderCreateShipments"))["shipments"]
    assert len(made) == 2
    by_wh = {s["warehouse"]["id"]: s for s in made}
    east, south = by_wh[f.warehouse_gid(net.east)], by_wh[f.warehouse_gid(net.south)]
    assert [(ln["orderLine"]["sku"], ln["quantity"]) for ln in east["lines"]] == [
        (net.tea.sku, 2)]
    assert [(ln["orderLine"]["sku"], ln["quantity"]) for ln in south["lines"]] == [
        (net.cup.sku, 3)]
    for s in made:
        assert s["service"]["code"] == net.express.code and s["status"] == "CREATED"
        assert "cheapest" in s["carrierChoice"]["reason"]
        assert {a["serviceCode"] for a in s["carrierChoice"]["alternatives"]} >= {
            net.economy.code}
        assert s["recipient"] == {"name": "李四", "region": net.destination}
    assert east["charge"]["amount"] == "30.00"  # 20 + 5 x 2 kg, billed
    assert south["charge"]["amount"] == "27.50"  # 20 + 5 x 1.5 kg
    after_ship = await _order(api, manager.token, oid)
    assert after_ship["shippingTotal"]["amount"] == "57.50"
    assert Decimal(after_ship["total"]["amount"]) == total + Decimal("57.50")
    assert after_ship["paymentStatus"] == "PARTIALLY_PAID"  # shipping is still due

    # the east warehouse packs and dispatches its parcel: stock leaves once
    await f.ok(api, f.PACK, {"id": east["id"], "p": [{"weightKg": "2.2", "lengthCm": "30",
                                                      "widthCm": "20", "heightCm": "10"}]},
               east_clerk.token, "shipmentPack")
    sent = await f.ok(api, f.DISPATCH, {"id": east["id"]}, east_clerk.token,
                      "shipmentDispatch")
    assert sent["shipment"]["status"] == "PICKED_UP"
    assert _levels(kit, net) == ((18, 0), (20, 3))
    assert (await _order(api, manager.token, oid))["status"] == "PARTIALLY_SHIPPED"
    # the east clerk cannot touch the south parcel: it answers like a missing one
    foreign = (await api.ok(f.DISPATCH, {"id": south["id"]}, east_clerk.token))
    assert foreign["shipmentDispatch"]["userErrors"][0]["code"] == "NOT_FOUND"

    # the carrier reports by signed webhook: the south pickup dispatches that parcel
    secret = (await f.ok(api, ROTATE, {"id": gid("Carrier", net.carrier.id)}, logistics.token,
                         "carrierWebhookSecretRotate"))["webhookSecret"]
    now = datetime.now(UTC) - timedelta(minutes=30)
    results = await _post(api, net.carrier, secret, [
        {"eventId": "E1", "trackingNumber": south["trackingNumber"], "status": "PICKED_UP",
         "occurredAt": now.isoformat(), "location": "广州"},
        {"eventId": "E2", "trackingNumber": east["trackingNumber"], "status": "IN_TRANSIT",
         "occurredAt": (now + timedelta(minutes=5)).isoformat(), "location": "上海"},
    ])
    assert [r["result"] for r in results] == ["ACCEPTED", "ACCEPTED"]
    assert _levels(kit, net) == ((18, 0), (17, 0))
    assert (await _order(api, manager.token, oid))["status"] == "SHIPPED"
    factory.plan_notifications()
    shipped = [n for n in notifications(factory, customer_id=customer.id)
               if n.template == "order_shipped"]
    assert {n.source_key for n in shipped if n.channel == "IN_APP"} == {
        f"shipment_id={pk(s['id'])}" for s in made}

    # the customer follows its parcel but sees no cost
    view = await api.gql(f.CUSTOMER_VIEW, {"id": south["id"]}, buyer.token)
    assert view["data"]["shipment"]["trackingNumber"] == south["trackingNumber"]
    assert view["data"]["shipment"]["cost"] is None
    assert view["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # delivered: both parcels -> the order is DELIVERED
    results = await _post(api, net.carrier, secret, [
        {"eventId": "E3", "trackingNumber": s["trackingNumber"], "status": "DELIVERED",
         "occurredAt": (now + timedelta(minutes=20)).isoformat(), "signer": "李四"}
        for s in (east, south)])
    assert [r["result"] for r in results] == ["ACCEPTED", "DUPLICATE"]  # same event id
    results = await _post(api, net.carrier, secret, [
        {"eventId": "E4", "trackingNumber": south["trackingNumber"], "status": "DELIVERED",
         "occurredAt": (now + timedelta(minutes=21)).isoformat(), "signer": "李四"}])
    assert [r["result"] for r in results] == ["ACCEPTED"]
    delivered = await _order(api, manager.token, oid)
    assert delivered["status"] == "DELIVERED"
    assert {s["status"] for s in delivered["shipments"]} == {"DELIVERED"}

    # the customer accepts with a rating: the shipments are accepted too
    accepted = await kit.ok_step("orderConfirmDelivery", oid, buyer.token, rating=5)
    assert accepted["status"] == "DELIVERED"
    final = await _order(api, buyer.token, oid)
    assert final["rating"] == 5 and all(s["acceptedAt"] for s in final["shipments"])

    # one cup comes back: return request -> approve -> receive -> refund
    line = next(ln for ln in south["lines"])["orderLine"]["id"]
    ret = (await api.ok(RETURN, {"i": {"orderId": oid, "type": "RETURN", "reason": "杯子有裂纹",
                                       "lines": [{"orderLineId": line, "quantity": 1}]}},
                        buyer.token))["returnRequestCreate"]["returnRequest"]
    rid = ret["id"]
    for name in ("returnRequestApprove",):
        step = await api.ok(RETURN_STEP.replace("NAME", name), {"id": rid}, manager.token)
        assert step[name]["userErrors"] == []
    got = await api.ok(RECEIVE, {"i": {"id": rid, "warehouseId": f.warehouse_gid(net.south),
                                       "lines": [{"orderLineId": line, "restock": 1}]}},
                       factory.user("WAREHOUSE", warehouses=[net.south.code]).token)
    assert got["returnRequestReceive"]["userErrors"] == []
    assert kit.levels(net.cup)[net.south.id].on_hand == 18  # restocked through the ledger
    refunded = await api.ok(RETURN_STEP.replace("NAME", "returnRequestRefund"), {"id": rid},
                            factory.user("FINANCE").token)
    assert refunded["returnRequestRefund"]["userErrors"] == []
    assert refunded["returnRequestRefund"]["returnRequest"]["status"] == "REFUNDED"
    for product in (net.tea, net.cup):
        kit.assert_ledger_consistent(product)
