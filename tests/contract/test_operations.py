"""Every frontend-contract operation is valid against the schema and runs on demo data."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from graphql import parse, validate
from sqlalchemy import select

from app.surveys import links
from app.surveys import service as surveys
from app.surveys.models import Survey
from app.tickets.models import Ticket
from schema.build import schema
from tests.demo.conftest import NOW, Demo, seeded

OPERATIONS = Path(__file__).resolve().parents[2] / "frontend-contract" / "operations"
PASSWORD = "demo-password"
Vars = Callable[["Session"], Awaitable[dict[str, Any]]]


class Session:
    """Signs demo users in through the API and finds demo IDs to put in variables."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.tokens: dict[str, dict[str, str]] = {}
        # the survey cases make a survey in the demo's database and sign its link
        self.demo: Any = None
        self.settings: Any = None

    async def post(self, query: str, variables: dict | None = None,
                   token: str | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/graphql", json={"query": query,
                                                            "variables": variables or {}},
                                          headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def login(self, email: str) -> dict[str, str]:
        if email not in self.tokens:
            body = await self.post(
                "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { "
                "accessToken refreshToken userErrors { message } } }",
                {"e": email, "p": PASSWORD})
            self.tokens[email] = body["data"]["login"]
        return self.tokens[email]

    async def first_id(self, field: str, email: str = "admin@demo.local") -> str:
        token = (await self.login(email))["accessToken"]
        body = await self.post(f"{{ {field}(first: 1) {{ edges {{ node {{ id }} }} }} }}",
                               token=token)
        return body["data"][field]["edges"][0]["node"]["id"]


async def _none(_s: Session) -> dict[str, Any]:
    return {}


async def _login(_s: Session) -> dict[str, Any]:
    return {"email": "sales@demo.local", "password": PASSWORD}


async def _refresh(s: Session) -> dict[str, Any]:
    # a fresh login so the rotation does not spend a token other cases use
    s.tokens.pop("service@demo.local", None)
    return {"refreshToken": (await s.login("service@demo.local"))["refreshToken"]}


async def _within(_s: Session) -> dict[str, Any]:
    return {"within": 14}


async def _order(s: Session) -> dict[str, Any]:
    return {"id": await s.first_id("orders", "sales@demo.local")}


async def _customer(s: Session) -> dict[str, Any]:
    return {"id": await s.first_id("customers", "sales@demo.local")}


async def _product(s: Session) -> dict[str, Any]:
    return {"id": await s.first_id("products", "manager@demo.local")}


async def _orders_page(_s: Session) -> dict[str, Any]:
    return {"first": 50}


async def _quote(s: Session) -> dict[str, Any]:
    """A demo order with stock reserved, from its warehouse, at the demo's "now" (seeded for
    a fixed day, tests/demo/conftest.py, not the real one)."""
    token = (await s.login("logistics@demo.local"))["accessToken"]
    body = await s.post("""{ orders(first: 20, filter: {status: [CONFIRMED, SCHEDULED]}) {
      nodes { id allocations { warehouse { id } } } } }""", token=token)
    order = next(o for o in body["data"]["orders"]["nodes"] if o["allocations"])
    return {"orderId": order["id"], "warehouseId": order["allocations"][0]["warehouse"]["id"],
            "readyAt": NOW.isoformat()}


async def _rate_rule(s: Session) -> dict[str, Any]:
    """The first lane of the first service, saved again as it is (the demo stays as seeded)."""
    token = (await s.login("logistics@demo.local"))["accessToken"]
    body = await s.post("""{ carriers(first: 1, sort: CODE_ASC) { nodes { services {
      id rateRules { originRegion destinationRegion transitDays baseFee { amount }
      perKgFee { amount } } } } } }""", token=token)
    service = body["data"]["carriers"]["nodes"][0]["services"][0]
    rule = service["rateRules"][0]
    return {"serviceId": service["id"], "input": {
        "originRegion": rule["originRegion"], "destinationRegion": rule["destinationRegion"],
        "transitDays": rule["transitDays"], "baseFee": rule["baseFee"]["amount"],
        "perKgFee": rule["perKgFee"]["amount"]}}


