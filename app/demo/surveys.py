"""Demo satisfaction surveys: one per delivered order, sent two hours after delivery;
about two in three answered within three days with realistic CSAT and NPS (mostly 4-5
and promoters, some low scores with a comment), the rest open or, past the link's 14
days, expired (docs/architecture.md#satisfaction-surveys-and-proactive-communication).
Its own seeded generator, so the other demo rows stay as they were."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.demo.masterdata import CustomerPlan
from app.demo.orders import OrderPlan

VALID = timedelta(days=14)
LOW_CSAT, LOW_NPS = 2, 6  # the defaults of CRM_SURVEY_LOW_CSAT / _NPS
_CSAT_WEIGHTS = (4, 6, 14, 36, 40)  # 1..5
_NPS_BY_CSAT = {1: (0, 4), 2: (2, 6), 3: (5, 8), 4: (7, 9), 5: (8, 10)}
_COMMENTS = {
    "low": ["包装破损，里面的茶叶撒了", "送货比承诺晚了三天", "Parcel arrived damaged",
            "客服电话一直打不通"],
    "high": ["送货很快，包装很好", "Great quality, fast delivery", "司机很有礼貌", None, None],
}
_TAGS = {"low": [["packaging"], ["late"], ["service"]],
         "high": [["delivery"], ["quality"], [], []]}


@dataclass(frozen=True)
class SurveyPlan:
    order: int  # index into the plan's orders
    shipment: int | None  # index into that order's shipments (the last delivered)
    customer: int
    row: dict[str, Any]


def _answer(rng: random.Random, sent: datetime) -> dict[str, Any]:
    csat = rng.choices(range(1, 6), weights=_CSAT_WEIGHTS)[0]
    nps = rng.randint(*_NPS_BY_CSAT[csat])
    mood = "low" if csat <= LOW_CSAT or nps <= LOW_NPS else "high"
    return {"answered_at": sent + timedelta(hours=rng.uniform(1, 72)), "csat": csat,
            "nps": nps, "comment": rng.choice(_COMMENTS[mood]), "tags": rng.choice(
                _TAGS[mood]) or None, "low_score": mood == "low"}


def plan_surveys(orders: list[OrderPlan], customers: list[CustomerPlan], now: datetime,
                 seed: int) -> list[SurveyPlan]:
    rng = random.Random(seed * 31 + 23)
    out = []
    for i, order in enumerate(orders):
        delivered = order.row.get("delivered_at")
        if delivered is None or order.row["status"] not in ("DELIVERED", "COMPLETED"):
            continue
        sent = delivered + timedelta(hours=2)
        if sent > now:
            continue
        shipped = [n for n, s in enumerate(order.shipments) if s.delivered_at is not None]
        row = {"subject_kind": "DELIVERY", "sent_at": sent, "expires_at": sent + VALID,
               "language": customers[order.customer].row["language"],
               "nonce": f"demo{rng.getrandbits(64):016x}", "answered_at": None,
               "csat": None, "nps": None, "comment": None, "tags": None, "low_score": False}
        if rng.random() < 0.65:
            answer = _answer(rng, sent)
            if answer["answered_at"] < min(now, sent + VALID):
                row.update(answer)
        out.append(SurveyPlan(i, shipped[-1] if shipped else None, order.customer, row))
    return out
