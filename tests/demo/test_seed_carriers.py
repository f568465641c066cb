"""The demo's carriers, services and rate cards, parcel sizes and shipping agreements, its
shipments' services, costs, charges, cash on delivery and recipients, and a dispatcher
quoting a demo order through the API."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlmodel import select

from app.catalog.models import Product
from app.customers.models import Customer
from app.demo.catalog_data import DEMO_PASSWORD
from app.orders.models import Order
from app.shipping.models import Carrier, CarrierRateRule, CarrierService, Shipment
from tests.demo.conftest import NOW

QUOTES = """query($o: ID!, $w: ID!, $at: DateTime) {
  shippingQuotes(orderId: $o, warehouseId: $w, readyAt: $at) {
  originRegion destinationRegion quotes { carrier { code } service { code level } eligible
  canCarry price { amount } reasons { code } } recommended { service { code } }
  recommendation } }"""
CONFIRMED = """{ orders(first: 20, filter: {status: [CONFIRMED, SCHEDULED]}) { nodes { id
  allocations { warehouse { id } } } } }"""


def _read(demo, fn):  # noqa: ANN001, ANN202
    return demo.runner.read_sync(fn, (), {})


def test_carriers_have_services_and_rate_cards(demo):
    def facts(s):  # noqa: ANN001, ANN202
        carriers = {c.id: c for c in s.exec(select(Carrier))}
        services = list(s.exec(select(CarrierService)))
        rules = list(s.exec(select(CarrierRateRule)))
        return carriers, services, rules

    carriers, services, rules = _read(demo, facts)
    by_code = {c.code: c for c in carriers.values()}
    assert {"SF", "JD", "ZTO", "EMS", "DEPPON", "SFCC"} <= set(by_code)
    levels = {s.level for s in services if carriers[s.carrier_id].is_active}
    assert levels == {"EXPRESS", "STANDARD", "ECONOMY", "FREIGHT", "COLD_CHAIN"}
    cold = [s for s in services if s.carrier_id == by_code["SFCC"].id]
    assert cold and all(s.cold_chain for s in cold)
    assert demo.result.counts["carrier_services"] == len(services)
    lanes = {(r.service_id, r.origin_region, r.destination_region) for r in rules}
    for s in services:  # one rule per same-region lane and a wildcard for the others
        assert {(o, d) for sid, o, d in lanes if sid == s.id} == {
            ("East", "East"), ("North", "North"), ("South", "South"), ("*", "*")}


def test_products_have_parcel_sizes_and_customers_agreements(demo):
    products = _read(demo, lambda s: list(s.exec(select(Product))))
    assert all(p.length_cm > 0 and p.width_cm > 0 and p.height_cm > 0 for p in products)
    assert [p.name for p in products if p.cold_chain] == ["西湖龙井 茶叶 明前特级 250g"]
    customers = _read(demo, lambda s: list(s.exec(select(Customer))))
    free = {c.tier: c.free_shipping_threshold for c in customers}
    assert free["PLATINUM"] == 0 and free["STANDARD"] is None and free["GOLD"] == 500


def test_shipments_have_service_cost_charge_cod_and_recipient(demo):
    def facts(s):  # noqa: ANN001, ANN202
        return ({o.id: o for o in s.exec(select(Order))}, list(s.exec(select(Shipment))),
                {x.id: x for x in s.exec(select(CarrierService))},
                set(s.exec(select(CarrierRateRule.service_id))))

    orders, shipments, services, rated = _read(demo, facts)
    by_order = defaultdict(list)
    for sh in shipments:
        by_order[sh.order_id].append(sh)
        o = orders[sh.order_id]
        assert services[sh.service_id].carrier_id == sh.carrier_id and sh.service_id in rated
        assert sh.cost > 0 and sh.billable_weight_kg > 0
        chosen = sh.carrier_choice["chosen"]  # why this service, with real ids
        assert (chosen["serviceId"], chosen["carrierId"]) == (sh.service_id, sh.carrier_id)
        assert sh.carrier_choice["reason"] and all(
            a["serviceId"] in services for a in sh.carrier_choice["alternatives"])
        assert sh.promised_date == o.promised_date
        assert (sh.recipient_name, sh.recipient_phone, sh.recipient_address,
                sh.recipient_region) == (o.ship_recipient, o.ship_phone, o.ship_address,
                                         o.ship_region)
        if sh.status == "CREATED":
            assert sh.packed_at is None and sh.shipped_at is None
        else:
            assert sh.created_at <= sh.packed_at <= sh.shipped_at
        cod = o.payment_method == "CASH_ON_DELIVERY"
        assert (sh.cod_amount > 0) == cod
        collected = cod and sh.status == "DELIVERED"
        assert (sh.cod_collected, sh.cod_collected_at) == (
            (sh.cod_amount, sh.delivered_at) if collected else (None, None))
    assert len({sh.service_id for sh in shipments}) >= 6
    assert any(sh.cod_collected for sh in shipments)
    for order_id, parcels in by_order.items():  # the parcels' charges are the order's
        o = orders[order_id]
        assert sum((sh.charge for sh in parcels), Decimal(0)) == o.shipping_total
        if o.payment_method == "CASH_ON_DELIVERY" and o.status in ("SHIPPED", "DELIVERED",
                                                                   "COMPLETED"):
            assert sum((sh.cod_amount for sh in parcels), Decimal(0)) == o.total


async def _gql(client, query, variables=None, token=None):  # noqa: ANN001, ANN202
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body = (await client.post("/graphql", json={"query": query, "variables": variables or {}},
                              headers=headers)).json()
    assert not body.get("errors"), body
    return body["data"]


async def test_a_dispatcher_quotes_a_demo_order(demo_api):
    login = await _gql(demo_api, """mutation($p: String!) { login(email:
      "logistics@demo.local", password: $p) { accessToken } }""", {"p": DEMO_PASSWORD})
    token = login["login"]["accessToken"]
    orders = (await _gql(demo_api, CONFIRMED, token=token))["orders"]["nodes"]
    order = next(o for o in orders if o["allocations"])
    # at the demo's "now" (the tests seed it for a fixed day, not the real one)
    variables = {"o": order["id"], "w": order["allocations"][0]["warehouse"]["id"],
                 "at": NOW.isoformat()}
    got = (await _gql(demo_api, QUOTES, variables, token))["shippingQuotes"]
    carriers = {q["carrier"]["code"] for q in got["quotes"]}
    assert "YTO" not in carriers and {"SF", "JD", "ZTO", "EMS", "DEPPON", "SFCC"} <= carriers
    assert got["recommended"] is not None and got["recommendation"]
    assert any(q["eligible"] for q in got["quotes"]), got