async def _shippable(s: Session) -> dict[str, Any]:
    """A demo order with stock reserved and nothing on a shipment yet."""
    token = (await s.login("logistics@demo.local"))["accessToken"]
    body = await s.post("""{ orders(first: 50, filter: {status: [CONFIRMED, SCHEDULED,
      IN_FULFILLMENT]}) { nodes { id allocations { warehouse { id } } shipments { id } } } }""",
                        token=token)
    order = next(o for o in body["data"]["orders"]["nodes"]
                 if o["allocations"] and not o["shipments"])
    return {"orderId": order["id"]}


async def _created_shipment(s: Session) -> dict[str, Any]:
    token = (await s.login("logistics@demo.local"))["accessToken"]
    body = await s.post("""{ shipments(first: 1, filter: {status: [CREATED]}) {
      nodes { id } } }""", token=token)
    return {"id": body["data"]["shipments"]["nodes"][0]["id"]}


async def _board(_s: Session) -> dict[str, Any]:
    return {"filter": {"status": ["CREATED", "PACKED", "PICKED_UP", "IN_TRANSIT"]}}


async def _cod_reconciliation(s: Session) -> dict[str, Any]:
    """The first carrier over the half year before the demo's "now"."""
    return {"carrierId": await s.first_id("carriers", "finance@demo.local"),
            "from": (NOW - timedelta(days=182)).date().isoformat(),
            "to": NOW.date().isoformat()}


async def _network_performance(_s: Session) -> dict[str, Any]:
    return {"from": (NOW - timedelta(days=182)).date().isoformat(),
            "to": NOW.date().isoformat(), "groupBy": "CARRIER"}


async def _remittance(s: Session) -> dict[str, Any]:
    """Delivered cash-on-delivery parcels of one carrier, remitted at what they collected."""
    token = (await s.login("finance@demo.local"))["accessToken"]
    body = await s.post("""{ shipments(first: 100, filter: {status: [DELIVERED]}) { nodes {
      id carrier { id } codCollected { amount } } } }""", token=token)
    paid = [n for n in body["data"]["shipments"]["nodes"] if n["codCollected"]]
    carrier = paid[0]["carrier"]["id"]
    mine = [n for n in paid if n["carrier"]["id"] == carrier][:3]
    amount = sum(Decimal(n["codCollected"]["amount"]) for n in mine)
    return {"input": {"carrierId": carrier, "amount": str(amount), "reference": "DEMO-REM-1",
                      "shipmentIds": [n["id"] for n in mine]}}


async def _in_flight(s: Session, statuses: str, who: str = "logistics@demo.local") -> str:
    """A demo shipment with the carrier that `who` sees (the demo has no exceptions)."""
    token = (await s.login(who))["accessToken"]
    body = await s.post(f"{{ shipments(first: 1, filter: {{status: [{statuses}]}}) {{ "
                        "nodes { id } } }", token=token)
    return body["data"]["shipments"]["nodes"][0]["id"]


async def _exception(s: Session, kind: str) -> str:
    """An exception of its own type on a demo parcel, opened through the API."""
    token = (await s.login("logistics@demo.local"))["accessToken"]
    body = await s.post("""mutation($s: ID!, $t: ShipmentExceptionType!) {
      shipmentExceptionOpen(shipmentId: $s, type: $t, description: "contract case") {
        shipmentException { id } userErrors { message } } }""",
                        {"s": await _in_flight(s, "IN_TRANSIT"), "t": kind}, token)
    return body["data"]["shipmentExceptionOpen"]["shipmentException"]["id"]


async def _exception_open(s: Session) -> dict[str, Any]:
    return {"shipmentId": await _in_flight(s, "IN_TRANSIT"), "type": "DAMAGED",
            "description": "客户来电：外箱破损"}


async def _exception_assign(s: Session) -> dict[str, Any]:
    token = (await s.login("service@demo.local"))["accessToken"]
    me = (await s.post("{ me { user { id } } }", token=token))["data"]["me"]["user"]["id"]
    return {"id": await _exception(s, "LOST"), "assigneeId": me}


async def _exception_note(s: Session) -> dict[str, Any]:
    return {"id": await _exception(s, "REFUSED"), "body": "已联系收件人，明日重新派送"}


async def _exception_resolve(s: Session) -> dict[str, Any]:
    return {"id": await _exception(s, "ADDRESS_PROBLEM"), "resolution": "CONTACT_CUSTOMER",
            "note": "已与客户核对地址"}


async def _exception_queue(_s: Session) -> dict[str, Any]:
    return {"filter": {"status": None}, "sort": "SLA_DUE_AT_ASC", "first": 50}


