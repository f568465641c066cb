"""Carrier and quote test worlds: carriers, services and rate rules made through the real
carrier service (as SYSTEM), orders placed and approved through the API, and the GraphQL
documents of carrier administration and shipping quotes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

from app.shipping import carriers
from tests.orders.support import Kit, gid
from tests.support import unique

ROLES = ("ADMIN", "MANAGER", "SALES", "CUSTOMER_SERVICE", "WAREHOUSE", "LOGISTICS", "FINANCE",
         "ANALYST", "CUSTOMER")
ERRORS = "userErrors { field message code }"
SERVICE_FIELDS = """id code name level isActive currency volumetricDivisor maxWeightKg
  maxDimensions { lengthCm widthCm heightCm } cutoffTime codSupported codFee { amount }
  coldChain carrier { code }
  rateRules { id originRegion destinationRegion baseFee { amount currency }
              perKgFee { amount } transitDays }"""

QUOTES = """query($o: ID!, $w: ID!, $at: DateTime, $s: ID) {
  shippingQuotes(orderId: $o, warehouseId: $w, readyAt: $at, serviceId: $s) {
    originRegion destinationRegion promisedDate cashOnDelivery coldChain weightKg volumeCm3
    readyAt items { sku quantity weightKg coldChain }
    quotes { carrier { code } service { id code level } price { amount currency }
             weightKg volumetricWeightKg billableWeightKg pickupDate estimatedDelivery
             eligible canCarry reasons { code message }
             rateRule { originRegion destinationRegion transitDays } }
    recommended { service { code } price { amount } }
    recommendation customerCharge { amount currency } customerChargeReason
  } }"""
DAY0 = date(2030, 7, 2)  # a Tuesday in the future: orders refuse promised dates in the past
READY = f"{DAY0}T09:00:00+08:00"  # that morning in Shanghai, before any cutoff


def day(n: int) -> str:
    """The ISO date n days after DAY0."""
    return (DAY0 + timedelta(days=n)).isoformat()


def make_carrier(factory: Any, **data: Any) -> Any:
    values = {"code": unique("LC"), "name": unique("测试快运 "), **data}
    return factory.write(carriers.create_carrier, values)


def make_service(factory: Any, carrier: Any, lanes: list[tuple[str, str, str, str, int]],
                 **data: Any) -> Any:
    """A service with rate rules given as (origin, destination, base fee, per kg, days)."""
    values = {"code": unique("S"), "name": unique("服务 "), "level": "STANDARD", **data}
    row = factory.write(carriers.create_service, carrier.id, values)
    for origin, destination, base, per_kg, days in lanes:
        factory.write(carriers.set_rate_rule, row.id, {
            "origin_region": origin, "destination_region": destination,
            "base_fee": Decimal(base), "per_kg_fee": Decimal(per_kg), "transit_days": days})
    return row


@dataclass
class QuoteWorld:
    """A warehouse in a region of its own shipping to another region of its own (so that
    other tests' services never serve the lane), an express and an economy service, and a
    confirmed order with its stock reserved there."""

    kit: Kit
    origin: str
    destination: str
    warehouse: Any
    box: Any
    express: Any
    economy: Any
    order: dict[str, Any]

    def variables(self, **extra: Any) -> dict[str, Any]:
        return {"o": self.order["id"], "w": gid("Warehouse", self.warehouse.id), "at": READY,
                **extra}


def box(kit: Kit, **data: Any) -> Any:
    """1.5 kg, 30 x 20 x 20 cm: two are 3 kg actual, 4 kg volumetric at 6000."""
    return kit.product(price="100.00", weight_kg=Decimal("1.50"), length_cm=Decimal("30"),
                       width_cm=Decimal("20"), height_cm=Decimal("20"), **data)


async def placed(kit: Kit, customer: Any, items: list[tuple[Any, int]], region: str,
                 **extra: Any) -> dict[str, Any]:
    """An order created, submitted and approved through the API (stock reserved)."""
    admin = kit.factory.user("ADMIN")
    order = await kit.order(admin.token, customer, items, submit=True, shipTo={
        "recipient": "张三", "address": "北京市朝阳区建国路1号", "region": region}, **extra)
    return await kit.ok_step("orderApprove", order["id"], admin.token)


async def quote_world(kit: Kit, *, promised: str | None = day(2), quantity: int = 2,
                      customer: Any = None, **order: Any) -> QuoteWorld:
    origin, destination = unique("华东-"), unique("华北-")
    warehouse = kit.warehouse(region=origin)
    item = box(kit)
    kit.stock(item, warehouse, 50)
    carrier = make_carrier(kit.factory, regions=[origin, destination])
    express = make_service(
        kit.factory, carrier, [(origin, destination, "20", "5", 1)], level="EXPRESS",
        cutoff_time=time(16, 0), max_weight_kg=Decimal("30"), max_length_cm=Decimal("100"),
        max_width_cm=Decimal("60"), max_height_cm=Decimal("60"), cod_supported=True,
        cod_fee=Decimal("3"))
    economy = make_service(kit.factory, carrier, [("*", destination, "8", "1", 4)],
                           level="ECONOMY")
    placed_order = await placed(kit, customer or kit.customer(), [(item, quantity)],
                                destination, promisedDate=promised, **order)
    return QuoteWorld(kit, origin, destination, warehouse, item, express, economy,
                      placed_order)


def mine(payload: dict[str, Any], *services: Any) -> dict[str, dict[str, Any]]:
    """The quotes of the given services, by service code (other tests' services are there
    too: every active service of every active carrier is quoted)."""
    codes = {s.code for s in services}
    return {q["service"]["code"]: q for q in payload["quotes"] if q["service"]["code"] in codes}
