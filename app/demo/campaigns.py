"""Demo campaigns (docs/architecture.md#campaigns): two finished e-mail campaigns with
realistic figures (about 97% delivered, 20-35% opened, 2-6% clicked, a few unsubscribes,
orders attributed to clicks), one draft and one scheduled. Planned from the demo plan with
a generator of their own (deterministic), written with the other demo rows."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.campaigns.models import Campaign, CampaignRecipient
from app.campaigns.repository import MARKETING, TEMPLATE, source_key
from app.demo.repository import DemoPlan, Ids, insert_rows, saved_segment_ids
from app.notifications.models import Notification, NotificationPreference

SEED = 20261111
LINK = "https://shop.example.com/"
# (name, segment name or None, filter, days before now it went out, open, click rates)
FINISHED = (("双十一会员专享 Singles' Day for members", None, {}, 26, 0.27, 0.05),
            ("春季新品预览 Spring preview", None, {"regions": ["East", "North"]}, 12, 0.22,
             0.03))


def _texts(link: str) -> dict[str, str]:
    return {"subject_zh": "{{name}}，专属优惠已到", "subject_en": "{{name}}, your offer is here",
            "body_zh": "{{name}}您好：\n会员专享优惠今日开启，点击查看："
                       f"{{{{link:{link}}}}}",
            "body_en": "Dear {{name}},\nyour member offer starts today: "
                       f"{{{{link:{link}}}}}"}


def _campaign(name: str, status: str, criteria: dict | None, segment_id: int | None,
              at: datetime, link: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "channel": "EMAIL", "segment_id": segment_id,
            "criteria": criteria, "links": [link], "scheduled_at": at, "rate_per_minute": 600,
            "audience": extra.pop("audience", None), "created_by_id": None,
            "created_at": at - timedelta(days=2),
            "updated_at": at, "started_at": None, "finished_at": None, "cancelled_at": None,
            "version": 2, **_texts(link), **extra}


def _matches(plan: DemoPlan, i: int, criteria: dict) -> bool:
    row = plan.customers[i].row
    regions = criteria.get("regions")
    return bool(row.get("email")) and (not regions or row.get("region") in regions)


def _orders_by_customer(plan: DemoPlan) -> dict[int, list[tuple[datetime, int]]]:
    found: dict[int, list[tuple[datetime, int]]] = {}
    for order in plan.orders:
        if order.row["status"] not in ("DRAFT", "CANCELLED", "REJECTED"):
            found.setdefault(order.customer, []).append((order.row["created_at"], 0))
    return found


def _recipients(rng: random.Random, plan: DemoPlan, ids: Ids, cid: int, criteria: dict,
                at: datetime, rates: tuple[float, float], opted_out: set[int]
                ) -> tuple[list[dict], list[dict]]:
    """(recipient rows, notification rows) of one finished campaign."""
    opened_rate, click_rate = rates
    orders = _orders_by_customer(plan)
    people, messages = [], []
    for i, customer_id in enumerate(ids.customers):
        if not _matches(plan, i, criteria) or customer_id in opted_out:
            continue
        row = plan.customers[i].row
        language = "en" if row.get("language") == "en" else "zh"
        sent = at + timedelta(seconds=len(people) * 6)
        failed = rng.random() < 0.025
        person = {"campaign_id": cid, "customer_id": customer_id, "status": "QUEUED",
                  "language": language, "queued_at": sent, "opened_at": None, "opens": 0,
                  "clicked_at": None, "last_clicked_at": None, "clicks": 0,
                  "attributed_until": None, "unsubscribed_at": None}
        # a click that led to an order: the customer's order within the week after it
        follow = [t for t, _ in orders.get(i, []) if sent < t <= sent + timedelta(days=6)]
        follow = follow if follow and rng.random() < 0.25 and len(
            [p for p in people if p["clicked_at"]]) < 4 else []
        if not failed and (rng.random() < opened_rate or follow):
            opened = sent + timedelta(minutes=rng.randint(5, 600))
            person.update(opened_at=opened, opens=rng.randint(1, 3))
            if follow or rng.random() < 0.6 * click_rate / opened_rate:
                click = min([opened, *[t - timedelta(hours=2) for t in follow[:1]]])
                click = max(click, sent + timedelta(minutes=1))
                person.update(clicked_at=click, last_clicked_at=click, clicks=1,
                              attributed_until=click + timedelta(days=7))
            elif rng.random() < 0.06:
                person["unsubscribed_at"] = opened + timedelta(minutes=1)
                opted_out.add(customer_id)
        people.append(person)
        messages.append({
            "customer_id": customer_id, "user_id": None, "channel": "EMAIL",
            "template": TEMPLATE, "language": language, "recipient": row["email"],
            "subject": _texts(LINK)[f"subject_{language}"].replace("{{name}}", row["name"]),
            "body": f"{row['name']} ...", "status": "FAILED" if failed else "SENT",
            "attempts": 1 if not failed else 5, "sent_at": None if failed else sent,
            "next_attempt_at": None, "source_key": source_key(cid, customer_id),
            "created_at": sent, "last_error": "SMTP 550: mailbox unavailable" if failed
            else None})
    return people, messages


def write_campaigns(s: Session, ids: Ids, plan: DemoPlan) -> int:
    rng, now = random.Random(SEED), plan.now
    segments = saved_segment_ids(s)
    opted_out: set[int] = set()
    for name, segment, criteria, days, opened, clicked in FINISHED:
        at = now - timedelta(days=days)
        people, messages = _recipients(rng, plan, ids, 0, criteria, at, (opened, clicked),
                                       opted_out)
        (cid,) = insert_rows(s, Campaign, [_campaign(
            name, "DONE", criteria, segments.get(segment) if segment else None, at,
            f"{LINK}promo/{days}", started_at=at, finished_at=at + timedelta(hours=1),
            audience=len(people))])
        for person, message in zip(people, messages, strict=True):
            person["campaign_id"] = cid
            message["source_key"] = source_key(cid, message["customer_id"])
        insert_rows(s, CampaignRecipient, people)
        insert_rows(s, Notification, messages)
    insert_rows(s, NotificationPreference, [
        {"customer_id": c, "channel": MARKETING, "enabled": False} for c in sorted(opted_out)])
    insert_rows(s, Campaign, [
        _campaign("会员日预告 Members' day (draft)", "DRAFT", None, segments.get("VIP in 华东"),
                  now + timedelta(days=10), f"{LINK}members", version=1, scheduled_at=None),
        _campaign("回归礼 Welcome back", "SCHEDULED", None, segments.get("At risk"),
                  now + timedelta(days=3), f"{LINK}welcome-back")])
    return len(FINISHED) + 2