async def _return_receive(s: Session) -> dict[str, Any]:
    return {"id": await _in_flight(s, "OUT_FOR_DELIVERY, FAILED_ATTEMPT, IN_TRANSIT",
                                   "warehouse@demo.local")}


async def _funnel_board(_s: Session) -> dict[str, Any]:
    """The half year before the demo's "now": every demo opportunity was created in it."""
    return {"from": (NOW - timedelta(days=182)).date().isoformat(),
            "to": NOW.date().isoformat()}


async def _lead_list(_s: Session) -> dict[str, Any]:
    return {"first": 50, "filter": {"status": ["NEW", "CONTACTED", "QUALIFIED"]},
            "sort": "CREATED_AT_DESC"}


async def _agenda(_s: Session) -> dict[str, Any]:
    monday = NOW.date() - timedelta(days=NOW.weekday())
    return {"from": (NOW - timedelta(days=1)).isoformat(),
            "to": (NOW + timedelta(days=7)).isoformat(), "weekFrom": monday.isoformat()}


async def _sales_quote(s: Session, who: str, flt: str) -> str:
    token = (await s.login(who))["accessToken"]
    body = await s.post(f"{{ quotes(first: 1, filter: {{{flt}}}) {{ nodes {{ id }} }} }}",
                        token=token)
    return body["data"]["quotes"]["nodes"][0]["id"]


async def _quote_approve(s: Session) -> dict[str, Any]:
    return {"id": await _sales_quote(s, "manager@demo.local",
                               "status: [PENDING_APPROVAL], approvalLevel: [MANAGER]"),
            "note": "同意 / approved"}


async def _quote_accept(s: Session) -> dict[str, Any]:
    """A quote sent today by the customer's rep: the demo's are dated around its own day,
    and the server checks validity against the real one."""
    buyer = (await s.login("customer@demo.local"))["accessToken"]
    seen = (await s.post("{ quotes(first: 1) { nodes { customerId lines { productId } } } }",
                         token=buyer))["data"]["quotes"]["nodes"][0]
    rep = (await s.login("sales@demo.local"))["accessToken"]
    valid = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    made = await s.post("""mutation($i: QuoteCreateInput!) { quoteCreate(input: $i) {
      quote { id } userErrors { message } } }""", {"i": {
        "customerId": seen["customerId"], "validUntil": valid,
        "lines": [{"productId": seen["lines"][0]["productId"], "quantity": 5}]}}, rep)
    quote = made["data"]["quoteCreate"]["quote"]["id"]
    for step in ("quoteSubmit", "quoteSend"):
        done = await s.post(f"mutation($id: ID!) {{ {step}(id: $id) {{ quote {{ status }} "
                            "userErrors { message } } }", {"id": quote}, rep)
        assert done["data"][step]["userErrors"] == [], done
    return {"id": quote}


async def _queue(_s: Session) -> dict[str, Any]:
    return {"filter": {"status": ["NEW", "OPEN", "PENDING_CUSTOMER"]}}


async def _ticket(s: Session) -> dict[str, Any]:
    return {"id": await s.first_id("tickets", "service@demo.local")}


async def _sla_window(_s: Session) -> dict[str, Any]:
    return {"from": (NOW - timedelta(days=30)).isoformat(), "to": NOW.isoformat()}


async def _ticket_open(_s: Session) -> dict[str, Any]:
    return {"input": {"kind": "AFTER_SALES", "afterSalesType": "REPAIR", "channel": "APP",
                      "subject": "茶具把手断裂 / kettle handle broke",
                      "description": "收到时把手已断。"}}


async def _ticket_reply(s: Session) -> dict[str, Any]:
    token = (await s.login("customer@demo.local"))["accessToken"]
    body = await s.post("{ tickets(first: 1, filter: {status: [PENDING_CUSTOMER]}) { "
                        "nodes { id } } }", token=token)
    return {"id": body["data"]["tickets"]["nodes"][0]["id"], "body": "好的，谢谢！"}


async def _delivery_change(s: Session) -> dict[str, Any]:
    token = (await s.login("customer@demo.local"))["accessToken"]
    body = await s.post("{ orders(first: 50, filter: {status: [PENDING_REVIEW, CONFIRMED, "
                        "SCHEDULED]}) { edges { node { id shipments { status } } } } }",
                        token=token)
    order = next(e["node"]["id"] for e in body["data"]["orders"]["edges"]
                 if not e["node"]["shipments"])
    return {"input": {"orderId": order, "change": {
        "address": "上海市徐汇区漕溪北路88号 8楼", "recipient": "刘洋",
        "date": (datetime.now(UTC) + timedelta(days=7)).date().isoformat()}}}
