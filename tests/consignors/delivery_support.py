"""Delivery orders and plans through the real services and the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from app.customers import service as customer_service
from app.delivery.models import DeliveryOrder
from app.orders.models import Order
from tests.consignors.support import consignor, goods, receive
from tests.orders.support import Kit, gid

ORDER_FIELDS = """reference created userErrors { field message code }
  deliveryOrder { id reference source freightCharge { amount } freightBasis freightQuantity
                  consignorId consigneeId }
  order { id status customer { id } shipRecipient shipAddress promisedDate
          lines { sku quantity } }"""
CREATE = f"""mutation($input: DeliveryOrderCreateInput!) {{ deliveryOrderCreate(input: $input) {{
  result {{ {ORDER_FIELDS} }} userErrors {{ field message code }} }} }}"""
LEAN_BULK = """mutation($input: DeliveryOrderBulkCreateInput!) {
  deliveryOrderBulkCreate(input: $input) { createdCount errorCount
    results { reference created } userErrors { field message code } } }"""
BULK = f"""mutation($input: DeliveryOrderBulkCreateInput!) {{
  deliveryOrderBulkCreate(input: $input) {{ createdCount errorCount
    results {{ {ORDER_FIELDS} }} userErrors {{ field message code }} }} }}"""


class Consignor:
    """A consignor with two products in stock and a consignee with a default address."""

    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.row = consignor(kit)
        self.warehouse = kit.warehouse()
        self.tee = goods(kit, self.row, weight_kg=Decimal("0.25"))
        self.cap = goods(kit, self.row, name="棒球帽", weight_kg=Decimal("0.10"))
        for p in (self.tee, self.cap):
            receive(kit, p, self.warehouse, 500, self.row)
        self.consignee = kit.customer(name="便利店 Consignee")
        kit.factory.write(customer_service.add_address, self.consignee.id, {
            "recipient": "王店长", "phone": "13900001111", "city": "杭州", "district": "西湖区",
            "line1": "文三路 1 号", "region": "华东"})

    @property
    def gid(self) -> str:
        return gid("Customer", self.row.id)

    def line(self, product: Any = None, quantity: int = 2) -> dict[str, Any]:
        return {"productId": gid("Product", (product or self.tee).id), "quantity": quantity}

    def order(self, reference: str, **extra: Any) -> dict[str, Any]:
        return {"reference": reference, "consigneeId": gid("Customer", self.consignee.id),
                "lines": [self.line()], **extra}


def delivery_rows(kit: Kit, consignor_id: int) -> list[DeliveryOrder]:
    def fetch(session: Session) -> list[DeliveryOrder]:
        return list(session.exec(select(DeliveryOrder).where(
            DeliveryOrder.consignor_id == consignor_id).order_by(DeliveryOrder.id)))
    return kit.read(fetch)


def orders_of(kit: Kit, customer_id: int) -> list[Order]:
    def fetch(session: Session) -> list[Order]:
        return list(session.exec(select(Order).where(Order.customer_id == customer_id)))
    return kit.read(fetch)
