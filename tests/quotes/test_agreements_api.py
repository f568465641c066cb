"""CRM sales issue item 5: customers' price agreements in order pricing and the review's
price check, freight agreements in the shipping charge, and who may set them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.orders.support import gid
from tests.quotes.support import Quotes, codes, today
from tests.shipping.quote_support import QUOTES, quote_world

PRICE_SET = """mutation($i: PriceAgreementSetInput!) { priceAgreementSet(input: $i) {
  priceAgreement { id price { amount } validFrom validUntil customerId productId }
  userErrors { field message code } } }"""
FREIGHT_SET = """mutation($i: FreightAgreementSetInput!) { freightAgreementSet(input: $i) {
  freightAgreement { freeShippingThreshold { amount } flatFee { amount } validFrom }
  userErrors { field message code } } }"""
AGREEMENTS = """query($f: PriceAgreementFilter) { priceAgreements(first: 20, filter: $f) {
  totalCount nodes { id price { amount } product { sku } } } }"""


def _day(n: int) -> str:
    return (today() + timedelta(days=n)).isoformat()


async def _agree(kit, token, customer, product, price, **more):  # noqa: ANN001, ANN202
    payload = (await kit.api.ok(PRICE_SET, {"i": {
        "customerId": gid("Customer", customer.id), "productId": gid("Product", product.id),
        "price": price, "validFrom": _day(-10), **more}}, token))["priceAgreementSet"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["priceAgreement"]


async def test_orders_are_priced_and_reviewed_at_the_agreed_price(kit, factory):
    rep, finance = factory.user("SALES"), factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id, discount_rate=Decimal("0.05"))
    other = kit.customer(owner_id=rep.id)
    wh = kit.warehouse()
    tea, cup = kit.product("100.00"), kit.product("30.00")
    kit.stock(tea, wh, 20)
    kit.stock(cup, wh, 20)
    # a rep does not set prices
    body = await kit.api.gql(PRICE_SET, {"i": {
        "customerId": gid("Customer", customer.id), "productId": gid("Product", tea.id),
        "price": "80", "validFrom": _day(0)}}, rep.token)
    assert codes(body) == ["FORBIDDEN"]
    agreed = await _agree(kit, finance.token, customer, tea, "80.00", note="年度协议")
    again = await _agree(kit, finance.token, customer, tea, "82.00")  # replaces it
    assert again["id"] == agreed["id"] and again["price"] == {"amount": "82.00"}
    listed = (await kit.api.ok(AGREEMENTS, {"f": {"customerId": gid("Customer", customer.id)}},
                               rep.token))["priceAgreements"]
    assert listed["totalCount"] == 1 and listed["nodes"][0]["product"]["sku"] == tea.sku

    # intake: the agreed price, net (the customer's 5% applies to the other line only)
    order = await kit.order(rep.token, customer, [(tea, 2), (cup, 1)], submit=True)
    lines = {ln["sku"]: ln for ln in order["lines"]}
    assert (lines[tea.sku]["unitPrice"]["amount"], lines[tea.sku]["discountRate"]) == (
        "82.00", "0.00")
    assert (lines[cup.sku]["unitPrice"]["amount"], lines[cup.sku]["discountRate"]) == (
        "30.00", "0.05")
    assert (await kit.order(rep.token, other, [(tea, 1)]))["lines"][0]["unitPrice"] == {
        "amount": "100.00"}
    # the review accepts the agreed price while the agreement is valid
    stale = await kit.order(rep.token, customer, [(tea, 1)], submit=True)
    approved = await kit.ok_step("orderApprove", order["id"], finance.token)
    assert approved["status"] == "CONFIRMED"
    # and refuses it once the agreement has ended
    await _agree(kit, finance.token, customer, tea, "82.00", validUntil=_day(-1))
    refused = await kit.step("orderApprove", stale["id"], finance.token)
    assert [e["code"] for e in refused["userErrors"]] == ["PRICE_MISMATCH"]
    assert "catalog price" in refused["userErrors"][0]["message"]
    fresh = await kit.order(rep.token, customer, [(tea, 1)])
    assert fresh["lines"][0]["unitPrice"]["amount"] == "100.00"


async def test_a_quote_is_priced_from_the_agreement_and_its_discount_measured_from_it(
        kit, factory):
    rep, finance = factory.user("SALES"), factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id)
    tea = kit.product("100.00")
    await _agree(kit, finance.token, customer, tea, "80.00")
    q = Quotes(kit)
    quote = await q.new(rep.token, customer, [(tea, 1, {"discountRate": "0.05"})])
    line = quote["lines"][0]
    assert (line["unitPrice"]["amount"], line["referencePrice"]["amount"]) == ("80.00", "80.00")
    assert quote["maxDiscount"] == "0.0500"  # against the agreed 80, not the catalog's 100
    assert (await q.ok("quoteSubmit", quote["id"], rep.token))["status"] == "APPROVED"


async def test_the_freight_agreement_sets_the_shipping_charge(api, kit, factory):
    finance = factory.user("FINANCE")
    admin = factory.user("ADMIN")
    customer = kit.customer(free_shipping_threshold=Decimal("150.00"))

    async def freight(**terms):  # noqa: ANN003, ANN202
        payload = (await api.ok(FREIGHT_SET, {"i": {
            "customerId": gid("Customer", customer.id), "validFrom": _day(0), **terms}},
            finance.token))["freightAgreementSet"]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload["freightAgreement"]

    # goods 200.00 (quote_world): a flat fee below a 500.00 threshold
    await freight(freeShippingThreshold="500", flatFee="12")
    w = await quote_world(kit, customer=customer)
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    assert got["customerCharge"] == {"amount": "12.00", "currency": "CNY"}
    assert "flat shipping fee" in got["customerChargeReason"]
    # reaching the agreement's threshold: free
    await freight(freeShippingThreshold="200", flatFee="12")
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    assert got["customerCharge"]["amount"] == "0.00"
    assert "reaches the agreed 200" in got["customerChargeReason"]
    # no threshold, no fee: the carrier's price, although the customer's own threshold
    # (150) would have made it free
    await freight()
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    assert got["customerCharge"]["amount"] == got["recommended"]["price"]["amount"] != "0.00"
    # an agreement not valid yet on the hand-over day leaves the customer's own threshold
    await freight(flatFee="12", validFrom="2031-01-01")
    got = (await api.ok(QUOTES, w.variables(), admin.token))["shippingQuotes"]
    assert got["customerCharge"]["amount"] == "0.00"
    assert "reaches the agreed 150" in got["customerChargeReason"]
    read = (await api.ok("""query($c: ID!) { freightAgreement(customerId: $c) {
        flatFee { amount } validFrom } }""", {"c": gid("Customer", customer.id)},
                         admin.token))["freightAgreement"]
    assert read == {"flatFee": {"amount": "12.00"}, "validFrom": "2031-01-01"}
