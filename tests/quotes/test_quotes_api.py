"""CRM sales issue item 5: quotes through the API, their approval levels, the customer's
self-service, expiry, conversion to an order and the sales rep's row scope."""

from __future__ import annotations

from datetime import timedelta

from app.audit.models import AuditRecord
from app.quotes.expiry import expire_quotes
from tests.orders.support import gid
from tests.quotes.support import GET, LIST, Quotes, actions, codes, step_query, today


def _audits(kit, quote_pk: int) -> list[str]:  # noqa: ANN001
    from sqlmodel import select
    rows = kit.read(lambda s: list(s.exec(select(AuditRecord.action).where(
        AuditRecord.entity_type == "Quote", AuditRecord.entity_id == quote_pk)
        .order_by(AuditRecord.id))))
    return list(rows)


def _pk(global_id: str) -> int:
    from tests.orders.support import pk
    return pk(global_id)


async def test_discounts_go_to_the_approver_their_size_needs(kit, factory):
    q = Quotes(kit)
    rep, manager, finance = factory.user("SALES"), factory.user("MANAGER"), factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id)
    tea = kit.product("100.00")

    # within the rep's limit (0.10): approved on submit
    small = await q.new(rep.token, customer, [(tea, 2, {"discountRate": "0.05"})])
    assert (small["status"], small["total"]["amount"]) == ("DRAFT", "190.00")
    assert small["number"].startswith("Q-") and small["maxDiscount"] == "0.0500"
    small = await q.ok("quoteSubmit", small["id"], rep.token)
    assert (small["status"], small["approvalLevel"]) == ("APPROVED", "NONE")

    # above it, up to the finance threshold (0.25): a MANAGER. A price under the
    # catalog's counts as a discount too: 85 of 100 is 0.15
    mid = await q.new(rep.token, customer, [(tea, 1, {"unitPrice": "85.00"})])
    mid = await q.ok("quoteSubmit", mid["id"], rep.token)
    assert (mid["status"], mid["approvalLevel"], mid["maxDiscount"]) == (
        "PENDING_APPROVAL", "MANAGER", "0.1500")
    body = await kit.api.gql(step_query("quoteApprove"), {"id": mid["id"]}, rep.token)
    assert codes(body) == ["FORBIDDEN"]  # a rep never approves
    mid = await q.ok("quoteApprove", mid["id"], manager.token, note="大客户，同意")
    assert (mid["status"], mid["approvalNote"]) == ("APPROVED", "大客户，同意")

    # above the finance threshold: FINANCE; a MANAGER is refused, and told why
    big = await q.new(rep.token, customer, [(tea, 1, {"discountRate": "0.30"})])
    big = await q.ok("quoteSubmit", big["id"], rep.token)
    assert (big["status"], big["approvalLevel"]) == ("PENDING_APPROVAL", "FINANCE")
    seen = (await kit.api.ok(GET, {"id": big["id"]}, manager.token))["quote"]
    enabled, reason = actions(seen)["APPROVE"]
    assert not enabled and "FINANCE must approve" in reason
    refused = await q.step("quoteApprove", big["id"], manager.token)
    assert refused["quote"] is None and refused["userErrors"][0]["code"] == "FORBIDDEN"
    refused = await q.step("quoteReject", big["id"], manager.token, note="no")
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    # FINANCE sends it back with a note, the rep revises, FINANCE approves
    back = await q.ok("quoteReject", big["id"], finance.token, note="折扣过高 / too deep")
    assert (back["status"], back["approvalNote"]) == ("DRAFT", "折扣过高 / too deep")
    revised = (await kit.api.ok(
        """mutation($i: QuoteUpdateInput!) { quoteUpdate(input: $i) {
             quote { status maxDiscount version } userErrors { code } } }""",
        {"i": {"id": big["id"], "lines": [{"productId": gid("Product", tea.id), "quantity": 1,
                                           "discountRate": "0.28"}],
               "expectedVersion": back["version"]}}, rep.token))["quoteUpdate"]
    assert revised["userErrors"] == [] and revised["quote"]["maxDiscount"] == "0.2800"
    big = await q.ok("quoteSubmit", big["id"], rep.token)
    big = await q.ok("quoteApprove", big["id"], finance.token)
    assert big["status"] == "APPROVED"
    # every step audited, the manager's refused attempts too (outcome DENIED)
    assert _audits(kit, _pk(big["id"])) == [
        "quote.created", "quote.submitted", "Mutation.quoteApprove", "Mutation.quoteReject",
        "quote.rejected", "quote.updated", "quote.submitted", "quote.approved"]
    # steps out of order name the state
    again = await q.step("quoteApprove", big["id"], finance.token)
    assert again["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "state APPROVED" in again["userErrors"][0]["message"]


async def test_the_customer_sees_only_sent_quotes_and_answers_them(kit, factory):
    q = Quotes(kit)
    rep, manager = factory.user("SALES"), factory.user("MANAGER")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    stranger = factory.user("CUSTOMER", customer_id=kit.customer().id)
    tea = kit.product("100.00")
    draft = await q.new(rep.token, customer, [(tea, 1, {})])
    pending = await q.new(rep.token, customer, [(tea, 1, {"discountRate": "0.20"})])
    await q.ok("quoteSubmit", pending["id"], rep.token)
    approved = await q.new(rep.token, customer, [(tea, 1, {})])
    await q.ok("quoteSubmit", approved["id"], rep.token)
    for hidden in (draft, pending, approved):
        got = await kit.api.ok(GET, {"id": hidden["id"]}, buyer.token)
        assert got == {"quote": None, "node": None}
    mine = (await kit.api.ok(LIST, {}, buyer.token))["quotes"]
    assert mine["totalCount"] == 0

    offer = await q.sent(rep.token, manager.token, customer, [(tea, 3, {"discountRate": "0.15"})])
    declined = await q.sent(rep.token, manager.token, customer, [(tea, 1, {})])
    mine = (await kit.api.ok(LIST, {}, buyer.token))["quotes"]
    assert {e["node"]["id"] for e in mine["edges"]} == {offer["id"], declined["id"]}
    seen = mine["edges"][0]["node"]
    assert set(actions(seen)) == {"ACCEPT", "DECLINE"} and actions(seen)["ACCEPT"][0]
    # internal approval fields are not the customer's
    body = await kit.api.gql(GET.replace("...Q }", "...Q approvalNote maxDiscount }"),
                             {"id": offer["id"]}, buyer.token)
    assert set(codes(body)) == {"FORBIDDEN"} and body["data"]["quote"]["id"] == offer["id"]
    # nor may it filter by them
    body = await kit.api.gql(LIST, {"f": {"approvalLevel": ["MANAGER"]}}, buyer.token)
    assert codes(body) == ["FORBIDDEN"] and body["data"] is None
    # another customer's quote answers like a missing one
    assert (await kit.api.ok(GET, {"id": offer["id"]}, stranger.token))["quote"] is None
    foreign = await q.step("quoteAccept", offer["id"], stranger.token, staff=False)
    assert foreign["userErrors"][0]["code"] == "NOT_FOUND"
    # and a customer cannot send or approve
    body = await kit.api.gql(step_query("quoteSend", False), {"id": offer["id"]}, buyer.token)
    assert codes(body) == ["FORBIDDEN"]

    accepted = await q.ok("quoteAccept", offer["id"], buyer.token, staff=False)
    assert accepted["status"] == "ACCEPTED" and accepted["decidedAt"]
    rejected = await q.ok("quoteDecline", declined["id"], buyer.token, staff=False,
                          reason="价格太高")
    assert (rejected["status"], rejected["declineReason"]) == ("REJECTED", "价格太高")
    twice = await q.step("quoteAccept", declined["id"], buyer.token, staff=False)
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_quotes_past_their_validity_expire(kit, factory):
    q = Quotes(kit)
    rep, manager = factory.user("SALES"), factory.user("MANAGER")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    tea = kit.product("100.00")
    sent = await q.sent(rep.token, manager.token, customer, [(tea, 1, {})], valid_days=0)
    draft = await q.new(rep.token, customer, [(tea, 1, {})], valid_days=0)
    later = await q.sent(rep.token, manager.token, customer, [(tea, 1, {})], valid_days=5)
    # the pass on the day after: both of today's quotes, not the later one
    result = factory.write(expire_quotes, today() + timedelta(days=1))
    assert {_pk(sent["id"]), _pk(draft["id"])} <= set(result.expired)
    assert _pk(later["id"]) not in result.expired
    assert factory.write(expire_quotes, today() + timedelta(days=1)).expired == []
    got = (await kit.api.ok(GET, {"id": sent["id"]}, buyer.token))["quote"]
    assert got["status"] == "EXPIRED" and not actions(got)["ACCEPT"][0]
    # an expired draft was never sent: still not the customer's to see
    assert (await kit.api.ok(GET, {"id": draft["id"]}, buyer.token))["quote"] is None
    late = await q.step("quoteAccept", sent["id"], buyer.token, staff=False)
    assert late["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert _audits(kit, _pk(sent["id"]))[-1] == "quote.expired"


async def test_an_accepted_quote_becomes_an_order_at_its_prices(kit, factory):
    q = Quotes(kit)
    rep, manager = factory.user("SALES"), factory.user("MANAGER")
    finance = factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id)
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    wh = kit.warehouse()
    tea, cup = kit.product("100.00"), kit.product("30.00")
    kit.stock(tea, wh, 20)
    kit.stock(cup, wh, 20)
    quote = await q.sent(rep.token, manager.token, customer,
                         [(tea, 4, {"unitPrice": "90.00", "discountRate": "0.10"}),
                          (cup, 2, {})])
    early = await q.step("quoteConvertToOrder", quote["id"], rep.token)
    assert early["userErrors"][0]["code"] == "INVALID_TRANSITION"
    await q.ok("quoteAccept", quote["id"], buyer.token, staff=False)
    done = await q.ok("quoteConvertToOrder", quote["id"], rep.token)
    assert done["order"]["status"] == "PENDING_REVIEW"
    order = await kit.ok_step("orderApprove", done["order"]["id"], finance.token)
    lines = {ln["sku"]: ln for ln in order["lines"]}
    assert (lines[tea.sku]["unitPrice"]["amount"], lines[tea.sku]["discountRate"],
            lines[tea.sku]["lineTotal"]["amount"]) == ("90.00", "0.10", "324.00")
    assert lines[cup.sku]["unitPrice"]["amount"] == "30.00"
    assert order["status"] == "CONFIRMED" and order["total"]["amount"] == "384.00"
    twice = await q.step("quoteConvertToOrder", quote["id"], rep.token)
    assert twice["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "already converted" in twice["userErrors"][0]["message"]
    # the same price typed into an ordinary order is still not the catalog's
    plain = await kit.order(rep.token, customer, [(tea, 1)], submit=True)
    assert plain["lines"][0]["unitPrice"]["amount"] == "100.00"


async def test_a_sales_rep_never_sees_another_reps_quotes(kit, factory):
    q = Quotes(kit)
    mine, other = factory.user("SALES"), factory.user("SALES")
    analyst = factory.user("ANALYST")
    customer = kit.customer(owner_id=mine.id)
    tea = kit.product("100.00")
    quote = await q.new(mine.token, customer, [(tea, 1, {})])
    customer_filter = {"f": {"customerId": gid("Customer", customer.id)}}
    for token, visible in ((mine.token, True), (other.token, False), (analyst.token, True)):
        got = await kit.api.ok(GET, {"id": quote["id"]}, token)
        assert (got["quote"] is not None, got["node"] is not None) == (visible, visible)
        listed = (await kit.api.ok(LIST, {}, token))["quotes"]
        assert (quote["id"] in {e["node"]["id"] for e in listed["edges"]}) is visible
        history = (await kit.api.ok(LIST, customer_filter, token))["quotes"]
        assert history["totalCount"] == (1 if visible else 0)
    for name in ("quoteSubmit", "quoteSend", "quoteConvertToOrder"):
        refused = await q.step(name, quote["id"], other.token)
        assert refused["userErrors"][0]["code"] == "NOT_FOUND", name
    create = await q.create(other.token, customer, [(tea, 1, {})])
    assert create["userErrors"][0]["code"] == "NOT_FOUND"
    body = await kit.api.gql(step_query("quoteSubmit"), {"id": quote["id"]}, analyst.token)
    assert codes(body) == ["FORBIDDEN"]  # analysts read