_MARKETING = "marketing@demo.local"
CAMPAIGN_INPUT = {"name": "会员回馈 Thank you", "channel": "EMAIL", "subjectZh": "感谢您",
                  "subjectEn": "Thank you", "bodyZh": "{{name}}，感谢您一直以来的支持。",
                  "bodyEn": "Thank you for your custom, {{name}}.",
                  "filter": {"regions": ["East"]}, "ratePerMinute": 120}


async def _campaign_list(_s: Session) -> dict[str, Any]:
    return {"filter": {"status": ["DONE", "SCHEDULED", "DRAFT"]}, "sort": None}


async def _campaign_report(s: Session) -> dict[str, Any]:
    token = (await s.login(_MARKETING))["accessToken"]
    body = await s.post("{ campaigns(first: 1, filter: {status: [DONE]}) { nodes { id } } }",
                        token=token)
    return {"id": body["data"]["campaigns"]["nodes"][0]["id"]}


async def _campaign_create(_s: Session) -> dict[str, Any]:
    return {"input": CAMPAIGN_INPUT}


async def _campaign_schedule(s: Session) -> dict[str, Any]:
    """A draft of its own (the demo's draft links to shop.example.com, which these tests'
    settings do not allow), scheduled a day ahead."""
    token = (await s.login(_MARKETING))["accessToken"]
    made = await s.post("mutation($i: CampaignCreateInput!) { campaignCreate(input: $i) { "
                        "campaign { id } userErrors { message } } }", {"i": CAMPAIGN_INPUT},
                        token=token)
    at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    return {"input": {"id": made["data"]["campaignCreate"]["campaign"]["id"], "at": at}}


# file -> (who runs it, how its variables are found). A new operation must be added here.
async def _satisfaction(_s: Session) -> dict[str, Any]:
    return {"from": (NOW - timedelta(days=90)).isoformat(),
            "to": (NOW + timedelta(days=1)).isoformat()}


async def _survey_token(s: Session) -> dict[str, Any]:
    """A survey sent now (the demo's are dated around its own day, long expired by the
    clock the server reads), and its link's token."""
    def unsurveyed(session: Any) -> tuple[int, int]:  # a demo ticket without a survey
        return session.execute(select(Ticket.id, Ticket.customer_id).where(
            Ticket.id.not_in(select(Survey.ticket_id).where(Survey.ticket_id.is_not(None))))
            .order_by(Ticket.id).limit(1)).one()

    ticket_id, customer = s.demo.runner.read_sync(unsurveyed, (), {})
    row = s.demo.runner.write_sync(surveys.create_ticket_survey, ticket_id, customer, None)
    return {"token": links.issue(s.settings, row.id, row.nonce, row.expires_at)}


async def _survey_answer(s: Session) -> dict[str, Any]:
    return {**await _survey_token(s), "input": {"csat": 4, "nps": 9, "comment": "很好",
                                                "tags": ["delivery"]}}
async def _year(_s: Session) -> dict[str, Any]:
    """The demo's last year, to tomorrow (its orders are dated relative to the seed day)."""
    return {"from": (NOW - timedelta(days=365)).date().isoformat(),
            "to": (NOW + timedelta(days=1)).date().isoformat()}


async def _group_by(s: Session) -> dict[str, Any]:
    return {**await _year(s), "source": "ORDERS", "measures": ["REVENUE", "ORDERS"],
            "dimensions": ["REGION"], "grain": "QUARTER"}
async def _export_create(_s: Session) -> dict[str, Any]:
    return {"source": "ORDERS", "fields": ["ID", "NUMBER", "STATUS", "TOTAL", "SHIP_PHONE"],
            "format": "CSV", "filter": {"statuses": ["DELIVERED", "COMPLETED"]}}


async def _export_job(s: Session) -> dict[str, Any]:
    """An analyst's export, asked for here (the contract's apps run no background worker:
    it stays QUEUED)."""
    token = (await s.login("analyst@demo.local"))["accessToken"]
    body = await s.post("mutation { exportCreate(source: CUSTOMERS, fields: [ID, NAME, PHONE], "
                        "format: JSONL) { job { id } } }", token=token)
    return {"id": body["data"]["exportCreate"]["job"]["id"]}


