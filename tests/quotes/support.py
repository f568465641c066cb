"""Helpers for quote tests: quotes driven through the API, as each role would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.orders.support import Kit, gid

ERRORS = "userErrors { field message code }"
QUOTE = """
fragment Q on Quote {
  id number status currency validUntil terms version sentAt decidedAt declineReason
  customerId subtotal { amount } discountTotal { amount } total { amount }
  lines { productId sku quantity unitPrice { amount } discountRate lineTotal { amount }
          referencePrice { amount } }
  order { id status }
  availableActions { action enabled reason }
}"""
STAFF = "maxDiscount approvalLevel approvalNote submittedAt approvedAt"
CREATE = QUOTE + """
mutation($input: QuoteCreateInput!) { quoteCreate(input: $input) {
  quote { ...Q STAFF } ERRORS } }""".replace("ERRORS", ERRORS).replace("STAFF", STAFF)
STEP_ARGS = {"quoteApprove": {"note": "String"}, "quoteReject": {"note": "String!"},
             "quoteDecline": {"reason": "String"}}
GET = QUOTE + "query($id: ID!) { quote(id: $id) { ...Q } node(id: $id) { id } }"
LIST = QUOTE + """query($f: QuoteFilter) { quotes(first: 50, filter: $f) {
  totalCount edges { node { ...Q } } } }"""


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


def step_query(name: str, staff: bool = True) -> str:
    extra = STEP_ARGS.get(name, {})
    decl = "".join(f", ${k}: {t}" for k, t in extra.items())
    args = "".join(f", {k}: ${k}" for k in extra)
    fields = "...Q " + (STAFF if staff else "")
    return QUOTE + f"""
mutation($id: ID!{decl}) {{ {name}(id: $id{args}) {{ quote {{ {fields} }} {ERRORS} }} }}"""


class Quotes:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.api = kit.api

    async def create(self, token: str, customer: Any, items: list[tuple[Any, int, dict]],
                     valid_days: int = 30, **extra: Any) -> dict[str, Any]:
        lines = [{"productId": gid("Product", p.id), "quantity": q, **more}
                 for p, q, more in items]
        inp = {"customerId": gid("Customer", customer.id), "lines": lines,
               "validUntil": (today() + timedelta(days=valid_days)).isoformat(),
               "terms": "货到30天内付款 / payment within 30 days", **extra}
        return (await self.api.ok(CREATE, {"input": inp}, token))["quoteCreate"]

    async def new(self, token: str, customer: Any, items: list[tuple[Any, int, dict]],
                  **extra: Any) -> dict[str, Any]:
        payload = await self.create(token, customer, items, **extra)
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload["quote"]

    async def step(self, name: str, quote_id: str, token: str, staff: bool = True,
                   **args: Any) -> dict[str, Any]:
        return (await self.api.ok(step_query(name, staff), {"id": quote_id, **args},
                                  token))[name]

    async def ok(self, name: str, quote_id: str, token: str, staff: bool = True,
                 **args: Any) -> dict[str, Any]:
        payload = await self.step(name, quote_id, token, staff, **args)
        assert payload["userErrors"] == [], (name, payload["userErrors"])
        return payload["quote"]

    async def sent(self, rep: str, approver: str, customer: Any,
                   items: list[tuple[Any, int, dict]], **extra: Any) -> dict[str, Any]:
        """A quote created, submitted, approved when it needs it, and sent."""
        quote = await self.new(rep, customer, items, **extra)
        quote = await self.ok("quoteSubmit", quote["id"], rep)
        if quote["status"] == "PENDING_APPROVAL":
            quote = await self.ok("quoteApprove", quote["id"], approver)
        return await self.ok("quoteSend", quote["id"], rep)


def actions(quote: dict) -> dict[str, tuple[bool, str | None]]:
    return {a["action"]: (a["enabled"], a["reason"]) for a in quote["availableActions"]}


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
