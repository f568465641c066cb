"""Demo tickets (docs/architecture.md#tickets-and-slas), dated from the demo's "now": every
state (NEW unassigned, OPEN, PENDING_CUSTOMER, RESOLVED, CLOSED), every kind and channel,
SLA breaches (late first responses and resolutions, marked as the breach check would), a
merged duplicate pair, a delivery change waiting for approval on an order not yet
dispatched, and a handful for the customer login (customer index 0), with customer-visible
messages and internal notes in Chinese and English. A generator of its own, so the rest of
the demo draws the same numbers as before."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.demo.masterdata import SEED, CustomerPlan
from app.tickets import sla

_KINDS = [("INQUIRY", None, "询问发票开具时间", "When will the invoice be issued?"),
          ("COMPLAINT", None, "包裹外箱破损，部分茶叶受潮", "Parcel arrived damaged"),
          ("AFTER_SALES", "REPAIR", "茶具把手断裂，申请维修", "Kettle handle broke: repair"),
          ("AFTER_SALES", "INSTALLATION", "展示柜预约安装", "Book the display installation"),
          ("BILLING", None, "账单金额与订单不符", "Invoice does not match the order"),
          ("INQUIRY", None, "能否加急发货", "Can the order ship faster?")]
_CHANNELS = ["PHONE", "EMAIL", "WEB", "APP", "WECHAT"]
_PRIORITIES = ["LOW", "NORMAL", "NORMAL", "HIGH", "URGENT"]
# (final status, share): the queue's mix
_STATES = ["NEW", "OPEN", "OPEN", "PENDING_CUSTOMER", "PENDING_CUSTOMER", "RESOLVED",
           "RESOLVED", "CLOSED", "CLOSED", "CLOSED"]
_CHANGEABLE = {"PENDING_REVIEW", "CONFIRMED", "SCHEDULED"}


@dataclass
class TicketDemo:
    tickets: list[dict[str, Any]] = field(default_factory=list)  # customer/order: indexes
    duplicates: list[dict[str, Any]] = field(default_factory=list)  # merged_into: an index
    messages: list[dict[str, Any]] = field(default_factory=list)  # ticket: an index


def _ticket(rng: random.Random, i: int, customer: int, plan: CustomerPlan, status: str,
            now: datetime, order: int | None) -> dict[str, Any]:
    kind, subtype, zh, en = _KINDS[i % len(_KINDS)]
    english = plan.row.get("language") == "en"
    priority = _PRIORITIES[i % len(_PRIORITIES)]
    tier = plan.row.get("tier", "STANDARD")
    targets = sla.default_targets(priority, tier)
    age = timedelta(hours=rng.randint(1, 24 * 20)) if status != "NEW" else \
        timedelta(minutes=rng.randint(5, 600))
    created = now - age
    due = sla.due_times(created, targets)
    # every fourth ticket is answered late: a breach the check has marked
    late = i % 4 == 0
    first = None if status == "NEW" else created + timedelta(
        minutes=targets.first_response_minutes * (1.5 if late else 0.4))
    first = min(first, now) if first else None
    resolved = None
    if status in ("RESOLVED", "CLOSED"):
        resolved = min(now, created + timedelta(
            minutes=targets.resolution_minutes * (1.4 if late else 0.6)))
    row = {"number": f"TKD-{i + 1:05d}", "kind": kind, "after_sales_type": subtype,
           "status": status, "channel": _CHANNELS[i % len(_CHANNELS)], "priority": priority,
           "subject": en if english else zh,
           "description": (en if english else zh) + ("." if english else "。"),
           "customer": customer, "order": order, "assignee": status != "NEW",
           "tier": tier, "first_response_due_at": due.first_response_due_at,
           "resolution_due_at": due.resolution_due_at, "first_responded_at": first,
           "resolved_at": resolved, "closed_at": min(now, resolved + timedelta(days=2))
           if status == "CLOSED" and resolved else None,
           "close_reason": "RESOLVED" if status == "CLOSED" else None,
           "resolution_note": ("Solved" if english else "已解决") if resolved else None,
           "created_at": created, "updated_at": resolved or first or created}
    row["response_breached_at"] = due.first_response_due_at + timedelta(minutes=1) \
        if sla.response_breached(due.first_response_due_at, first, now) else None
    row["resolution_breached_at"] = due.resolution_due_at + timedelta(minutes=1) \
        if sla.resolution_breached(due.resolution_due_at, resolved, now) else None
    return row


def _messages(i: int, row: dict[str, Any], english: bool) -> list[dict[str, Any]]:
    out = []
    if row["first_responded_at"]:
        out.append({"ticket": i, "internal": False, "author_kind": "AGENT",
                    "body": "We are looking into it." if english else "您好，我们正在处理。",
                    "created_at": row["first_responded_at"]})
        out.append({"ticket": i, "internal": True, "author_kind": "AGENT",
                    "body": "Checked with the warehouse" if english else "已与仓库核实",
                    "created_at": row["first_responded_at"]})
    if row["status"] == "OPEN" and row["first_responded_at"]:
        out.append({"ticket": i, "internal": False, "author_kind": "CUSTOMER",
                    "body": "Any news?" if english else "请问有进展吗？",
                    "created_at": row["first_responded_at"] + timedelta(minutes=30)})
    return out


def plan_tickets(customers: list[CustomerPlan], orders: list[Any], now: datetime
                 ) -> TicketDemo:
    rng = random.Random(SEED + 23)
    demo = TicketDemo()
    by_customer: dict[int, list[int]] = {}
    for n, order in enumerate(orders):
        by_customer.setdefault(order.customer, []).append(n)
    # the customer login's five first, in every state, then 55 across the others
    owners = [0] * len(_STATES[:5]) + [1 + (k * 7) % (len(customers) - 1) for k in range(55)]
    for i, customer in enumerate(owners):
        status = _STATES[i % len(_STATES)] if i >= 5 else \
            ("NEW", "OPEN", "PENDING_CUSTOMER", "RESOLVED", "CLOSED")[i]
        mine = by_customer.get(customer, [])
        order = mine[i % len(mine)] if mine and i % 2 == 0 else None
        row = _ticket(rng, i, customer, customers[customer], status, now, order)
        demo.tickets.append(row)
        demo.messages += _messages(i, row, customers[customer].row.get("language") == "en")
    # a delivery change waiting for approval, on the customer login's undispatched order
    pending = next((n for n in by_customer.get(0, []) if orders[n].row["status"] in
                    _CHANGEABLE and not orders[n].shipments), None)
    if pending is not None:
        change = _ticket(rng, len(demo.tickets), 0, customers[0], "OPEN", now, pending)
        change.update(kind="DELIVERY_CHANGE", after_sales_type=None,
                      subject="配送变更：改送公司地址",
                      change_address="上海市徐汇区漕溪北路88号 8楼",
                      change_recipient="刘洋", change_date=(now + timedelta(days=6)).date(),
                      change_status="PENDING")
        demo.tickets.append(change)
    # a merged pair: the second is the first's duplicate
    survivor = 1
    dup = _ticket(rng, len(demo.tickets), 0, customers[0], "CLOSED", now, None)
    dup.update(subject=demo.tickets[survivor]["subject"] + "（重复）", close_reason="MERGED",
               merged_into=survivor, resolved_at=None, resolution_note=None,
               resolution_breached_at=None, closed_at=now - timedelta(minutes=30))
    demo.duplicates.append(dup)
    return demo
