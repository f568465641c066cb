"""Issue 3 item 5: returns, exchanges and repairs end to end through the API, with the
stock ledger, the money, the events and the audit trail they leave."""

from __future__ import annotations

from decimal import Decimal

from app.audit.models import AuditRecord
from app.inventory.models import StockMovement
from app.orders.models import Order
from app.orders.repository import balances
from app.payments.models import Payment
from tests.orders.support import gid, pk
from tests.returns.support import (
    RR_APPROVE,
    RR_RECEIVE,
    RR_REFUND,
    RR_RESOLVE,
    count,
    delivered,
    fetch_order,
    pay,
    rr_create,
    rr_ok,
    rr_step,
)


def _return_events(kit, rr_pk: int) -> list[str]:  # noqa: ANN001
    from sqlmodel import select

    from app.events.models import OutboxEvent
    rows = kit.read(lambda s: list(s.exec(select(OutboxEvent).where(
        OutboxEvent.topic == "return.status_changed").order_by(OutboxEvent.id))))
    return [r.payload["status"] for r in rows if r.payload["return_request_id"] == rr_pk]


async def test_return_refund_restocks_scraps_and_pays_back(kit, factory):
    admin, finance = factory.user("ADMIN"), factory.user("FINANCE")
    service = factory.user("CUSTOMER_SERVICE")
    customer = kit.customer()
    buyer = factory.user("CUSTOMER", customer_id=customer.id)
    tea, cup = kit.product("100.00"), kit.product("30.00")
    order, wh = await delivered(kit, admin.token, customer, [(tea, 3), (cup, 2)])
    keeper = factory.user("WAREHOUSE", warehouses=[wh.code])
    assert order["status"] == "DELIVERED"
    await pay(kit, finance.token, order, "360", "BANK_TRANSFER")

    created = await rr_create(kit, buyer.token, order, [(0, 2)])
    assert created["userErrors"] == []
    rr = created["returnRequest"]
    assert (rr["status"], rr["type"]) == ("REQUESTED", "RETURN")
    assert rr["number"].startswith("RR-") and rr["lines"][0]["orderLine"]["quantityReturned"] == 2
    rr = await rr_ok(kit, RR_APPROVE, service.token, id=rr["id"])
    assert rr["status"] == "APPROVED"
    before = kit.levels(tea)[wh.id].on_hand
    rr = await rr_ok(kit, RR_RECEIVE, keeper.token, input={
        "id": rr["id"], "warehouseId": gid("Warehouse", wh.id),
        "lines": [{"orderLineId": order["lines"][0]["id"], "restock": 1, "scrap": 1}]})
    assert rr["status"] == "RECEIVED" and (rr["lines"][0]["restocked"],
                                           rr["lines"][0]["scrapped"]) == (1, 1)
    assert kit.levels(tea)[wh.id].on_hand == before + 1
    kinds = kit.read(lambda s: [m.kind for m in s.exec(_moves(pk(rr["id"])))])
    assert kinds == ["RETURN_RESTOCK", "SCRAP"]
    kit.assert_ledger_consistent(tea)

    rr = await rr_ok(kit, RR_REFUND, finance.token, id=rr["id"])
    assert rr["status"] == "REFUNDED" and rr["refundAmount"] == {"amount": "200.00",
                                                                 "currency": "CNY"}
    assert rr["order"]["paymentStatus"] == "PAID" and rr["order"]["balanceDue"] == {
        "amount": "0.00"}
    seen = await fetch_order(kit, admin.token, order["id"])
    assert [(p["kind"], p["amount"]["amount"], p["reference"]) for p in seen["payments"]] == [
        ("PAYMENT", "360.00", ""), ("REFUND", "200.00", rr["number"])]
    assert seen["returnRequests"] == [{"id": rr["id"], "number": rr["number"],
                                      "status": "REFUNDED"}]
    assert _return_events(kit, pk(rr["id"])) == ["REQUESTED", "APPROVED", "RECEIVED", "REFUNDED"]
    audits = kit.read(lambda s: [a.action for a in s.exec(_audits(pk(rr["id"])))])
    assert audits == ["return_request.created", "return_request.approved",
                      "return_request.received", "return_request.refunded"]


