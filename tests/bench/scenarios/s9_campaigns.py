"""S9: a campaign to 10,000 customers planned and queued by the sender
(app/campaigns/jobs.py `send_due_sync`: the recipients claimed by INSERT ... SELECT ... ON
CONFLICT DO NOTHING, each batch's messages rendered and inserted in bulk, batches of
CRM_CAMPAIGN_BATCH) against a hand-written bulk insert of the same notification rows (the
rows the sender wrote, read back, inserted with one executemany per batch of the same size,
a transaction each), alternating in the same run; it must reach 0.3x the reference's rate.
Then the order write path (orderCreate + orderApprove over HTTP, 8 clients) while the
server's own sender plans campaigns to the 10,000 one after the other (as its background
worker would, through its writer: POST /baseline/_campaign-send) against without,
alternating: it may lose at most 20%
(docs/architecture.md#campaigns)."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import delete, insert, select, text
from sqlmodel import Session

from app import composition
from app.auth.principal import SYSTEM
from app.campaigns import service
from app.campaigns.jobs import send_due_sync
from app.campaigns.models import Campaign, CampaignRecipient
from app.config import load_settings
from app.customers.models import Customer
from app.notifications.models import Notification
from app.persistence.columns import utcnow
from app.persistence.db import Database
from app.persistence.uow import Runner
from app.segments.repository import Criteria
from tests.bench import load
from tests.bench.context import BenchContext
from tests.bench.dataset import spread_product_ids
from tests.bench.report import Scenario
from tests.bench.scenarios.s3_orders import Placer, Run

RECIPIENTS = 10_000
REGION = "S9 campaign"
BATCH = 500
PACED: list[float] = []  # messages/s the server's paced sender queued while orders ran
COLUMNS = ("customer_id", "user_id", "channel", "template", "language", "recipient",
           "subject", "body", "status", "attempts", "sent_at", "next_attempt_at",
           "source_key", "created_at")
BODY_ZH = ("{{name}}您好：双十二会员专享，全场满1000减100，点击查看 "
           "{{link:https://shop.example.com/promo/1212}}")
BODY_EN = ("Dear {{name}}, members save 100 on every 1,000 this week: "
           "{{link:https://shop.example.com/promo/1212}}")


def _audience(db: Database) -> None:
    """10,000 customers of a region of their own, once per database copy."""
    with Session(db.write_engine) as s:
        have = s.execute(text("SELECT count(*) FROM customer WHERE region = :r"),
                         {"r": REGION}).scalar_one()
        if have >= RECIPIENTS:
            return
        now = utcnow()
        rows = [{"code": f"S9-{i:05d}", "name": f"活动客户 {i}", "kind": "PERSON",
                 "email": f"s9-{i}@example.com", "phone": f"139{i:08d}", "tier": "STANDARD",
                 "status": "ACTIVE", "region": REGION, "language": "en" if i % 4 == 0
                 else "zh", "credit_limit": 0, "payment_terms": "PREPAID", "discount_rate": 0,
                 "notes": "", "created_at": now, "updated_at": now, "version": 1}
                for i in range(have, RECIPIENTS)]
        s.execute(insert(Customer.__table__), rows)
        s.commit()


def _campaign(runner: Runner) -> int:
    draft = service.CampaignDraft(
        name=f"S9 {time.perf_counter_ns()}", channel="EMAIL",
        criteria=Criteria(regions=(REGION,)), subject_zh="双十二 {{name}}",
        subject_en="12.12 for {{name}}", body_zh=BODY_ZH, body_en=BODY_EN)
    row = runner.write_sync(service.create_campaign, draft, principal=SYSTEM)
    runner.write_sync(service.schedule_campaign, row.id, utcnow() - timedelta(seconds=1),
                      principal=SYSTEM)
    return row.id


def _plan(runner: Runner) -> tuple[float, int]:
    """A new campaign to the 10,000, sent to the end: (ms, its id)."""
    cid = _campaign(runner)
    started = time.perf_counter()
    while True:
        send_due_sync(runner, batch=BATCH)
        if runner.read_sync(lambda s: s.get(Campaign, cid).status, (), {}) == "DONE":
            break
    return (time.perf_counter() - started) * 1000, cid


def _rows(db: Database, cid: int) -> list[dict]:
    prefix = f"campaign:{cid}:"
    with Session(db.read_engine) as s:
        found = s.execute(select(*(Notification.__table__.c[c] for c in COLUMNS)).where(
            Notification.template == "campaign", Notification.source_key >= prefix,
            Notification.source_key < prefix[:-1] + ";"))
        return [dict(r._mapping) for r in found]


def _reference(db: Database, rows: list[dict], tag: str) -> float:
    """The same rows, source keys made unique, one executemany per batch, a transaction
    each: ms."""
    rows = [{**r, "source_key": f"ref:{tag}:{r['customer_id']}"} for r in rows]
    stmt = insert(Notification.__table__)
    started = time.perf_counter()
    for at in range(0, len(rows), BATCH):
        with db.write_engine.begin() as conn:
            conn.execute(stmt, rows[at:at + BATCH])
    return (time.perf_counter() - started) * 1000


def _clean(db: Database, cids: list[int]) -> None:
    """What the rounds wrote: the notifications (left pending: no dispatcher may send them),
    recipients and campaigns, and the reference's rows."""
    with db.write_engine.begin() as conn:
        for cid in cids:
            prefix = f"campaign:{cid}:"
            conn.execute(delete(Notification).where(
                Notification.template == "campaign", Notification.source_key >= prefix,
                Notification.source_key < prefix[:-1] + ";"))
            conn.execute(delete(CampaignRecipient).where(CampaignRecipient.campaign_id == cid))
            conn.execute(delete(Campaign).where(Campaign.id == cid))
        conn.execute(delete(Notification).where(Notification.source_key.startswith("ref:")))