async def _first_page(_s: Session) -> dict[str, Any]:
    return {"first": 20}


async def _offline_push(s: Session) -> dict[str, Any]:
    """A visit report on the rep's first customer, queued offline."""
    customer = await s.first_id("customers", "sales@demo.local")
    return {"operations": [{"id": str(uuid.uuid4()), "clientId": str(uuid.uuid4()),
                            "activityCreate": {"kind": "VISIT", "subjectId": customer,
                                               "title": "拜访 (offline)", "done": True}}]}


async def _device_register(_s: Session) -> dict[str, Any]:
    return {"token": "fcm-" + uuid.uuid4().hex, "platform": "ANDROID", "name": "Pixel"}


async def _synced(s: Session, name: str, email: str) -> dict[str, Any]:
    """A full sync through the operation itself, page by page: its last page's token, so
    the case runs the delta a device runs next (docs/architecture.md#delta-sync)."""
    token = (await s.login(email))["accessToken"]
    query, after = (OPERATIONS / name).read_text(), None
    while True:
        body = await s.post(query, {"first": 100, "after": after}, token)
        page = body["data"]["syncChanges"]
        assert page["full"] and page["edges"], body
        if not page["pageInfo"]["hasNextPage"]:
            return {"since": page["syncToken"], "first": 100}
        after = page["pageInfo"]["endCursor"]


async def _sync_sales(s: Session) -> dict[str, Any]:
    return await _synced(s, "mobile/sync-field-sales.graphql", "sales@demo.local")


async def _sync_customer(s: Session) -> dict[str, Any]:
    return await _synced(s, "mobile/sync-customer-orders.graphql", "customer@demo.local")


async def _consignor_stock(s: Session) -> dict[str, Any]:
    token = (await s.login("manager@demo.local"))["accessToken"]
    body = await s.post("{ customers(filter: {isConsignor: true}, first: 1) { nodes { id } } }",
                        token=token)
    return {"consignorId": body["data"]["customers"]["nodes"][0]["id"], "first": 20}


async def _consignor_receive(s: Session) -> dict[str, Any]:
    """A demo consignor's product into a warehouse the warehouse user keeps."""
    manager = (await s.login("manager@demo.local"))["accessToken"]
    body = await s.post("""{ products(filter: {consigned: true}, first: 1) {
      nodes { id consignor { id } } } }""", token=manager)
    product = body["data"]["products"]["nodes"][0]
    warehouse = await s.first_id("warehouses", "warehouse@demo.local")
    return {"productId": product["id"], "warehouseId": warehouse,
            "consignorId": product["consignor"]["id"], "quantity": 24,
            "asnReference": "ASN-CONTRACT-0001", "reference": "DN-CONTRACT-0001"}


async def _consigned_product(s: Session) -> dict[str, Any]:
    manager = (await s.login("manager@demo.local"))["accessToken"]
    body = await s.post("""{ products(filter: {consigned: true}, first: 1, sort: SKU_ASC) {
      nodes { sku consignor { id } } } }""", token=manager)
    return body["data"]["products"]["nodes"][0]


_SHIP_TO = {"recipient": "合同测试 Contract", "address": "杭州市 西湖区 文三路 9 号",
            "phone": "13900009999", "region": "East"}


async def _delivery_orders(s: Session) -> dict[str, Any]:
    product = await _consigned_product(s)
    return {"consignorId": product["consignor"]["id"], "first": 20}


async def _delivery_bulk(s: Session) -> dict[str, Any]:
    product = await _consigned_product(s)
    rows = [{"reference": f"CONTRACT-{n}", "shipTo": _SHIP_TO,
             "lines": [{"sku": product["sku"], "quantity": n}]} for n in (1, 2)]
    return {"input": {"consignorId": product["consignor"]["id"], "orders": rows}}


async def _plan_create(s: Session) -> dict[str, Any]:
    product = await _consigned_product(s)
    return {"input": {"consignorId": product["consignor"]["id"], "plan": {
        "routeDays": [2, 4], "validFrom": date.today().isoformat(), "shipTo": _SHIP_TO,
        "name": "合同测试 plan", "lines": [{"sku": product["sku"], "quantity": 5}]}}}


