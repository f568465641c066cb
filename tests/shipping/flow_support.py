"""The shipment workflow through the API: two warehouses in regions of their own, a carrier
with an express and an economy service from both, and GraphQL documents of the dispatcher's
steps (tests/shipping/test_workflow_api.py, test_loop.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.orders.support import Kit, gid
from tests.shipping.quote_support import make_carrier, make_service
from tests.support import unique

ERRORS = "userErrors { field message code }"
SHIPMENT = """fragment S on Shipment { id number status trackingNumber promisedDate
  estimatedDelivery charge { amount } codAmount { amount } codCollected { amount }
  shippedAt deliveredAt acceptedAt failedAttempts
  recipient { name region } warehouse { id } carrier { code }
  lines { quantity orderLine { id sku } }
  availableActions { action allowed reason } }"""
STAFF_SHIPMENT = SHIPMENT.replace("fragment S on Shipment {", """fragment S on Shipment {
  cost { amount } billableWeightKg service { code }
  carrierChoice { reason chosen { serviceCode price eligible }
                  alternatives { serviceCode eligible reasons } }""")

CREATE_ALL = STAFF_SHIPMENT + """
mutation($o: ID!, $s: ID) { orderCreateShipments(orderId: $o, serviceId: $s) {
  shipments { ...S } ERRORS } }""".replace("ERRORS", ERRORS)
CREATE = STAFF_SHIPMENT + """
mutation($i: ShipmentCreateInput!) { shipmentCreate(input: $i) { shipment { ...S } ERRORS } }
""".replace("ERRORS", ERRORS)
PACK = SHIPMENT + """
mutation($id: ID!, $p: [ShipmentParcelInput!]!) { shipmentPack(id: $id, parcels: $p) {
  shipment { ...S } ERRORS } }""".replace("ERRORS", ERRORS)
DISPATCH = SHIPMENT + """
mutation($id: ID!) { shipmentDispatch(id: $id) { shipment { ...S } ERRORS } }""".replace(
    "ERRORS", ERRORS)
CANCEL = SHIPMENT + """
mutation($id: ID!, $r: String!) { shipmentCancel(id: $id, reason: $r) { shipment { ...S }
  ERRORS } }""".replace("ERRORS", ERRORS)
TRACK = SHIPMENT + """
mutation($id: ID!, $i: TrackingEventInput!) { trackingEventRecord(shipmentId: $id, input: $i) {
  shipment { ...S } trackingEvent { status occurredAt } duplicate ERRORS } }""".replace(
    "ERRORS", ERRORS)
DELIVER = SHIPMENT + """
mutation($id: ID!, $i: ShipmentDeliveryInput!) { shipmentConfirmDelivery(id: $id, input: $i) {
  shipment { ...S } ERRORS } }""".replace("ERRORS", ERRORS)
CUSTOMER_VIEW = """query($id: ID!) { shipment(id: $id) { number status trackingNumber
  estimatedDelivery trackingEvents { status location } cost { amount } } }"""


@dataclass
class Network:
    kit: Kit
    east: Any  # warehouse, tea in stock
    south: Any  # warehouse, cups in stock
    destination: str
    tea: Any
    cup: Any
    express: Any
    economy: Any
    carrier: Any


def network(kit: Kit, stock: int = 20) -> Network:
    """Express (1 day, 20 + 5/kg) and economy (5 days, 8 + 1/kg) from both warehouses to a
    destination region of its own; tea only in the east, cups only in the south."""
    east, south = kit.warehouse(region=unique("华东-")), kit.warehouse(region=unique("华南-"))
    destination = unique("华北-")
    tea = kit.product(price="50.00", weight_kg=Decimal("1.00"))
    cup = kit.product(price="30.00", weight_kg=Decimal("0.50"))
    kit.stock(tea, east, stock)
    kit.stock(cup, south, stock)
    carrier = make_carrier(kit.factory, name=unique("顺丰速运 "))
    lanes = [(east.region, destination), (south.region, destination)]
    express = make_service(kit.factory, carrier, [(o, d, "20", "5", 1) for o, d in lanes],
                           level="EXPRESS", cod_supported=True, cod_fee=Decimal("2"))
    economy = make_service(kit.factory, carrier, [(o, d, "8", "1", 5) for o, d in lanes],
                           level="ECONOMY", cod_supported=True)
    return Network(kit, east, south, destination, tea, cup, express, economy, carrier)


def promised(days: int = 3) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


async def placed(net: Network, customer: Any, items: list[tuple[Any, int]],
                 promise: str | None = None, **extra: Any) -> dict[str, Any]:
    """An order made by a MANAGER, approved by FINANCE (stock reserved) through the API."""
    kit = net.kit
    order = await kit.order(kit.factory.user("MANAGER").token, customer, items, submit=True,
                            promisedDate=promise or promised(), shipTo={
                                "recipient": "李四", "address": "北京市海淀区中关村大街1号",
                                "region": net.destination, "phone": "13900000000"}, **extra)
    return await kit.ok_step("orderApprove", order["id"], kit.factory.user("FINANCE").token)


async def ok(api: Any, query: str, variables: dict[str, Any], token: str, name: str
             ) -> dict[str, Any]:
    payload = (await api.ok(query, variables, token))[name]
    assert payload["userErrors"] == [], (name, payload["userErrors"])
    return payload


def warehouse_gid(row: Any) -> str:
    return gid("Warehouse", row.id)
