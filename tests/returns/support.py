"""Helpers for payment, return, import and re-order tests: orders driven to DELIVERED
through the real services, GraphQL documents, and row counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.orders import fulfillment
from tests.orders.support import ORDER, Kit, pk

ERRORS = "userErrors { field message code }"

PAYMENT = """
fragment P on PaymentPayload {
  payment { id kind method amount { amount currency } reference }
  order { id paymentStatus paidTotal { amount } refundedTotal { amount } balanceDue { amount }
          version }
  userErrors { field message code }
}"""
RECORD = PAYMENT + """
mutation($input: PaymentRecordInput!) { paymentRecord(input: $input) { ...P } }"""
REFUND = PAYMENT + """
mutation($input: PaymentRefundInput!) { paymentRefund(input: $input) { ...P } }"""

RR = """
fragment R on ReturnRequest {
  id number type status reason resolution refundAmount { amount currency }
  lines { quantity restocked scrapped orderLineId orderLine { sku quantityReturned } }
  order { id status paymentStatus balanceDue { amount } }
  replacementOrder { id number status total { amount } subtotal { amount }
                     lines { sku quantity unitPrice { amount } discountRate } }
  availableActions { action enabled reason }
}"""
RR_PAYLOAD = "{ returnRequest { ...R } " + ERRORS + " }"
RR_CREATE = RR + """
mutation($input: ReturnRequestCreateInput!) { returnRequestCreate(input: $input) """ \
    + RR_PAYLOAD + "}"
RR_APPROVE = RR + "mutation($id: ID!) { returnRequestApprove(id: $id) " + RR_PAYLOAD + "}"
RR_REJECT = RR + ("mutation($id: ID!, $reason: String!) { returnRequestReject(id: $id, "
                  "reason: $reason) " + RR_PAYLOAD + "}")
RR_RECEIVE = RR + ("mutation($input: ReturnRequestReceiveInput!) { "
                   "returnRequestReceive(input: $input) " + RR_PAYLOAD + "}")
RR_REFUND = RR + ("mutation($id: ID!, $method: PaymentMethod, $reference: String) { "
                  "returnRequestRefund(id: $id, method: $method, reference: $reference) "
                  + RR_PAYLOAD + "}")
RR_RESOLVE = RR + ("mutation($id: ID!, $resolution: String) { returnRequestResolve(id: $id, "
                   "resolution: $resolution) " + RR_PAYLOAD + "}")

ORDER_QUERY = ORDER + """
query($id: ID!) { order(id: $id) { ...O refundedTotal { amount } balanceDue { amount }
  payments { id kind method amount { amount currency } reference recordedBy { id } }
  returnRequests { id number status } } }"""


def money(value: str) -> dict[str, str]:
    return {"amount": value}


async def delivered(kit: Kit, token: str, customer: Any, items: list[tuple[Any, int]],
                    **extra: Any) -> tuple[dict, Any]:
    """An order created, approved, scheduled, started, shipped and delivered.

    Stock for each product is received into a fresh warehouse first; returns
    (the order as the API shows it now, the warehouse)."""
    wh = kit.warehouse()
    for product, quantity in items:
        kit.stock(product, wh, quantity + 5)
    order = await kit.order(token, customer, items, **extra)
    for name in ("orderSubmit", "orderApprove", "orderSchedule", "orderStartFulfillment"):
        order = await kit.ok_step(name, order["id"], token)
    ship(kit, order)
    kit.factory.write(fulfillment.record_delivery, pk(order["id"]))
    return await fetch_order(kit, token, order["id"]), wh


def ship(kit: Kit, order: dict) -> None:
    """Ship everything reserved for the order (status -> SHIPPED)."""
    lines = [(pk(a["orderLineId"]), pk(a["warehouse"]["id"]), a["quantity"])
             for a in order["allocations"]]
    kit.factory.write(fulfillment.record_shipment, pk(order["id"]), lines)


async def fetch_order(kit: Kit, token: str, order_id: str) -> dict:
    return (await kit.api.ok(ORDER_QUERY, {"id": order_id}, token))["order"]


async def pay(kit: Kit, token: str, order: dict, amount: str, method: str = "BANK_TRANSFER",
              **extra: Any) -> dict:
    inp = {"orderId": order["id"], "amount": amount, "currency": "CNY", "method": method,
           **extra}
    return (await kit.api.ok(RECORD, {"input": inp}, token))["paymentRecord"]


async def refund(kit: Kit, token: str, order: dict, amount: str, **extra: Any) -> dict:
    inp = {"orderId": order["id"], "amount": amount, "currency": "CNY",
           "reason": "客户取消 customer cancelled", **extra}
    return (await kit.api.ok(REFUND, {"input": inp}, token))["paymentRefund"]


async def rr_create(kit: Kit, token: str, order: dict, lines: list[tuple[int, int]],
                    type_: str = "RETURN", **extra: Any) -> dict:
    """returnRequestCreate for (line index, quantity) pairs of `order`."""
    inp = {"orderId": order["id"], "type": type_, "reason": "质量问题 quality issue",
           "lines": [{"orderLineId": order["lines"][i]["id"], "quantity": q}
                     for i, q in lines], **extra}
    return (await kit.api.ok(RR_CREATE, {"input": inp}, token))["returnRequestCreate"]


async def rr_step(kit: Kit, query: str, token: str, **variables: Any) -> dict:
    data = await kit.api.ok(query, variables, token)
    return next(iter(data.values()))


async def rr_ok(kit: Kit, query: str, token: str, **variables: Any) -> dict:
    payload = await rr_step(kit, query, token, **variables)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["returnRequest"]


def count(kit: Kit, model: Any, *where: Any) -> int:
    def fetch(session: Session) -> int:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()
    return kit.read(fetch)


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def dec(value: str) -> Decimal:
    return Decimal(value)
