"""Helpers for order tests: catalog/stock rows through the real services, GraphQL steps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from app.audit.models import AuditRecord
from app.catalog import service as catalog_service
from app.events.models import OutboxEvent
from app.ids import from_global_id, to_global_id
from app.inventory import service as inventory_service
from app.inventory import stock_service
from app.inventory.models import StockLevel, StockMovement
from tests.support import Api, Factory, unique

ORDER = """
fragment O on Order {
  id number status version currency paymentMethod paymentStatus channel externalId notes
  holdReason closeReason priority promisedDate scheduledDate rating feedback shipRegion
  shipRecipient shipPhone shipAddress
  subtotal { amount currency } discountTotal { amount } total { amount } paidTotal { amount }
  lines { id sku name quantity unitPrice { amount } discountRate lineTotal { amount }
          quantityShipped quantityDelivered quantityReturned }
  allocations { orderLineId quantity quantityShipped warehouse { id code } }
  availableActions { action enabled reason }
}"""
ERRORS = "userErrors { field message code }"

CREATE = ORDER + """
mutation($input: OrderCreateInput!) { orderCreate(input: $input) { order { ...O } ERRORS } }
""".replace("ERRORS", ERRORS)

# mutation name -> extra argument declarations
STEP_ARGS = {
    "orderSubmit": {}, "orderApprove": {}, "orderRelease": {}, "orderStartFulfillment": {},
    "orderComplete": {}, "orderReject": {"reason": "String!"}, "orderHold": {"reason": "String!"},
    "orderCancel": {"reason": "String!"},
    "orderSchedule": {"scheduledDate": "Date", "promisedDate": "Date", "warehouseId": "ID"},
    "orderConfirmDelivery": {"rating": "Int", "comment": "String"},
}


def step_query(name: str) -> str:
    extra = STEP_ARGS[name]
    decl = "".join(f", ${k}: {t}" for k, t in extra.items())
    args = "".join(f", {k}: ${k}" for k in extra)
    return ORDER + f"""
mutation($id: ID!{decl}) {{ {name}(id: $id{args}) {{ order {{ ...O }} {ERRORS} }} }}"""


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)


def pk(global_id: str) -> int:
    return from_global_id(global_id)[1]


class Kit:
    """Builds catalog, stock and customers, and drives orders through the API."""

    def __init__(self, api: Api, factory: Factory) -> None:
        self.api = api
        self.factory = factory

    # rows through the real services ------------------------------------------
    def product(self, price: str = "100.00", **data: Any) -> Any:
        values = {"sku": unique("SKU-"), "name": unique("茶叶 "), "price": Decimal(price),
                  "cost": Decimal("1.00"), **data}
        return self.factory.write(catalog_service.create_product, values)

    def warehouse(self, region: str = "华东", **data: Any) -> Any:
        values = {"code": unique("WH"), "name": unique("仓库 "), "region": region, **data}
        return self.factory.write(inventory_service.create_warehouse, values)

    def stock(self, product: Any, warehouse: Any, quantity: int) -> None:
        self.factory.write(stock_service.receive_stock, product.id, warehouse.id, quantity,
                           "test setup")

    def customer(self, **data: Any) -> Any:
        return self.factory.customer(**{"region": "华东", **data})

    # the API ---------------------------------------------------------------
    async def create(self, token: str, customer: Any, items: list[tuple[Any, int]],
                     **extra: Any) -> dict[str, Any]:
        """orderCreate; returns the payload (order + userErrors). `extra` may replace lines."""
        inp = {"customerId": gid("Customer", customer.id), "channel": "SALES_REP",
               "lines": [{"productId": gid("Product", p.id), "quantity": q} for p, q in items],
               **extra}
        return (await self.api.ok(CREATE, {"input": inp}, token))["orderCreate"]

    async def order(self, token: str, customer: Any, items: list[tuple[Any, int]],
                    **extra: Any) -> dict[str, Any]:
        payload = await self.create(token, customer, items, **extra)
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload["order"]

    async def step(self, name: str, order_id: str, token: str, **args: Any) -> dict[str, Any]:
        data = await self.api.ok(step_query(name), {"id": order_id, **args}, token)
        return data[name]

    async def ok_step(self, name: str, order_id: str, token: str, **args: Any) -> dict:
        payload = await self.step(name, order_id, token, **args)
        assert payload["userErrors"] == [], (name, payload["userErrors"])
        return payload["order"]

    # database checks ---------------------------------------------------------
    def read(self, fn: Any) -> Any:
        return self.factory.runner.read_sync(fn, (), {})

    def levels(self, product: Any) -> dict[int, StockLevel]:
        def fetch(session: Session) -> dict[int, StockLevel]:
            rows = session.exec(select(StockLevel).where(StockLevel.product_id == product.id))
            return {r.warehouse_id: r for r in rows}
        return self.read(fetch)

    def reserved(self, product: Any) -> int:
        return sum(level.reserved for level in self.levels(product).values())

    def assert_ledger_consistent(self, product: Any) -> None:
        """Movement deltas add up to every stock level's on hand and reserved."""
        def fetch(session: Session) -> list[StockMovement]:
            return list(session.exec(select(StockMovement).where(
                StockMovement.product_id == product.id)))
        moves = self.read(fetch)
        for wid, level in self.levels(product).items():
            mine = [m for m in moves if m.warehouse_id == wid]
            assert sum(m.on_hand_delta for m in mine) == level.on_hand, (wid, level)
            assert sum(m.reserved_delta for m in mine) == level.reserved, (wid, level)

    def outbox(self, topic: str, order_pk: int) -> list[dict]:
        def fetch(session: Session) -> list[dict]:
            rows = session.exec(select(OutboxEvent).where(OutboxEvent.topic == topic)
                                .order_by(OutboxEvent.id))
            return [r.payload for r in rows if (r.payload or {}).get("order_id") == order_pk]
        return self.read(fetch)

    def audits(self, order_pk: int) -> list[AuditRecord]:
        def fetch(session: Session) -> list[AuditRecord]:
            return list(session.exec(select(AuditRecord).where(
                AuditRecord.entity_type == "Order", AuditRecord.entity_id == order_pk)
                .order_by(AuditRecord.id)))
        return self.read(fetch)


_BACKGROUND = ("notification", "outbox_event", "pg_advisory")


def query_statements(db: Any) -> list[str]:
    """Statements counted since db.counter.reset(), minus those of background workers
    (notification dispatch, outbox relay) that other tests may have left running."""
    with db.counter.lock:
        statements = list(db.counter.statements)
    return [s for s in statements if not any(word in s for word in _BACKGROUND)]


def actions(order: dict) -> dict[str, tuple[bool, str | None]]:
    return {a["action"]: (a["enabled"], a["reason"]) for a in order["availableActions"]}