async def _plan_pause(s: Session) -> dict[str, Any]:
    manager = (await s.login("manager@demo.local"))["accessToken"]
    body = await s.post("""{ deliveryPlans(filter: {status: [ACTIVE]}, first: 1) {
      nodes { id version } } }""", token=manager)
    plan = body["data"]["deliveryPlans"]["nodes"][0]
    return {"id": plan["id"], "expectedVersion": plan["version"]}


async def _freight_set(s: Session) -> dict[str, Any]:
    product = await _consigned_product(s)
    return {"input": {"consignorId": product["consignor"]["id"], "basis": "PER_ORDER",
                      "rate": "15.00", "minimumCharge": "0", "validFrom":
                      date.today().isoformat()}}


async def _consignee_change(s: Session) -> dict[str, Any]:
    """A demo delivery order waiting for review: one of its lines at a new quantity."""
    product = await _consigned_product(s)
    agent = (await s.login("service@demo.local"))["accessToken"]
    body = await s.post("""query($c: ID!) { deliveryOrders(filter: {consignorId: $c},
      first: 5) { nodes { order { id status lines { quantity product { id } } } } } }""",
                        {"c": product["consignor"]["id"]}, agent)
    order = next(n["order"] for n in body["data"]["deliveryOrders"]["nodes"]
                 if n["order"]["status"] == "PENDING_REVIEW")
    line = order["lines"][0]
    return {"input": {"orderId": order["id"], "customerId": product["consignor"]["id"],
                      "change": {"date": (date.today() + timedelta(days=3)).isoformat(),
                                 "quantities": [{"productId": line["product"]["id"],
                                                 "quantity": line["quantity"] + 1}]}}}


async def _consignor(s: Session) -> dict[str, Any]:
    token = (await s.login("manager@demo.local"))["accessToken"]
    body = await s.post("""{ customers(filter: {isConsignor: true}, first: 2, sort: NAME_ASC) {
      nodes { id } } }""", token=token)
    return {"consignorId": body["data"]["customers"]["nodes"][-1]["id"]}


async def _follow_ups(s: Session) -> dict[str, Any]:
    return {**await _consignor(s), "reason": None, "minAgeHours": 1, "first": 20}


async def _follow_up_record(s: Session) -> dict[str, Any]:
    """A demo parcel that failed to deliver and is not on the follow-up list yet."""
    token = (await s.login("manager@demo.local"))["accessToken"]
    body = await s.post("""{ shipments(filter: {status: [EXCEPTION, FAILED_ATTEMPT]},
      first: 50) { nodes { id } }
      deliveryFollowUps(first: 50) { nodes { shipment { id } } } }""", token=token)
    listed = {n["shipment"]["id"] for n in body["data"]["deliveryFollowUps"]["nodes"]}
    free = [n["id"] for n in body["data"]["shipments"]["nodes"] if n["id"] not in listed]
    return {"shipmentId": free[0], "reason": "FAILED_ATTEMPT", "nextAction": "REDELIVER",
            "note": "客户改约明天"}


async def _follow_up_resolve(s: Session) -> dict[str, Any]:
    """A new attempt for an open demo follow-up the carrier still has (no stock moves)."""
    token = (await s.login("service@demo.local"))["accessToken"]
    body = await s.post("""{ deliveryFollowUps(filter: {reason: [ADDRESS_PROBLEM]}, first: 1) {
      nodes { id version } } }""", token=token)
    node = body["data"]["deliveryFollowUps"]["nodes"][0]
    day = datetime.now(ZoneInfo(s.settings.business_timezone)).date() + timedelta(days=1)
    return {"id": node["id"], "resolution": "REDELIVER", "note": "地址已更正，明天再送",
            "redeliverOn": day.isoformat(), "expectedVersion": node["version"]}


async def _consignor_report(s: Session) -> dict[str, Any]:
    """The demo's last 30 days (its failed deliveries among them)."""
    return {**await _consignor(s), "from": (NOW - timedelta(days=30)).date().isoformat(),
            "to": NOW.date().isoformat()}


async def _portal_movements(s: Session) -> dict[str, Any]:
    """The demo consignor's receipts (its goods only, whoever asks through its sign-in)."""
    return {"kinds": ["RECEIPT"], "first": 20}


