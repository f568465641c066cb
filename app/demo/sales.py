"""Demo leads and opportunities (no database access): leads of each sales rep in every
state, and a pipeline whose opportunities moved through the stages over the last months,
each stay dated, in Chinese and English (docs/architecture.md#leads-and-the-sales-funnel).

A generator of its own (SEED + 1): the rest of the demo draws exactly what it drew before."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.demo import people_data as pd
from app.demo.masterdata import SEED, CustomerPlan, cents

LEADS_PER_REP = 16
OPPORTUNITIES_PER_REP = 12
# how far each opportunity went: the open stages in order, then WON or LOST
OPEN = ["QUALIFICATION", "NEEDS_ANALYSIS", "PROPOSAL", "NEGOTIATION"]
PROBABILITY = {"QUALIFICATION": 10, "NEEDS_ANALYSIS": 25, "PROPOSAL": 50, "NEGOTIATION": 75,
               "WON": 100, "LOST": 0}
LEAD_STATES = ["NEW", "NEW", "CONTACTED", "CONTACTED", "QUALIFIED", "QUALIFIED", "CONVERTED",
               "DISQUALIFIED"]
SOURCES = ["WEB", "PHONE", "REFERRAL", "TRADE_SHOW", "CAMPAIGN", "IMPORT", "OTHER"]
DISQUALIFIED = [("NO_BUDGET", "预算不足，明年再联系"), ("NO_NEED", "No current need"),
                ("COMPETITOR", "已与竞争对手签约"), ("UNREACHABLE", "Three calls, no answer")]
LOST_REASONS = ["价格高于竞争对手", "Budget frozen this quarter", "客户选择了本地供应商",
                "Lead time too long"]
COMPETITORS = ["", "", "京东企业购", "Staples China", "得力集团", "Office Depot"]
OPPORTUNITY_NAMES = [("{}年度办公用品采购", "zh"), ("{} 新办公室装修配套", "zh"),
                     ("{} annual supplies contract", "en"), ("{} IT refresh", "en"),
                     ("{}门店开业备货", "zh"), ("{} trade-show giveaways", "en")]
TITLES = ["采购经理", "行政主管", "Office Manager", "总经理", "Procurement Lead", "财务总监"]


@dataclass
class LeadPlan:
    row: dict[str, Any]
    owner: int  # index into the SALES demo users
    customer: int | None = None  # converted: index into the demo customers


@dataclass
class OpportunityPlan:
    row: dict[str, Any]
    owner: int
    customer: int
    lead: int | None  # index into the lead plans
    stays: list[tuple[str, datetime, datetime | None]]  # (stage, entered, left)
    lines: list[tuple[int, int, Decimal]] = field(default_factory=list)  # product, qty, price


def _person(rng: random.Random, english: bool) -> tuple[str, str]:
    """(name, the e-mail's local part)."""
    if english:
        first, last = rng.choice(pd.EN_FIRST), rng.choice(pd.EN_LAST)
        return f"{first} {last}", f"{first}.{last}".lower().replace("'", "")
    (surname, s_py), (given, g_py) = rng.choice(pd.SURNAMES), rng.choice(pd.GIVEN_NAMES)
    return surname + given, f"{g_py}.{s_py}"


def _company(rng: random.Random, english: bool) -> str:
    if english:
        return f"{rng.choice(pd.EN_BRANDS)} {rng.choice(pd.EN_INDUSTRIES)} Ltd."
    brand, industry = rng.choice(pd.ZH_BRANDS)[0], rng.choice(pd.ZH_INDUSTRIES)[0]
    return f"上海{brand}{industry}有限公司"


def _lead(rng: random.Random, n: int, owner: int, status: str, now: datetime,
          customers: list[int]) -> LeadPlan:
    english = n % 3 == 0
    name, local = _person(rng, english)
    created = now - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 23))
    row = {"name": name, "company": _company(rng, english) if n % 4 else "",
           "title": rng.choice(TITLES), "email": f"{local}{n}@lead-demo.cn",
           "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
           "source": SOURCES[n % len(SOURCES)], "status": status, "disqualify_reason": None,
           "disqualify_note": "", "notes": "展会上交换了名片" if not english else "",
           "created_at": created, "updated_at": created + timedelta(days=1), "version": 1,
           "converted_at": None}
    plan = LeadPlan(row, owner)
    if status == "DISQUALIFIED":
        row["disqualify_reason"], row["disqualify_note"] = DISQUALIFIED[n % len(DISQUALIFIED)]
    if status == "CONVERTED" and customers:
        plan.customer = customers[n % len(customers)]
        row["converted_at"] = row["updated_at"]
    return plan


