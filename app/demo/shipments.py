"""Demo shipments and carrier tracking for orders that reached fulfilment.

Which parcels exist follows the order's history: one parcel at SHIPPED, two when the
order went PARTIALLY_SHIPPED -> SHIPPED, one partial parcel for PARTIALLY_SHIPPED
orders, and a label-only CREATED parcel for some orders still in fulfilment. Each
parcel's carrier service, cost, charge and cash on delivery follow the shipping rules
(app/demo/quotes.py).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from app.demo import catalog_data as cd
from app.demo import quotes
from app.demo.masterdata import CustomerPlan, mobile, pick
from app.demo.orders import OrderPlan, ShipmentPlan
from app.shipping.service import apply_status

_IN_FLIGHT = [("PICKED_UP", 12), ("IN_TRANSIT", 45), ("OUT_FOR_DELIVERY", 18),
              ("FAILED_ATTEMPT", 8), ("EXCEPTION", 10)]
_EXCEPTIONS = ["天气原因延误 Delayed by weather", "外包装破损，待核实 Parcel damaged",
               "地址不详，联系收件人中 Address problem", "收件人拒收 Refused by recipient"]
_SIGNED = ["本人", "前台", "快递柜", "门卫", "同事"]
_COURIERS = ["王师傅", "李师傅", "张师傅", "刘师傅", "陈师傅"]


class Numbers:
    """Unique shipment and tracking numbers drawn from the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set[str] = set()

    def draw(self, prefix: str, digits: int) -> str:
        while True:
            value = f"{prefix}{self.rng.randrange(10 ** (digits - 1), 10 ** digits)}"
            if value not in self.seen:
                self.seen.add(value)
                return value

    def shipment(self, at: datetime) -> str:
        while True:
            value = f"SH{at:%y%m%d}-{self.rng.getrandbits(24):06X}"
            if value not in self.seen:
                self.seen.add(value)
                return value


def _steps(rng: random.Random, final: str) -> list[str]:
    """The scans a parcel went through to reach `final`."""
    full = ["PICKED_UP", "IN_TRANSIT", "IN_TRANSIT", "OUT_FOR_DELIVERY"]
    if final == "DELIVERED":
        retry = ["FAILED_ATTEMPT", "OUT_FOR_DELIVERY"] if rng.random() < 0.1 else []
        return [*full, *retry, "DELIVERED"]
    if final == "EXCEPTION":
        return ["PICKED_UP", "IN_TRANSIT", "EXCEPTION"]
    if final == "FAILED_ATTEMPT":
        return [*full, "FAILED_ATTEMPT"]
    return full[: {"PICKED_UP": 1, "IN_TRANSIT": 3, "OUT_FOR_DELIVERY": 4}[final]]


def _describe(rng: random.Random, status: str, hop: int, origin: str, dest: str,
              district: str) -> tuple[str, str]:
    """(location, description) of one scan."""
    if status == "PICKED_UP":
        return f"{origin}仓揽收点", "快件已揽收 Picked up by carrier"
    if status == "IN_TRANSIT":
        if hop == 0:
            return f"{origin}转运中心", f"快件已发往{dest} Departed {origin} hub"
        return f"{dest}转运中心", f"快件已到达{dest}转运中心 Arrived at {dest} hub"
    if status == "OUT_FOR_DELIVERY":
        courier = f"{rng.choice(_COURIERS)} {mobile(rng)}"
        return f"{dest}{district}营业点", f"快递员{courier}正在派送 Out for delivery"
    if status == "FAILED_ATTEMPT":
        return f"{dest}{district}营业点", "收件人不在，已预约再次派送 Recipient absent"
    if status == "EXCEPTION":
        return f"{dest}转运中心", rng.choice(_EXCEPTIONS)
    return f"{dest}{district}", f"已签收，签收人：{rng.choice(_SIGNED)} Delivered"


def _track(rng: random.Random, ship: ShipmentPlan, final: str, end: datetime,
           origin: str, dest: str, district: str) -> None:
    steps = _steps(rng, final)
    start = ship.shipped_at
    gap = (end - start) / max(len(steps) - 1, 1)
    hop = 0
    for n, status in enumerate(steps):
        at = start if n == 0 else end if n == len(steps) - 1 else \
            start + gap * n + gap * rng.uniform(0, 0.3)
        location, description = _describe(rng, status, hop, origin, dest, district)
        hop += status == "IN_TRANSIT"
        ship.events.append({"status": status, "location": location,
                            "description": description, "occurred_at": at.replace(
                                microsecond=0)})
        apply_status(ship, status, ship.events[-1]["occurred_at"], description)


