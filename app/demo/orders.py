"""Demo orders as plain rows: status history, lines, payments and (via shipments.py)
shipments, all consistent with the order state machine and with each other."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.demo import people_data as pd
from app.demo.masterdata import PLACES, CustomerPlan, cents, pick

# Final statuses and how many orders end in each (1,000 in all).
STATUS_COUNTS: list[tuple[str, int]] = [
    ("DRAFT", 40), ("PENDING_REVIEW", 60), ("CONFIRMED", 70), ("SCHEDULED", 60),
    ("IN_FULFILLMENT", 60), ("PARTIALLY_SHIPPED", 40), ("SHIPPED", 90), ("DELIVERED", 120),
    ("COMPLETED", 350), ("ON_HOLD", 30), ("CANCELLED", 60), ("REJECTED", 20),
]
FLOW = ["DRAFT", "PENDING_REVIEW", "CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "SHIPPED",
        "DELIVERED", "COMPLETED"]
# Hours from the previous status to this one.
_STEP = {"PENDING_REVIEW": (0.1, 3), "CONFIRMED": (0.5, 20), "SCHEDULED": (1, 24),
         "IN_FULFILLMENT": (2, 30), "PARTIALLY_SHIPPED": (2, 12), "SHIPPED": (2, 24),
         "DELIVERED": (24, 96), "COMPLETED": (72, 240), "ON_HOLD": (1, 24),
         "CANCELLED": (1, 72), "REJECTED": (1, 24)}
# Hours between the last status change and the demo's "now": open orders are recent (their
# promised dates, 3 to 10 days after creation, fall around today, a few days past for some
# held ones), closed ones spread over the past months.
_SLACK = {"DRAFT": (0.2, 72), "PENDING_REVIEW": (0.5, 48), "CONFIRMED": (0.5, 24),
          "SCHEDULED": (1, 48), "IN_FULFILLMENT": (1, 24), "PARTIALLY_SHIPPED": (6, 72),
          "SHIPPED": (6, 72), "DELIVERED": (2, 96), "COMPLETED": (1, 170 * 24),
          "ON_HOLD": (2, 240), "CANCELLED": (1, 150 * 24), "REJECTED": (1, 150 * 24)}
# The order history event type written for reaching each status (app/orders/history.py).
EVENT_TYPES = {"PENDING_REVIEW": "SUBMITTED", "CONFIRMED": "APPROVED", "SCHEDULED": "SCHEDULED",
               "IN_FULFILLMENT": "FULFILLMENT_STARTED", "PARTIALLY_SHIPPED": "PARTIALLY_SHIPPED",
               "SHIPPED": "SHIPPED", "DELIVERED": "DELIVERED", "COMPLETED": "COMPLETED",
               "ON_HOLD": "HELD", "CANCELLED": "CANCELLED", "REJECTED": "REJECTED"}
RESERVED_STATES = {"CONFIRMED", "SCHEDULED", "IN_FULFILLMENT", "PARTIALLY_SHIPPED", "SHIPPED",
                   "DELIVERED", "COMPLETED"}
_CHANNELS = [("WEB", 30), ("MOBILE", 15), ("SALES_REP", 25), ("PHONE", 10), ("EMAIL", 8),
             ("MARKETPLACE", 8), ("EDI", 4)]
_ACTORS = {"PENDING_REVIEW": None, "CONFIRMED": "finance@demo.local",
           "REJECTED": "manager@demo.local", "ON_HOLD": "finance@demo.local",
           "DELIVERED": "logistics@demo.local", "COMPLETED": None}
_METHODS = {"PREPAID": "PREPAID", "CASH_ON_DELIVERY": "CASH_ON_DELIVERY",
            "NET_30": "CREDIT_TERMS", "NET_60": "CREDIT_TERMS"}


@dataclass
class LinePlan:
    product: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    discount_rate: Decimal
    line_total: Decimal
    shipped: int = 0
    delivered: int = 0


@dataclass
class ShipmentPlan:
    number: str
    warehouse: int
    carrier: int
    tracking: str
    status: str
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    estimated_delivery: Any
    exception_reason: str | None
    lines: list[tuple[int, int]]  # (index into OrderPlan.lines, quantity)
    events: list[dict[str, Any]] = field(default_factory=list)
    # the carrier service (index into carriers.SERVICE_SPECS), by the shipping rules
    service: int | None = None
    packed_at: datetime | None = None
    promised_date: date | None = None
    billable_weight_kg: Decimal | None = None
    carrier_choice: dict | None = None
    cost: Decimal = Decimal("0.00")
    charge: Decimal = Decimal("0.00")
    cod_amount: Decimal = Decimal("0.00")
    cod_collected: Decimal | None = None
    cod_collected_at: datetime | None = None
    recipient: dict[str, str] = field(default_factory=dict)  # the Shipment recipient_* columns


@dataclass
class OrderPlan:
    row: dict[str, Any]
    customer: int
    warehouse: int
    lines: list[LinePlan]
    times: dict[str, datetime]
    created_by: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[ShipmentPlan] = field(default_factory=list)

    @property
    def reserved(self) -> bool:
        return "CONFIRMED" in self.times

    @property
    def released(self) -> bool:
        return self.reserved and self.row["status"] == "CANCELLED"


def _hours(rng: random.Random, span: tuple[float, float]) -> timedelta:
    return timedelta(seconds=int(rng.uniform(*span) * 3600))


def _path(rng: random.Random, final: str, line_count: int) -> list[str]:
    if final in FLOW:
        path = FLOW[:FLOW.index(final) + 1]
    elif final == "PARTIALLY_SHIPPED":
        path = [*FLOW[:5], final]
    elif final == "REJECTED":
        path = [*FLOW[:2], final]
    else:  # held or cancelled somewhere before fulfilment
        path = [*FLOW[:rng.choice([2, 3, 3, 4] if final == "ON_HOLD" else [1, 2, 3, 3, 4])],
                final]
    if "SHIPPED" in path and line_count >= 2 and rng.random() < 0.15:  # two parcels
        path.insert(path.index("SHIPPED"), "PARTIALLY_SHIPPED")
    return path


def _timeline(rng: random.Random, path: list[str], now: datetime) -> dict[str, datetime]:
    steps = [_hours(rng, _STEP[s]) for s in path[1:]]
    start = now - _hours(rng, _SLACK[path[-1]]) - sum(steps, timedelta())
    times, at = {path[0]: start}, start
    for status, step in zip(path[1:], steps, strict=True):
        at += step
        times[status] = at
    return times


def _quantity(rng: random.Random, price: Decimal) -> int:
    if price < 30:
        return rng.randint(5, 60)
    if price < 200:
        return rng.randint(1, 20)
    return rng.randint(1, 8) if price < 1000 else rng.randint(1, 3)


def _lines(rng: random.Random, products: list[dict[str, Any]], discount: Decimal,
           count: int, old: bool) -> list[LinePlan]:
    pool = [i for i, p in enumerate(products) if old or p["is_active"]]
    out = []
    for index in sorted(rng.sample(pool, count)):
        p = products[index]
        qty = _quantity(rng, p["price"])
        total = cents(Decimal(qty) * p["price"] * (1 - discount))
        out.append(LinePlan(index, p["sku"], p["name"], qty, p["price"], discount, total))
    return out


def format_address(address: dict[str, Any], language: str) -> str:
    """One line, as printed on a parcel label."""
    if language == "zh":
        province = "" if address["province"] == address["city"] else address["province"]
        return (f"{province}{address['city']}{address['district']}{address['line1']}"
                f"{address['line2']}")
    place = next(p for p in PLACES if p.city == address["city"])
    area = place.city_en if place.city_en == place.province_en else \
        f"{place.city_en}, {place.province_en}"
    return f"{address['line2']}, {address['line1']}, {area} {address['postal_code']}"


def _creator(rng: random.Random, channel: str, customer_index: int, owner: str | None
             ) -> str | None:
    if channel == "SALES_REP":
        return owner or "service@demo.local"
    if channel in ("PHONE", "EMAIL"):
        return "service@demo.local"
    if customer_index == 0 and channel in ("WEB", "MOBILE"):
        return "customer@demo.local"
    return None


def _base_row(rng: random.Random, c: CustomerPlan, final: str, path: list[str],
              times: dict[str, datetime], channel: str, externals: set[str]) -> dict[str, Any]:
    language = c.row["language"]
    ship = c.ship_to
    created = times["DRAFT"]
    external = None
    while channel in ("MARKETPLACE", "EDI") and (external is None or external in externals):
        external = (f"TM{rng.randrange(10**15, 10**16)}" if channel == "MARKETPLACE"
                    else f"EDI-{rng.randrange(10**7, 10**8)}")
    if external:
        externals.add(external)
    notes = pd.ORDER_NOTES_EN if language == "en" else pd.ORDER_NOTES_ZH
    return {
        "channel": channel, "external_id": external, "status": final,
        "status_before_hold": path[-2] if final == "ON_HOLD" else None,
        "payment_method": _METHODS[c.row["payment_terms"]], "currency": "CNY",
        "ship_recipient": ship["recipient"], "ship_phone": ship["phone"],
        "ship_region": ship["region"], "ship_address": format_address(ship, language),
        "notes": rng.choice(notes) if rng.random() < 0.2 else "",
        "hold_reason": rng.choice(pd.HOLD_REASONS) if final == "ON_HOLD" else None,
        "close_reason": (rng.choice(pd.CANCEL_REASONS) if final == "CANCELLED" else
                         rng.choice(pd.REJECT_REASONS) if final == "REJECTED" else None),
        "priority": 1 if rng.random() < 0.1 else 0,
        "promised_date": (created + timedelta(days=rng.randint(3, 10))).date(),
        "scheduled_date": ((times["SCHEDULED"] + timedelta(days=rng.randint(1, 3))).date()
                           if "SCHEDULED" in times else None),
        "created_at": created, "updated_at": max(times.values()),
        "confirmed_at": times.get("CONFIRMED"), "shipped_at": times.get("SHIPPED"),
        "delivered_at": times.get("DELIVERED"), "completed_at": times.get("COMPLETED"),
        "version": len(path),
    }


def _history(plan: OrderPlan, path: list[str], warehouse_actor: str) -> None:
    first = plan.times["DRAFT"]
    plan.events.append({"type": "CREATED", "from_status": None, "to_status": None,
                        "actor": plan.created_by, "message": "订单已创建 Order created",
                        "created_at": first})
    for prev, status in zip(path, path[1:], strict=False):
        actor = _ACTORS.get(status, warehouse_actor)
        if status in ("PENDING_REVIEW", "CANCELLED"):
            actor = plan.created_by or "service@demo.local"
        message = plan.row.get("hold_reason") if status == "ON_HOLD" else \
            plan.row.get("close_reason") if status in ("CANCELLED", "REJECTED") else ""
        plan.events.append({"type": EVENT_TYPES[status], "from_status": prev,
                            "to_status": status, "actor": actor, "message": message or "",
                            "created_at": plan.times[status]})


def _pay(plan: OrderPlan, kind: str, method: str, amount: Decimal, at: datetime,
         reference: str) -> None:
    plan.payments.append({"kind": kind, "method": method, "amount": amount, "currency": "CNY",
                          "reference": reference, "created_at": at,
                          "actor": "finance@demo.local"})


def _payments(rng: random.Random, plan: OrderPlan, terms: str, now: datetime) -> None:
    row, times, total = plan.row, plan.times, plan.row["total"]
    ref = f"PAY{rng.randrange(10**11, 10**12)}"
    method = row["payment_method"]
    if method == "PREPAID" and plan.reserved:
        at = times["PENDING_REVIEW"] + (times["CONFIRMED"] - times["PENDING_REVIEW"]) * 0.3
        _pay(plan, "PAYMENT", method, total, at, ref)
        if plan.released:
            _pay(plan, "REFUND", method, total, times["CANCELLED"], ref + "-R")
    elif method == "CASH_ON_DELIVERY" and "DELIVERED" in times:
        _pay(plan, "PAYMENT", method, total, times["DELIVERED"], ref)
    elif method == "CREDIT_TERMS" and "DELIVERED" in times:
        term = 60 if terms == "NET_60" else 30
        full = times["DELIVERED"] + timedelta(days=rng.uniform(term * 0.3, term))
        half = times["DELIVERED"] + timedelta(days=rng.uniform(3, 12))
        if full <= now and rng.random() < 0.9:
            _pay(plan, "PAYMENT", "BANK_TRANSFER", total, full, ref)
        elif half <= now and rng.random() < 0.5:
            _pay(plan, "PAYMENT", "BANK_TRANSFER", cents(total / 2), half, ref)
    paid = sum((p["amount"] for p in plan.payments if p["kind"] == "PAYMENT"), Decimal(0))
    refunded = sum((p["amount"] for p in plan.payments if p["kind"] == "REFUND"), Decimal(0))
    row["paid_total"], row["refunded_total"] = paid, refunded
    row["payment_status"] = ("REFUNDED" if refunded and refunded >= paid else
                             "PAID" if paid >= total > 0 else
                             "PARTIALLY_PAID" if paid else "UNPAID")


def build_order(rng: random.Random, final: str, customers: list[CustomerPlan],
                customer_index: int, products: list[dict[str, Any]],
                warehouse_regions: list[str], sales: list[str], externals: set[str],
                now: datetime) -> OrderPlan:
    c = customers[customer_index]
    count = pick(rng, [(1, 30), (2, 28), (3, 20), (4, 12), (5, 10)])
    if final == "PARTIALLY_SHIPPED":
        count = max(count, 2)
    old = final in ("COMPLETED", "CANCELLED", "REJECTED")
    lines = _lines(rng, products, c.row["discount_rate"], count, old)
    path = _path(rng, final, len(lines))
    times = _timeline(rng, path, now)
    channel = pick(rng, _CHANNELS)
    owner = sales[c.owner] if c.owner is not None else None
    row = _base_row(rng, c, final, path, times, channel, externals)
    home = warehouse_regions.index(c.row["region"])
    warehouse = home if rng.random() < 0.92 else rng.choice(
        [i for i in range(len(warehouse_regions)) if i != home])
    subtotal = sum((cents(Decimal(ln.quantity) * ln.unit_price) for ln in lines), Decimal(0))
    net = sum((ln.line_total for ln in lines), Decimal(0))
    shipping = Decimal("12.00") if net < 99 else Decimal("0.00")
    row.update(subtotal=subtotal, discount_total=subtotal - net, shipping_total=shipping,
               total=net + shipping)
    if final == "COMPLETED" and rng.random() < 0.3:
        row.update(rating=rng.randint(3, 5), feedback=rng.choice(pd.FEEDBACK))
    plan = OrderPlan(row=row, customer=customer_index, warehouse=warehouse, lines=lines,
                     times=times, created_by=_creator(rng, channel, customer_index, owner))
    _history(plan, path, "warehouse@demo.local" if warehouse == 0 else "logistics@demo.local")
    _payments(rng, plan, c.row["payment_terms"], now)
    return plan


def build_orders(rng: random.Random, customers: list[CustomerPlan],
                 products: list[dict[str, Any]], warehouse_regions: list[str],
                 sales: list[str], now: datetime) -> list[OrderPlan]:
    """All orders, sorted by creation time (so numbers grow with time), each ending at most
    `now`."""
    finals = [status for status, n in STATUS_COUNTS for _ in range(n)]
    rng.shuffle(finals)
    weights = [c.order_weight for c in customers]
    who = rng.choices(range(len(customers)), weights=weights, k=len(finals))
    externals: set[str] = set()
    plans = [build_order(rng, final, customers, ci, products, warehouse_regions, sales,
                         externals, now) for final, ci in zip(finals, who, strict=True)]
    plans.sort(key=lambda p: (p.row["created_at"], p.row["total"]))
    return plans