def _stays(rng: random.Random, created: datetime, now: datetime,
           path: list[str]) -> list[tuple[str, datetime, datetime | None]]:
    stays, at = [], created
    for i, stage in enumerate(path):
        if i == len(path) - 1:
            stays.append((stage, at, None))
            break
        left = min(at + timedelta(days=rng.randint(2, 12), hours=rng.randint(0, 20)),
                   now - timedelta(hours=len(path) - i))
        stays.append((stage, at, left))
        at = left
    return stays


def _path(n: int) -> list[str]:
    """Where opportunity n of a rep got to: open stages, won and lost ones."""
    end = n % 6
    if end < 4:
        return OPEN[:end + 1]
    reached = 2 + n % 3
    return [*OPEN[:reached], "WON" if end == 4 else "LOST"]


def _opportunity(rng: random.Random, n: int, owner: int, customer: int, lead: int | None,
                 products: list[dict[str, Any]], now: datetime, label: str) -> OpportunityPlan:
    created = now - timedelta(days=rng.randint(20, 150))
    stays = _stays(rng, created, now, _path(n))
    last, closing = stays[-1][0], stays[-1][0] in ("WON", "LOST")
    picks = rng.sample(range(len(products)), k=rng.randint(1, 3))
    lines = [(p, rng.randint(2, 40), cents(products[p]["price"] * Decimal(
        str(rng.choice([1, 1, 0.95, 0.9]))))) for p in picks]
    amount = sum((Decimal(q) * price for _, q, price in lines), Decimal(0))
    template, _ = OPPORTUNITY_NAMES[n % len(OPPORTUNITY_NAMES)]
    row = {"name": template.format(label)[:200], "probability": PROBABILITY[last],
           "source": "OTHER", "amount": cents(amount), "currency": "CNY",
           "expected_close_date": (now + timedelta(days=rng.randint(-10, 60))).date(),
           "competitor": rng.choice(COMPETITORS),
           "lost_reason": LOST_REASONS[n % len(LOST_REASONS)] if last == "LOST" else None,
           "stage_entered_at": stays[-1][1], "closed_at": stays[-1][1] if closing else None,
           "created_at": created, "updated_at": stays[-1][1], "version": len(stays),
           "order_id": None}
    return OpportunityPlan(row, owner, customer, lead, stays, lines)


def build_sales(customers: list[CustomerPlan], products: list[dict[str, Any]], reps: int,
                now: datetime) -> tuple[list[LeadPlan], list[OpportunityPlan]]:
    rng = random.Random(SEED + 1)
    active = [i for i, p in enumerate(products) if p["is_active"]]
    leads: list[LeadPlan] = []
    opportunities: list[OpportunityPlan] = []
    for owner in range(reps):
        mine = [i for i, c in enumerate(customers) if c.owner == owner]
        for n in range(LEADS_PER_REP):
            leads.append(_lead(rng, len(leads), owner, LEAD_STATES[n % len(LEAD_STATES)], now,
                               mine))
        converted = [i for i, lp in enumerate(leads)
                     if lp.owner == owner and lp.customer is not None]
        for n in range(OPPORTUNITIES_PER_REP):
            lead = converted[n] if n < len(converted) else None
            customer = leads[lead].customer if lead is not None else mine[n % len(mine)]
            plan = _opportunity(rng, n, owner, customer, lead, [products[i] for i in active],
                                now, customers[customer].row["name"])
            plan.lines = [(active[p], q, price) for p, q, price in plan.lines]
            if lead is not None:
                plan.row["source"] = leads[lead].row["source"]
            opportunities.append(plan)
    return leads, opportunities