CASES: dict[str, tuple[str | None, Vars]] = {
    # mobile delta sync (docs/architecture.md#delta-sync): a full sync, then the delta
    "mobile/sync-field-sales.graphql": ("sales@demo.local", _sync_sales),
    "mobile/sync-customer-orders.graphql": ("customer@demo.local", _sync_customer),
    # the analysts' standard questions (docs/architecture.md#analytics)
    "analytics/revenue-by-month-channel.graphql": ("analyst@demo.local", _year),
    "analytics/top-customers.graphql": ("manager@demo.local", _year),
    "analytics/on-time-by-carrier.graphql": ("analyst@demo.local", _year),
    "analytics/stock-turnover.graphql": ("manager@demo.local", _year),
    "analytics/status-durations.graphql": ("manager@demo.local", _year),
    "analytics/group-by.graphql": ("analyst@demo.local", _group_by),
    "analytics/service-levels.graphql": ("manager@demo.local", _year),
    "login.graphql": (None, _login),
    "refresh-token.graphql": (None, _refresh),
    "me.graphql": ("customer@demo.local", _none),
    "orders-page.graphql": ("sales@demo.local", _orders_page),
    "order-detail.graphql": ("sales@demo.local", _order),
    "customer-detail.graphql": ("sales@demo.local", _customer),
    "product-stock.graphql": ("manager@demo.local", _product),
    "shipping-quotes.graphql": ("logistics@demo.local", _quote),
    "carrier-admin.graphql": ("logistics@demo.local", _none),
    "carrier-rate-rule-set.graphql": ("logistics@demo.local", _rate_rule),
    "shipment-board.graphql": ("logistics@demo.local", _board),
    "shipment-create.graphql": ("logistics@demo.local", _shippable),
    "shipment-dispatch.graphql": ("logistics@demo.local", _created_shipment),
    "customer-tracking.graphql": ("customer@demo.local", _none),
    "cod-reconciliation.graphql": ("finance@demo.local", _cod_reconciliation),
    "cod-remittance-record.graphql": ("finance@demo.local", _remittance),
    "network-performance.graphql": ("logistics@demo.local", _network_performance),
    "shipment-exception-queue.graphql": ("service@demo.local", _exception_queue),
    "failed-deliveries.graphql": ("warehouse@demo.local", _none),
    "shipment-exception-open.graphql": ("service@demo.local", _exception_open),
    "shipment-exception-assign.graphql": ("service@demo.local", _exception_assign),
    "shipment-exception-note-add.graphql": ("service@demo.local", _exception_note),
    "shipment-exception-resolve.graphql": ("service@demo.local", _exception_resolve),
    "shipment-return-receive.graphql": ("warehouse@demo.local", _return_receive),
    "carrier-webhook-review.graphql": ("logistics@demo.local", _none),
    "webhook-admin.graphql": ("admin@demo.local", _none),
    "sales-funnel-board.graphql": ("sales@demo.local", _funnel_board),
    "lead-list.graphql": ("sales@demo.local", _lead_list),
    "at-risk-customers.graphql": ("manager@demo.local", _none),
    "due-to-reorder.graphql": ("sales@demo.local", _within),
    "my-agenda.graphql": ("sales@demo.local", _agenda),
    "customer-timeline.graphql": ("sales@demo.local", _customer),
    "quote-approval-queue.graphql": ("manager@demo.local", _none),
    "quote-approve.graphql": ("manager@demo.local", _quote_approve),
    "customer-quotes.graphql": ("customer@demo.local", _none),
    "customer-quote-accept.graphql": ("customer@demo.local", _quote_accept),
    "ticket-queue.graphql": ("service@demo.local", _queue),
    "ticket-detail.graphql": ("service@demo.local", _ticket),
    "ticket-sla-report.graphql": ("manager@demo.local", _sla_window),
    "customer-tickets.graphql": ("customer@demo.local", _none),
    "customer-ticket-open.graphql": ("customer@demo.local", _ticket_open),
    "customer-ticket-reply.graphql": ("customer@demo.local", _ticket_reply),
    "customer-delivery-change.graphql": ("customer@demo.local", _delivery_change),
    "satisfaction-report.graphql": ("manager@demo.local", _satisfaction),
    "survey-page.graphql": (None, _survey_token),
    "survey-answer.graphql": (None, _survey_answer),
    "campaign-list.graphql": (_MARKETING, _campaign_list),
    "campaign-report.graphql": ("analyst@demo.local", _campaign_report),
    "campaign-create.graphql": (_MARKETING, _campaign_create),
    "campaign-schedule.graphql": (_MARKETING, _campaign_schedule),
    "export-create.graphql": ("analyst@demo.local", _export_create),
    "export-job.graphql": ("analyst@demo.local", _export_job),
    "export-jobs.graphql": ("analyst@demo.local", _first_page),
    # the mobile apps' lean screens and offline writes (docs/architecture.md#offline-writes-
    # and-push); their response sizes: tests/contract/test_mobile_responses.py
    "mobile/my-customers.graphql": ("sales@demo.local", _none),
    "mobile/my-agenda.graphql": ("sales@demo.local", _agenda),
    "mobile/order-status.graphql": ("customer@demo.local", _none),
    "mobile/shipment-tracking.graphql": ("customer@demo.local", _none),
    "mobile/offline-push.graphql": ("sales@demo.local", _offline_push),
    "mobile/device-register.graphql": ("sales@demo.local", _device_register),
    # the staff consignor stock screen (docs/architecture.md#consignors)
    "consignors/consignor-stock.graphql": ("manager@demo.local", _consignor_stock),
    "consignors/consignor-receive.graphql": ("warehouse@demo.local", _consignor_receive),
    # consignors' delivery orders, freight and delivery plans
    # (docs/architecture.md#delivery-orders-and-plans)
    "consignors/delivery-orders.graphql": ("manager@demo.local", _delivery_orders),
    "consignors/delivery-order-bulk-create.graphql": ("service@demo.local", _delivery_bulk),
    "consignors/delivery-plans.graphql": ("manager@demo.local", _first_page),
    "consignors/delivery-plan-create.graphql": ("service@demo.local", _plan_create),
    "consignors/delivery-plan-pause.graphql": ("manager@demo.local", _plan_pause),
    "consignors/consignor-freight-agreement-set.graphql": ("finance@demo.local",
                                                           _freight_set),
    "consignors/delivery-change-request.graphql": ("service@demo.local", _consignee_change),
    # failed-delivery follow-up and consignor reports (docs/architecture.md#consignor-reports)
    "consignors/consignor-follow-ups.graphql": ("logistics@demo.local", _follow_ups),
    "consignors/consignor-follow-up-record.graphql": ("service@demo.local",
                                                      _follow_up_record),
    "consignors/consignor-follow-up-resolve.graphql": ("service@demo.local",
                                                       _follow_up_resolve),
    "consignors/consignor-report.graphql": ("manager@demo.local", _consignor_report),
    # the consignor portal's screens, as the demo consignor CSG-001 (its own rows only)
    "consignors/portal-my-stock.graphql": ("consignor@demo.local", _none),
    "consignors/portal-my-movements.graphql": ("consignor@demo.local", _portal_movements),
    "consignors/portal-delivery-orders.graphql": ("consignor@demo.local", _none),
    "consignors/portal-tracking.graphql": ("consignor@demo.local", _none),
    "consignors/portal-exceptions.graphql": ("consignor@demo.local", _none),
}