async def _orders(ctx: BenchContext, seconds: float, seed: int) -> float:
    placer, run = Placer(ctx, "graphql", spread_product_ids(ctx.size)), Run()
    started = time.perf_counter()
    await asyncio.gather(*(placer.client(run, seed * 100 + i, started + seconds, 10**6)
                           for i in range(8)))
    run.elapsed = time.perf_counter() - started
    return run.orders / run.elapsed  # placed and approved, or refused: requests done


async def _planning_loop(ctx: BenchContext, runner: Runner, stop: asyncio.Event,
                         cids: list[int]) -> int:
    """New campaigns to the 10,000, one after the other, planned by the server's own
    sender (as its background worker runs it, through its writer); messages queued."""
    queued = 0
    while not stop.is_set():
        cids.append(await asyncio.to_thread(_campaign, runner))
        started = time.perf_counter()
        body = await load.fetch_json(ctx.port, "/baseline/_campaign-send", {})
        queued += body["queued"]
        PACED.append(body["queued"] / (time.perf_counter() - started))
    return queued


async def run(ctx: BenchContext) -> list[Scenario]:
    composition.install()
    settings = replace(load_settings({"CRM_DATABASE_URL": ctx.database_url,
                                      "CRM_JWT_SECRET": "x" * 32,
                                      "CRM_CAMPAIGN_LINK_DOMAINS": "shop.example.com"}),
                       sqlite_writer="thread", campaign_batch=BATCH)
    db = Database(ctx.database_url)
    runner = Runner(db, settings=settings)
    cids: list[int] = []
    rounds = 3 if ctx.budget.quick else 5
    app_ms, ref_ms, quiet, busy = [], [], [], []
    queued_while = 0
    try:
        _audience(db)
        ms, cid = _plan(runner)  # warm-up: caches, the first pages of the new rows
        cids.append(cid)
        rows = _rows(db, cid)
        _reference(db, rows, "warm")
        for i in range(rounds):
            ms, cid = _plan(runner)
            cids.append(cid)
            app_ms.append(ms)
            ref_ms.append(_reference(db, rows, str(i)))
        seconds = 3.0 if ctx.budget.quick else 6.0
        for i in range(2 if ctx.budget.quick else 3):
            quiet.append(await _orders(ctx, seconds, 900 + i))
            stop = asyncio.Event()
            planner = asyncio.create_task(_planning_loop(ctx, runner, stop, cids))
            try:
                busy.append(await _orders(ctx, seconds, 950 + i))
            finally:
                stop.set()
                queued_while += await planner
    finally:
        _clean(db, cids)
        db.dispose()
    app, ref = statistics.median(app_ms), statistics.median(ref_ms)
    s = Scenario(f"S9 campaign to {len(rows):,} recipients planned and queued", ctx.database,
                 ctx.size.name)
    q, b = statistics.median(quiet), statistics.median(busy)
    s.figures.update({"plan + queue p50 ms": app, "plan + queue min ms": min(app_ms),
                      "recipients/s": len(rows) / app * 1000,
                      "reference bulk insert p50 ms": ref, "reference min ms": min(ref_ms),
                      "ratio (reference / campaign)": ref / app, "rounds": rounds,
                      "orders/s without a campaign (p50)": q,
                      "orders/s while a campaign is planned (p50)": b,
                      "order rate ratio (with / without)": b / q,
                      "messages queued by the server while orders ran": queued_while,
                      "server's paced sender, messages/s (p50)":
                          statistics.median(PACED) if PACED else 0.0,
                      "orders/s runs without": ", ".join(f"{v:.0f}" for v in quiet),
                      "orders/s runs with": ", ".join(f"{v:.0f}" for v in busy)})
    s.target("ratio to the hand-written bulk insert", ref / app, 0.3, ">=")
    s.target("order rate with a campaign planned / without", b / q, 0.8, ">=")
    s.notes.append(f"batches of {BATCH}; 8 order clients for {seconds:.0f} s per side")
    return [s]