def _moves(rr_pk: int):  # noqa: ANN202
    from sqlmodel import select
    return select(StockMovement).where(StockMovement.reference_type == "ReturnRequest",
                                       StockMovement.reference_id == rr_pk).order_by(
        StockMovement.id)


def _audits(rr_pk: int):  # noqa: ANN202
    from sqlmodel import select
    return select(AuditRecord).where(AuditRecord.entity_type == "ReturnRequest",
                                     AuditRecord.entity_id == rr_pk).order_by(AuditRecord.id)


async def _received(kit, factory, order, wh, lines, type_="RETURN"):  # noqa: ANN001, ANN202
    admin = factory.user("ADMIN")
    rr = (await rr_create(kit, admin.token, order, lines, type_))["returnRequest"]
    await rr_ok(kit, RR_APPROVE, admin.token, id=rr["id"])
    receive = {"id": rr["id"]}
    if type_ != "REPAIR":
        receive |= {"warehouseId": gid("Warehouse", wh.id), "lines": [
            {"orderLineId": order["lines"][i]["id"], "restock": q} for i, q in lines]}
    return await rr_ok(kit, RR_RECEIVE, admin.token, input=receive)


async def test_return_of_an_unpaid_credit_order_reduces_what_is_owed(kit, factory):
    admin, finance = factory.user("ADMIN"), factory.user("FINANCE")
    customer = kit.customer(payment_terms="NET_30")
    tea = kit.product("33.33")
    order, wh = await delivered(kit, admin.token, customer, [(tea, 3)])
    assert kit.read(lambda s: balances.outstanding_balance(s, customer.id)) == Decimal("99.99")
    for units in (1, 1, 1):  # every unit back in three returns: credits add up exactly
        rr = await _received(kit, factory, order, wh, [(0, units)])
        rr = await rr_ok(kit, RR_REFUND, finance.token, id=rr["id"])
        assert rr["status"] == "REFUNDED"
    assert count(kit, Payment, Payment.order_id == pk(order["id"])) == 0  # nothing was paid
    assert kit.read(lambda s: balances.outstanding_balance(s, customer.id)) == Decimal("0.00")
    assert kit.read(lambda s: s.get(Order, pk(order["id"])).credited_total) == Decimal("99.99")
    status = kit.read(lambda s: s.get(Order, pk(order["id"])).payment_status)
    assert status == "PAID"  # nothing left to pay
    kit.assert_ledger_consistent(tea)


async def test_partly_paid_order_refunds_only_the_overpayment(kit, factory):
    admin, finance = factory.user("ADMIN"), factory.user("FINANCE")
    customer = kit.customer(payment_terms="NET_30")
    tea = kit.product("100.00")
    order, wh = await delivered(kit, admin.token, customer, [(tea, 4)])
    await pay(kit, finance.token, order, "250", "CREDIT_TERMS")  # 150 still due
    rr = await _received(kit, factory, order, wh, [(0, 2)])  # 200 of goods back
    rr = await rr_ok(kit, RR_REFUND, finance.token, id=rr["id"], method="BANK_TRANSFER")
    assert rr["refundAmount"]["amount"] == "200.00"
    assert "refunded 50.00" in rr["resolution"]
    seen = await fetch_order(kit, admin.token, order["id"])
    assert seen["refundedTotal"] == {"amount": "50.00"}
    assert (seen["paymentStatus"], seen["balanceDue"]) == ("PAID", {"amount": "0.00"})
    assert seen["payments"][-1]["method"] == "BANK_TRANSFER"