@pytest.fixture(scope="module")
def demo() -> Any:
    with seeded() as d:
        yield d


@pytest.fixture(scope="module")
async def session(demo: Demo, settings) -> AsyncIterator[Session]:  # noqa: ANN001
    from schema.asgi import create_app

    app = create_app(settings=replace(settings, database_url=demo.url), db=demo.runner.db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://contract") as client:
        client_session = Session(client)
        client_session.demo, client_session.settings = demo, app.state.crm.settings
        yield client_session


def _files() -> list[str]:
    return sorted(p.relative_to(OPERATIONS).as_posix() for p in OPERATIONS.rglob("*.graphql"))


def test_every_operation_has_a_case():
    assert set(_files()) == set(CASES), "add new operations to CASES"


@pytest.mark.parametrize("name", _files())
def test_operation_is_valid_against_the_schema(name: str):
    document = parse((OPERATIONS / name).read_text())
    errors = validate(schema._schema, document)
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize("name", _files())
async def test_operation_runs_on_demo_data(session: Session, name: str):
    who, variables = CASES[name]
    token = (await session.login(who))["accessToken"] if who else None
    body = await session.post((OPERATIONS / name).read_text(), await variables(session), token)
    assert not body.get("errors"), body.get("errors")
    data = body["data"]
    assert data and all(value is not None for value in data.values()), data
    payload = next(iter(data.values()))
    if isinstance(payload, dict) and "userErrors" in payload:
        assert payload["userErrors"] == []
