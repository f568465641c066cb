"""Issue 3 item 4: paymentRecord / paymentRefund through the API, the derived payment
status, and the outstanding balance shared with the approval credit check."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from app.audit.models import AuditRecord
from app.orders.repository import balances
from app.payments.models import Payment
from tests.orders.support import gid, pk
from tests.returns.support import RECORD, REFUND, codes, count, fetch_order, pay, refund, ship

BALANCE = """query($id: ID!) { node(id: $id) { ... on Customer { outstandingBalance { amount }
  creditLimit { amount } } } }"""


async def test_payments_move_the_status_and_write_history(kit, factory):
    rep, finance = factory.user("SALES"), factory.user("FINANCE")
    customer = kit.customer(owner_id=rep.id)
    tea = kit.product("100.00")
    order = await kit.order(rep.token, customer, [(tea, 3)], submit=True)
    assert order["paymentStatus"] == "UNPAID"

    first = await pay(kit, finance.token, order, "100", "PREPAID", reference="支付宝 2024-001")
    assert first["userErrors"] == []
    assert first["payment"]["kind"] == "PAYMENT" and first["payment"]["amount"] == {
        "amount": "100.00", "currency": "CNY"}
    assert first["order"]["paymentStatus"] == "PARTIALLY_PAID"
    assert first["order"]["balanceDue"] == {"amount": "200.00"}
    second = await pay(kit, finance.token, order, "200.00")
    assert second["order"]["paymentStatus"] == "PAID"
    assert second["order"]["paidTotal"] == {"amount": "300.00"}
    assert second["order"]["balanceDue"] == {"amount": "0.00"}
    assert second["order"]["version"] > first["order"]["version"]

    more = await pay(kit, finance.token, order, "0.01")
    assert codes(more) == ["INVALID"] and more["userErrors"][0]["field"] == ["amount"]

    seen = await fetch_order(kit, rep.token, order["id"])
    assert [(p["kind"], p["method"], p["amount"]["amount"]) for p in seen["payments"]] == [
        ("PAYMENT", "PREPAID", "100.00"), ("PAYMENT", "BANK_TRANSFER", "200.00")]
    assert seen["payments"][0]["reference"] == "支付宝 2024-001"
    assert seen["payments"][0]["recordedBy"] == {"id": finance.gid}
    types = [e["type"] for e in kit.outbox("order.event", pk(order["id"]))]
    assert types.count("PAYMENT_RECORDED") == 2
    payment_ids = [pk(p["id"]) for p in seen["payments"]]
    assert count(kit, AuditRecord, AuditRecord.entity_type == "Payment",
                 AuditRecord.entity_id.in_(payment_ids)) == 2


async def test_bad_payments_are_refused_and_write_nothing(kit, factory):
    finance = factory.user("FINANCE")
    customer = kit.customer()
    tea = kit.product("80.00")
    admin = factory.user("ADMIN")
    draft = await kit.order(admin.token, customer, [(tea, 1)])
    submitted = await kit.order(admin.token, customer, [(tea, 2)], submit=True)
    cases = [
        ({"amount": "-5"}, "INVALID", ["amount"]),
        ({"amount": "0"}, "INVALID", ["amount"]),
        ({"amount": "1.005"}, "INVALID", ["amount"]),
        ({"amount": "NaN"}, "INVALID", ["amount"]),
        ({"currency": "USD"}, "INVALID", ["currency"]),
        ({"method": "CASH_ON_DELIVERY"}, "INVALID", ["method"]),
        ({"method": "CREDIT_TERMS"}, "INVALID", ["method"]),
        ({"orderId": "T3JkZXI6OTk5OTk5OQ"}, "NOT_FOUND", ["orderId"]),
        ({"orderId": "not-an-id"}, "NOT_FOUND", ["orderId"]),
        ({"idempotencyKey": ""}, "INVALID", ["idempotencyKey"]),
    ]
    for change, code, field in cases:
        inp = {"orderId": submitted["id"], "amount": "10", "currency": "CNY",
               "method": "PREPAID", **change}
        payload = (await kit.api.ok(RECORD, {"input": inp}, finance.token))["paymentRecord"]
        assert (codes(payload), payload["userErrors"][0]["field"]) == ([code], field), change
    on_draft = await pay(kit, finance.token, draft, "10", "PREPAID")
    assert codes(on_draft) == ["INVALID_TRANSITION"] and "DRAFT" in on_draft["userErrors"][0][
        "message"]
    garbage = await kit.api.gql(RECORD, {"input": {
        "orderId": submitted["id"], "amount": "abc", "currency": "CNY", "method": "PREPAID"}},
        finance.token)
    assert garbage["errors"] and not garbage.get("data")
    assert count(kit, Payment, Payment.order_id.in_([pk(draft["id"]), pk(submitted["id"])])) \
        == 0


async def test_cash_on_delivery_is_recorded_when_collected(kit, factory):
    admin, finance = factory.user("ADMIN"), factory.user("FINANCE")
    customer = kit.customer(payment_terms="CASH_ON_DELIVERY")
    tea = kit.product("66.00")
    wh = kit.warehouse()
    kit.stock(tea, wh, 5)
    order = await kit.order(admin.token, customer, [(tea, 2)])
    assert order["paymentMethod"] == "CASH_ON_DELIVERY"
    for name in ("orderSubmit", "orderApprove", "orderSchedule"):
        order = await kit.ok_step(name, order["id"], admin.token)
    early = await pay(kit, finance.token, order, "132", "CASH_ON_DELIVERY")
    assert codes(early) == ["INVALID"] and "collected" in early["userErrors"][0]["message"]
    ship(kit, order)
    collected = await pay(kit, finance.token, order, "132.00", "CASH_ON_DELIVERY")
    assert collected["userErrors"] == [] and collected["order"]["paymentStatus"] == "PAID"
    prepaid_late = await pay(kit, finance.token, order, "1", "PREPAID")
    assert codes(prepaid_late) == ["INVALID"]


async def test_refunds_are_finance_only_and_capped_at_net_paid(kit, factory):
    admin, finance = factory.user("ADMIN"), factory.user("FINANCE")
    customer = kit.customer()
    tea = kit.product("50.00")
    order = await kit.order(admin.token, customer, [(tea, 2)], submit=True)
    await pay(kit, finance.token, order, "100", "PREPAID")
    for role in ("SALES", "MANAGER", "ADMIN", "CUSTOMER_SERVICE"):
        body = await kit.api.gql(REFUND, {"input": {
            "orderId": order["id"], "amount": "10", "currency": "CNY", "reason": "x"}},
            factory.user(role).token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", role
        assert body["data"] is None
    assert count(kit, Payment, Payment.order_id == pk(order["id"]),
                 Payment.kind == "REFUND") == 0

    too_much = await refund(kit, finance.token, order, "100.01")
    assert codes(too_much) == ["INVALID"]
    no_reason = await refund(kit, finance.token, order, "10", reason=" ")
    assert no_reason["userErrors"][0]["field"] == ["reason"]
    part = await refund(kit, finance.token, order, "30")
    assert part["payment"]["method"] == "PREPAID"  # how the customer paid
    assert part["order"]["paymentStatus"] == "PARTIALLY_PAID"
    assert part["order"]["refundedTotal"] == {"amount": "30.00"}
    cancelled = await kit.ok_step("orderCancel", order["id"], admin.token, reason="不要了")
    assert cancelled["status"] == "CANCELLED"
    rest = await refund(kit, finance.token, order, "70", method="BANK_TRANSFER")
    assert rest["order"]["paymentStatus"] == "REFUNDED"
    assert codes(await refund(kit, finance.token, order, "0.01")) == ["INVALID"]
    history = [e["type"] for e in kit.outbox("order.event", pk(order["id"]))]
    assert history.count("PAYMENT_REFUNDED") == 2


async def test_idempotent_payments_replay_and_are_scoped_per_user(kit, factory):
    finance, other = factory.user("FINANCE"), factory.user("FINANCE")
    order = await kit.order(factory.user("ADMIN").token, kit.customer(),
                            [(kit.product("10.00"), 9)], submit=True)
    key = "pay-重试-1"
    first = await pay(kit, finance.token, order, "20", "PREPAID", idempotencyKey=key)
    again = await pay(kit, finance.token, order, "20.00", "PREPAID", idempotencyKey=key)
    assert again["userErrors"] == [] and again["payment"]["id"] == first["payment"]["id"]
    assert again["order"]["paidTotal"] == {"amount": "20.00"}
    assert count(kit, Payment, Payment.order_id == pk(order["id"])) == 1
    changed = await pay(kit, finance.token, order, "21", "PREPAID", idempotencyKey=key)
    assert codes(changed) == ["IDEMPOTENCY_KEY_REUSED"] and changed["payment"] is None
    theirs = await pay(kit, other.token, order, "20", "PREPAID", idempotencyKey=key)
    assert theirs["userErrors"] == [] and theirs["payment"]["id"] != first["payment"]["id"]
    assert count(kit, Payment, Payment.order_id == pk(order["id"])) == 2

    back = await refund(kit, finance.token, order, "5", idempotencyKey=key)  # other operation
    replay = await refund(kit, finance.token, order, "5", idempotencyKey=key)
    assert back["payment"]["kind"] == "REFUND" and replay["payment"] == back["payment"]
    assert count(kit, Payment, Payment.order_id == pk(order["id"]),
                 Payment.kind == "REFUND") == 1


async def test_outstanding_balance_is_the_credit_check_figure(kit, factory):
    rep, finance, stranger = factory.user("SALES"), factory.user("FINANCE"), factory.user("SALES")
    customer = kit.customer(owner_id=rep.id, credit_limit=Decimal("1000"),
                            payment_terms="NET_30")
    tea = kit.product("100.00")
    wh = kit.warehouse()
    kit.stock(tea, wh, 50)
    first = await kit.order(rep.token, customer, [(tea, 6)], submit=True)
    await kit.ok_step("orderApprove", first["id"], finance.token)
    second = await kit.order(rep.token, customer, [(tea, 5)], submit=True)
    refused = await kit.step("orderApprove", second["id"], finance.token)
    assert codes(refused) == ["CREDIT_LIMIT_EXCEEDED"]
    assert "outstanding 600.00" in refused["userErrors"][0]["message"]

    cust = {"id": gid("Customer", customer.id)}
    shown = await kit.api.ok(BALANCE, cust, finance.token)
    assert shown["node"]["outstandingBalance"] == {"amount": "600.00"}
    paid = await pay(kit, finance.token, first, "200", "CREDIT_TERMS")
    assert paid["userErrors"] == []
    owner_view = await kit.api.ok(BALANCE, cust, rep.token)
    assert owner_view["node"]["outstandingBalance"] == {"amount": "400.00"}
    assert kit.read(lambda s: balances.outstanding_balance(s, customer.id)) == Decimal("400.00")
    approved = await kit.ok_step("orderApprove", second["id"], finance.token)
    assert approved["status"] == "CONFIRMED"  # 400 + 500 fits 1000

    for token in (stranger.token, factory.user("WAREHOUSE").token,
                  factory.user("ANALYST").token):
        body = await kit.api.gql(BALANCE, cust, token)
        node = (body.get("data") or {}).get("node")
        if node is not None:  # visible customer, hidden figure
            assert node["outstandingBalance"] is None
            denied = {e["path"][-1]: e["extensions"]["code"] for e in body["errors"]}
            assert denied["outstandingBalance"] == "FORBIDDEN"


async def test_payments_and_balances_load_in_bounded_queries(kit, factory, db):
    """Order.payments, Order.balanceDue and Customer.outstandingBalance are batched."""
    finance, rep, admin = factory.user("FINANCE"), factory.user("SALES"), factory.user("ADMIN")
    customers = [kit.customer(owner_id=rep.id) for _ in range(3)]
    tea = kit.product("10.00")
    for i in range(6):
        order = await kit.order(admin.token, customers[i % 3], [(tea, 1 + i)], submit=True)
        await pay(kit, finance.token, order, "5", "PREPAID")
    query = """query($n: Int) { orders(first: $n) { nodes { balanceDue { amount }
      payments { amount { amount } } customer { outstandingBalance { amount } } } } }"""
    counts = {}
    for n in (2, 6):
        db.counter.reset()
        data = await kit.api.ok(query, {"n": n}, rep.token)
        counts[n] = db.counter.count
        nodes = data["orders"]["nodes"]
        assert len(nodes) == n and all(len(node["payments"]) == 1 for node in nodes)
        assert all(node["customer"]["outstandingBalance"] for node in nodes)
    assert counts[2] == counts[6], db.counter.statements


async def test_concurrent_retries_with_one_key_pay_once(kit, factory):
    finance = factory.user("FINANCE")
    order = await kit.order(factory.user("ADMIN").token, kit.customer(),
                            [(kit.product("10.00"), 5)], submit=True)
    results = await asyncio.gather(*(pay(kit, finance.token, order, "50", "PREPAID",
                                         idempotencyKey="flaky-network")
                                     for _ in range(4)))
    assert all(r["userErrors"] == [] for r in results)
    assert len({r["payment"]["id"] for r in results}) == 1
    assert count(kit, Payment, Payment.order_id == pk(order["id"])) == 1
    seen = await fetch_order(kit, finance.token, order["id"])
    assert (seen["paidTotal"], seen["paymentStatus"]) == ({"amount": "50.00"}, "PAID")
