"""Demo activities, visit plans, contact plans and sales targets, dated from the demo's
"now" (masterdata.demo_now): every rep has calls, visits and tasks on its first customers,
some overdue, some done with an outcome, in Chinese and English; visit plans for the last
and this week; monthly targets for each rep and a quarterly one for the team. A generator
of its own, so the rest of the demo draws the same numbers as before."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.activities import periods
from app.demo.masterdata import SEED, CustomerPlan

# (kind, zh title, en title, zh outcome, en outcome)
_WORK = [
    ("CALL", "电话回访：确认到货情况", "Follow-up call: delivery received?",
     "客户满意，下月追加订单", "Happy with the goods; will reorder next month"),
    ("VISIT", "上门拜访：新品推介", "On-site visit: present the new range",
     "带去样品，采购经理感兴趣", "Samples left; purchasing manager interested"),
    ("MEETING", "季度业务回顾会", "Quarterly business review",
     "确认明年框架协议", "Agreed on next year's framework contract"),
    ("EMAIL", "发送报价单", "Send the price list", "已发送", "Sent"),
    ("TASK", "准备合同草案", "Draft the contract", "草案已提交法务", "Draft sent to legal"),
    ("NOTE", "客户偏好：周二上午联系", "Customer prefers Tuesday mornings", "", ""),
]


@dataclass
class ActivityDemo:
    activities: list[dict[str, Any]] = field(default_factory=list)  # customer: an index
    visit_plans: list[dict[str, Any]] = field(default_factory=list)  # user: a rep index
    contact_plans: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)  # user: a rep index or None


def _english(customer: CustomerPlan) -> bool:
    return customer.row.get("language") == "en"


def _activity(rng: random.Random, rep: int, index: int, customer: CustomerPlan, n: int,
              now: datetime) -> dict[str, Any]:
    kind, zh, en, zh_out, en_out = _WORK[(index + n) % len(_WORK)]
    english = _english(customer) or n % 3 == 2
    offset = timedelta(days=rng.randint(-20, 14), hours=rng.randint(1, 9))
    due = now + offset
    # past work is mostly done; some is left open (overdue), future work is open
    done = kind == "NOTE" or (due < now and rng.random() < 0.6)
    created = min(due, now) - timedelta(days=rng.randint(1, 10))
    return {"kind": kind, "status": "DONE" if done else "OPEN", "subject_type": "CUSTOMER",
            "customer": index, "title": en if english else zh,
            "notes": "" if kind == "NOTE" else (
                "Bring the catalogue" if english else "带上产品目录"),
            "outcome": (en_out if english else zh_out) if done else "", "due_at": due,
            "assignee": rep, "completed_at": min(due, now) if done else None,
            "created_at": created, "updated_at": min(due, now) if done else created}


def plan_activities(customers: list[CustomerPlan], reps: int, now: datetime
                    ) -> ActivityDemo:
    rng = random.Random(SEED + 71)
    demo = ActivityDemo()
    today = now.date()
    for rep in range(reps):
        own = [i for i, c in enumerate(customers) if c.owner == rep][:8]
        for n, index in enumerate(own):
            for k in range(3):
                demo.activities.append(_activity(rng, rep, index, customers[index], n * 3 + k,
                                                 now))
            # one overdue visit each, for the agenda and the overdue check
            if n < 2:
                demo.activities.append({
                    **_activity(rng, rep, index, customers[index], 1, now),
                    "status": "OPEN", "outcome": "", "completed_at": None,
                    "due_at": now - timedelta(days=n + 1, hours=3)})
        for index in own[:2]:
            demo.contact_plans.append({
                "subject_type": "CUSTOMER", "customer": index, "assignee": rep,
                "every_days": 14 if index % 2 else 30,
                "next_due_on": today + timedelta(days=rng.randint(0, 10)), "active": True,
                "created_at": now - timedelta(days=30), "updated_at": now - timedelta(days=30)})
        for weeks in (-1, 0, 1):
            demo.visit_plans.append({
                "user": rep, "week_start": periods.week_start(today) + timedelta(weeks=weeks),
                "planned_visits": 5 + rep, "notes": "", "created_at": now - timedelta(days=8),
                "updated_at": now - timedelta(days=8)})
        month = today.replace(day=1)
        for metric, target in (("REVENUE", Decimal(300000 + 50000 * rep)),
                               ("NEW_CUSTOMERS", Decimal(3)), ("VISITS", Decimal(20))):
            demo.targets.append(_target(rep, "MONTH", month, metric, target, now))
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    demo.targets.append(_target(None, "QUARTER", quarter, "REVENUE", Decimal(3000000), now))
    return demo


def _target(rep: int | None, period: str, start: date, metric: str, target: Decimal,
            now: datetime) -> dict[str, Any]:
    return {"user": rep, "period": period, "period_start": start, "metric": metric,
            "target": target, "created_at": now - timedelta(days=5),
            "updated_at": now - timedelta(days=5)}
