"""Event history retention: housekeeping deletes events published more than
CRM_OUTBOX_RETENTION_DAYS ago, keeping the newest of them as the horizon, and a
subscriber resuming from a cursor before it is told (CURSOR_EXPIRED), not left to miss
events silently."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, func, select

from app.events.housekeeping import Housekeeping
from app.events.models import OutboxEvent
from app.events.repository import consumers, outbox
from app.events.topics import SYNC_CHANGED
from app.persistence.columns import utcnow
from app.shipping import creation, tracking
from tests.notifications.support import pending_order, rows, unique_email
from tests.orders.support import pk
from tests.shipping import support as ship_support
from tests.subscriptions.harness import WsClient

STATUS = """subscription($orderId: ID, $since: String) {
  orderStatusChanged(orderId: $orderId, since: $since) { cursor transition { toStatus } } }"""


def _unpublished(db) -> int:  # noqa: ANN001
    with Session(db.read_engine) as session:
        return session.exec(select(func.count()).select_from(OutboxEvent).where(
            OutboxEvent.published_at.is_(None))).one()


async def _all_published(db) -> None:  # noqa: ANN001
    deadline = time.monotonic() + 10
    while _unpublished(db):
        assert time.monotonic() < deadline, "events left unpublished"
        await asyncio.sleep(0.05)


async def test_recent_history_is_kept(db, settings, factory):
    with Session(db.read_engine) as session:
        before = session.exec(select(func.count()).select_from(OutboxEvent)).one()
    counts = await Housekeeping(db, settings).run_once()
    assert counts["outbox_event"] == 0  # nothing here is a week old
    with Session(db.read_engine) as session:
        assert session.exec(select(func.count()).select_from(OutboxEvent)).one() == before


async def test_old_history_is_deleted_and_a_resume_before_it_is_refused(
        live, live_kit, factory, db, settings):
    order, customer, rep = await pending_order(live_kit, factory)
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})
    await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    first = (await ws.next("o"))["data"]["orderStatusChanged"]
    await ws.close()
    await live_kit.ok_step("orderHold", order["id"], factory.user("MANAGER").token,
                           reason="盘点")
    await _all_published(db)
    factory.update_segments()  # a durable consumer retention waits for (the server's may lag)

    # eight days on, everything published so far is past the retention window
    counts = await Housekeeping(db, settings).run_once(now=utcnow() + timedelta(days=8))
    assert counts["outbox_event"] > 0
    with Session(db.read_engine) as session:
        oldest = outbox.min_id(session)
        newest_published = session.exec(select(func.max(OutboxEvent.id)).where(
            OutboxEvent.published_at.is_not(None))).one()
        lowest = consumers.lowest(session)
        kept = session.exec(select(OutboxEvent.topic).where(OutboxEvent.id > oldest)).all()
    # the horizon is kept: the newest published event, or, when a durable consumer's last
    # run wrote after its position (its own delta-sync marker: docs/architecture.md#delta-
    # sync), the newest it has consumed; nothing but such markers stays beyond it
    assert oldest == min(newest_published, lowest)
    assert set(kept) <= {SYNC_CHANGED}, kept
    assert int(first["cursor"]) < oldest - 1

    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("gone", STATUS, {"orderId": order["id"], "since": first["cursor"]})
    refused = await ws.message("gone")
    assert refused["type"] == "error", refused
    assert refused["payload"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
    # from the horizon on the history is whole: resuming there works and stays live
    await ws.subscribe("kept", STATUS, {"orderId": order["id"], "since": str(oldest - 1)})
    await live_kit.ok_step("orderRelease", order["id"], factory.user("MANAGER").token)
    seen = [(await ws.next("kept"))["data"]["orderStatusChanged"]["transition"]["toStatus"]]
    if seen == ["ON_HOLD"]:  # the horizon itself was the hold: replayed, then the release
        seen.append((await ws.next("kept"))["data"]["orderStatusChanged"]["transition"][
            "toStatus"])
    assert seen[-1] == "CONFIRMED"
    assert await ws.quiet("kept") == []
    await ws.close()
    assert customer


async def test_one_shipped_notice_per_shipment_even_after_its_event_is_purged(
        live, live_kit, factory, db, settings):
    customer = live_kit.customer(email=unique_email(), phone=None)
    order, _customer, _rep = await pending_order(live_kit, factory, customer)
    order = await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    warehouse_id = pk(order["allocations"][0]["warehouse"]["id"])
    _, svc = ship_support.lane_carrier(factory, warehouse_id)
    shipment = await live.write(creation.create_shipment, *ship_support.draft(
        pk(order["id"]), warehouse_id, [(pk(order["lines"][0]["id"]), 2)], "SF0001", svc))
    await live.write(tracking.record_event, shipment.id,
                     ship_support.event("PICKED_UP", datetime.now(UTC), "上海", "已揽收"))

    def shipped() -> list[tuple[str, str | None]]:
        return sorted((n.channel, n.source_key) for n in rows(factory, customer_id=customer.id)
                      if n.template == "order_shipped")

    factory.plan_notifications()  # as the live server's planner does, at once
    assert shipped() == [("EMAIL", f"shipment_id={shipment.id}"),
                         ("IN_APP", f"shipment_id={shipment.id}")]
    await _all_published(db)
    await Housekeeping(db, settings).run_once(now=utcnow() + timedelta(days=8))
    await live.write(tracking.record_event, shipment.id,
                     ship_support.event("IN_TRANSIT", datetime.now(UTC), "杭州", "运输中"))
    factory.plan_notifications()
    assert len(shipped()) == 2  # the transit scan did not announce the shipment again
