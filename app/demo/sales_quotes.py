"""Demo quotes in every state, customers' price agreements and freight agreements, planned
in memory (repository.py writes them) and dated relative to the demo's day. Named apart
from quotes.py, which prices the demo's shipments. A generator of its own (SEED + 5), so the
rest of the demo draws the same numbers with or without it
(docs/architecture.md#quotes-and-price-agreements)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.demo.masterdata import SEED, CustomerPlan
from app.quotes.models import ApprovalLevel, QuoteStatus

S, L = QuoteStatus, ApprovalLevel
CENT, RATE = Decimal("0.01"), Decimal("0.0001")
# (status, approval level, discount): the approval queue has both levels; customer 0 (the
# demo's customer login) gets one of each state, so its screen shows sent quotes and its
# hidden drafts are there to prove they stay hidden
STATES: list[tuple[QuoteStatus, ApprovalLevel, str]] = [
    (S.DRAFT, L.NONE, "0.05"), (S.PENDING_APPROVAL, L.MANAGER, "0.15"),
    (S.PENDING_APPROVAL, L.FINANCE, "0.30"), (S.APPROVED, L.NONE, "0.08"),
    (S.SENT, L.MANAGER, "0.12"), (S.SENT, L.NONE, "0.00"), (S.ACCEPTED, L.NONE, "0.10"),
    (S.REJECTED, L.MANAGER, "0.18"), (S.EXPIRED, L.NONE, "0.05"),
]
TERMS = {
    "zh": ["报价含税，30天内有效；款到发货。", "月结30天，满额包邮。",
           "首批订单享受上述折扣，交货期7个工作日。"],
    "en": ["Prices include VAT; payment before dispatch.", "Net 30; free shipping above the "
           "agreed amount.", "Discount applies to the first order; delivery in 7 working days."],
}
DECLINES = {"zh": "预算已削减，暂不采购。", "en": "Budget was cut this quarter."}
NOTES = {L.MANAGER: "老客户，同意此折扣 / long-standing customer, approved",
         L.FINANCE: "", L.NONE: ""}


@dataclass
class QuotePlan:
    customer: int  # index into the plan's customers
    owner: int  # index into the SALES demo users
    status: QuoteStatus
    level: ApprovalLevel
    row: dict[str, Any]
    lines: list[dict[str, Any]] = field(default_factory=list)  # "product": index


@dataclass
class AgreementPlans:
    quotes: list[QuotePlan]
    prices: list[dict[str, Any]]  # "customer", "product": indexes
    freight: list[dict[str, Any]]  # "customer": index


def _lines(rng: random.Random, products: list[dict[str, Any]], discount: Decimal
           ) -> list[dict[str, Any]]:
    out = []
    sold = [i for i, p in enumerate(products) if p["is_active"]]
    for n, index in enumerate(rng.sample(sold, rng.randint(1, 3))):
        p = products[index]
        rate = discount if n == 0 else min(discount, Decimal("0.05"))
        qty = rng.randint(1, 20)
        total = (Decimal(qty) * p["price"] * (1 - rate)).quantize(CENT, ROUND_HALF_UP)
        out.append({"product": index, "sku": p["sku"], "name": p["name"], "quantity": qty,
                    "unit_price": p["price"], "discount_rate": rate, "line_total": total,
                    "reference_price": p["price"]})
    return out


def _quote(rng: random.Random, i: int, customer: int, plan: CustomerPlan,
           products: list[dict[str, Any]], now: datetime, today: date) -> QuotePlan:
    status, level, raw = STATES[i % len(STATES)]
    lines = _lines(rng, products, Decimal(raw))
    expired = status is S.EXPIRED
    created = now - timedelta(days=rng.randint(15 if expired else 3, 40),
                              hours=rng.randint(0, 9))
    subtotal = sum((Decimal(ln["quantity"]) * ln["unit_price"] for ln in lines), Decimal(0))
    total = sum((ln["line_total"] for ln in lines), Decimal(0))
    valid_until = today - timedelta(days=rng.randint(1, 5)) if expired else \
        today + timedelta(days=rng.randint(5, 45))
    language = plan.row["language"]
    submitted = created + timedelta(hours=2) if status is not S.DRAFT else None
    approved = submitted + timedelta(hours=20) if status not in (
        S.DRAFT, S.PENDING_APPROVAL) else None
    sent = approved + timedelta(hours=3) if approved and status is not S.APPROVED else None
    decided = sent + timedelta(days=1) if sent and status in (S.ACCEPTED, S.REJECTED) else \
        (datetime.combine(valid_until + timedelta(days=1), now.timetz()) if expired else None)
    row = {"status": status.value, "currency": "CNY", "valid_until": valid_until,
           "terms": rng.choice(TERMS[language]), "subtotal": subtotal,
           "discount_total": subtotal - total, "total": total,
           "max_discount": Decimal(raw).quantize(RATE), "approval_level": level.value,
           "approval_note": NOTES[level] if approved else "",
           "decline_reason": DECLINES[language] if status is S.REJECTED else "",
           "submitted_at": submitted, "approved_at": approved, "sent_at": sent,
           "decided_at": decided, "created_at": created,
           "updated_at": decided or sent or approved or submitted or created,
           "version": 1 + sum(t is not None for t in (submitted, approved, sent, decided))}
    return QuotePlan(customer, plan.owner or 0, status, level, row, lines)


def build_agreements(customers: list[CustomerPlan], products: list[dict[str, Any]],
                     now: datetime, today: date) -> AgreementPlans:
    """About 60 quotes of the SALES users' customers, price agreements for 20 customers,
    freight agreements for 8, from one generator of their own."""
    rng = random.Random(SEED + 5)
    owned = [i for i, c in enumerate(customers) if c.owner is not None
             and c.row["status"] == "ACTIVE"]
    picks = [0] * len(STATES) + [rng.choice(owned) for _ in range(51)]
    quotes = [_quote(rng, i, c, customers[c], products, now, today)
              for i, c in enumerate(picks)]
    prices = []
    for c in [0, *rng.sample([i for i in owned if i != 0], 19)]:
        for index in rng.sample([i for i, p in enumerate(products) if p["is_active"]],
                                rng.randint(1, 2)):
            price = (products[index]["price"] * Decimal(rng.choice(("0.90", "0.92", "0.95"))))
            ended = rng.random() < 0.1
            prices.append({"customer": c, "product": index,
                           "price": price.quantize(CENT, ROUND_HALF_UP),
                           "valid_from": today - timedelta(days=rng.randint(30, 200)),
                           "valid_until": today - timedelta(days=3) if ended else
                           rng.choice((None, today + timedelta(days=rng.randint(30, 300)))),
                           "note": "年度价格协议" if customers[c].row["language"] == "zh"
                           else "Annual price agreement",
                           "created_at": now - timedelta(days=rng.randint(1, 30))})
    # new freight terms from the demo's day: its shipments were billed under the old ones
    freight = [{"customer": c, "valid_from": today,
                "free_shipping_threshold": Decimal(rng.choice(("500", "1000", "2000"))),
                "flat_fee": Decimal(rng.choice(("8", "10", "15"))), "valid_until": None,
                "created_at": now} for c in rng.sample(owned, 8)]
    return AgreementPlans(quotes, prices, freight)