def _parcel(rng: random.Random, plan: OrderPlan, numbers: Numbers, region: str,
            lines: list[tuple[int, int]], dispatch: datetime | None, now: datetime,
            products: list[dict[str, Any]]) -> ShipmentPlan:
    """Labelled between the start of fulfilment and the dispatch (or now), packed before
    the dispatch; its service chosen when it was ready (packed, or labelled)."""
    fulfil = plan.times["IN_FULFILLMENT"]
    label = fulfil + ((dispatch or now) - fulfil) * rng.uniform(0.3, 0.8)
    label = label.replace(microsecond=0)
    packed = None if dispatch is None else \
        (label + (dispatch - label) * rng.uniform(0.2, 0.8)).replace(microsecond=0)
    quote, choice = quotes.choose_service(
        rng, quotes.parcel_of(plan, lines, products, region), packed or label)
    carrier = quote.service.carrier_id
    prefix, digits = cd.CARRIERS[carrier][5:]
    ship = ShipmentPlan(
        number=numbers.shipment(label), warehouse=plan.warehouse, carrier=carrier,
        tracking=numbers.draw(prefix, digits), status="CREATED", created_at=label,
        shipped_at=dispatch, delivered_at=None, exception_reason=None, lines=lines,
        estimated_delivery=quotes.arrival(quote, dispatch), packed_at=packed)
    quotes.price(ship, plan, quote, choice)
    return ship


def _split(rng: random.Random, plan: OrderPlan) -> tuple[list[tuple[int, int]],
                                                       list[tuple[int, int]]]:
    """Lines of the first parcel and of the rest (order has at least two lines)."""
    indexes = list(range(len(plan.lines)))
    first = set(rng.sample(indexes, rng.randint(1, len(indexes) - 1)))
    return ([(i, plan.lines[i].quantity) for i in indexes if i in first],
            [(i, plan.lines[i].quantity) for i in indexes if i not in first])


def plan_shipments(rng: random.Random, plan: OrderPlan, customer: CustomerPlan,
                   numbers: Numbers, now: datetime, products: list[dict[str, Any]]) -> None:
    """The order's parcels and their tracking up to `now` (products with parcel facts)."""
    times = plan.times
    everything = [(i, ln.quantity) for i, ln in enumerate(plan.lines)]
    parcels: list[tuple[list[tuple[int, int]], datetime | None]] = []
    if "PARTIALLY_SHIPPED" in times:
        first, rest = _split(rng, plan)
        parcels.append((first, times["PARTIALLY_SHIPPED"]))
        if "SHIPPED" in times:
            parcels.append((rest, times["SHIPPED"]))
    elif "SHIPPED" in times:
        parcels.append((everything, times["SHIPPED"]))
    elif plan.row["status"] == "IN_FULFILLMENT" and rng.random() < 0.4:
        parcels.append((everything, None))
    region = customer.row["region"]
    origin = cd.WAREHOUSES[plan.warehouse][3]
    dest = customer.place.short
    district = customer.ship_to["district"]
    for lines, dispatch in parcels:
        ship = _parcel(rng, plan, numbers, region, lines, dispatch, now, products)
        plan.shipments.append(ship)
        if dispatch is None:
            continue
        if "DELIVERED" in times:
            final, end = "DELIVERED", min(dispatch + timedelta(hours=rng.uniform(24, 72)),
                                          times["DELIVERED"])
        else:
            allowed = _IN_FLIGHT + ([("DELIVERED", 15)] if plan.row["status"] ==
                                    "PARTIALLY_SHIPPED" else [])
            final, end = pick(rng, allowed), dispatch + (now - dispatch) * rng.uniform(0.4, 0.95)
        _track(rng, ship, final, end, origin, dest, district)
        for index, qty in lines:
            plan.lines[index].shipped += qty
            if ship.status == "DELIVERED":
                plan.lines[index].delivered += qty
    quotes.settle(plan)