async def test_exchange_creates_a_free_replacement_order_for_review(kit, factory):
    admin, manager = factory.user("ADMIN"), factory.user("MANAGER")
    customer = kit.customer()
    tea, cup = kit.product("88.00"), kit.product("12.50")
    order, wh = await delivered(kit, admin.token, customer, [(tea, 2), (cup, 4)])
    rr = await _received(kit, factory, order, wh, [(0, 1), (1, 3)], "EXCHANGE")
    for product, units in ((tea, 1), (cup, 3)):
        assert kit.levels(product)[wh.id].on_hand == units + 5  # 5 spare + units restocked
    rr = await rr_ok(kit, RR_RESOLVE, factory.user("CUSTOMER_SERVICE").token, id=rr["id"])
    assert rr["status"] == "REPLACED"
    new = rr["replacementOrder"]
    assert (new["status"], new["total"], new["subtotal"]) == (
        "PENDING_REVIEW", {"amount": "0.00"}, {"amount": "125.50"})
    assert [(ln["sku"], ln["quantity"], ln["discountRate"]) for ln in new["lines"]] == [
        (tea.sku, 1, "1.00"), (cup.sku, 3, "1.00")]
    assert rr["resolution"] == f"replacement order {new['number']}"
    approved = await kit.ok_step("orderApprove", new["id"], manager.token)
    assert approved["status"] == "CONFIRMED" and approved["paymentStatus"] == "PAID"
    kit.assert_ledger_consistent(cup)


async def test_repair_takes_the_item_in_and_gives_it_back(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    kettle = kit.product("399.00")
    order, wh = await delivered(kit, admin.token, customer, [(kettle, 1)])
    before = kit.levels(kettle)[wh.id].on_hand
    rr = (await rr_create(kit, admin.token, order, [(0, 1)], "REPAIR"))["returnRequest"]
    await rr_ok(kit, RR_APPROVE, admin.token, id=rr["id"])
    with_lines = await rr_step(kit, RR_RECEIVE, admin.token, input={
        "id": rr["id"], "warehouseId": gid("Warehouse", wh.id),
        "lines": [{"orderLineId": order["lines"][0]["id"], "restock": 1}]})
    assert with_lines["userErrors"][0]["field"] == ["lines"]
    rr = await rr_ok(kit, RR_RECEIVE, admin.token, input={"id": rr["id"]})
    assert rr["status"] == "RECEIVED" and kit.levels(kettle)[wh.id].on_hand == before
    blank = await rr_step(kit, RR_RESOLVE, admin.token, id=rr["id"])
    assert blank["userErrors"][0]["field"] == ["resolution"]
    rr = await rr_ok(kit, RR_RESOLVE, admin.token, id=rr["id"], resolution="更换了加热底座")
    assert (rr["status"], rr["resolution"]) == ("REPAIRED", "更换了加热底座")
    assert rr["lines"][0]["orderLine"]["quantityReturned"] == 0  # returnable again


async def test_units_not_received_become_returnable_again(kit, factory):
    admin = factory.user("ADMIN")
    customer = kit.customer()
    tea = kit.product("10.00")
    order, wh = await delivered(kit, admin.token, customer, [(tea, 5)])
    rr = (await rr_create(kit, admin.token, order, [(0, 4)]))["returnRequest"]
    await rr_ok(kit, RR_APPROVE, admin.token, id=rr["id"])
    nothing = await rr_step(kit, RR_RECEIVE, admin.token, input={
        "id": rr["id"], "warehouseId": gid("Warehouse", wh.id), "lines": []})
    assert nothing["userErrors"][0]["field"] == ["lines"]
    rr = await rr_ok(kit, RR_RECEIVE, admin.token, input={
        "id": rr["id"], "warehouseId": gid("Warehouse", wh.id),
        "lines": [{"orderLineId": order["lines"][0]["id"], "restock": 2, "scrap": 1}]})
    assert rr["lines"][0]["orderLine"]["quantityReturned"] == 3  # one never arrived
    again = await rr_create(kit, admin.token, order, [(0, 2)])
    assert again["userErrors"] == []
    kit.assert_ledger_consistent(tea)
