"""The transactional outbox and its relay: events commit with the change, are
published after commit, survive a process killed in between, and reach each
consumer once even when published twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

from sqlmodel import Session, select

from app.config import PROJECT_ROOT
from app.events import topics
from app.events.bus import DomainEvent, InProcessBus
from app.events.models import OutboxEvent
from app.events.redis_bus import RedisBus
from app.events.relay import OutboxRelay
from app.events.repository import outbox
from tests.notifications.support import pending_order, rows
from tests.orders.support import pk
from tests.subscriptions.harness import WsClient

STATUS = """subscription($orderId: ID) { orderStatusChanged(orderId: $orderId) {
  cursor transition { toStatus message } } }"""


def _events(factory, ids):  # noqa: ANN001, ANN202
    def fetch(session: Session) -> list[OutboxEvent]:
        return list(session.exec(select(OutboxEvent).where(OutboxEvent.id.in_(ids))
                                 .order_by(OutboxEvent.id)))
    return factory.runner.read_sync(fetch, (), {})


async def _until(check, timeout: float = 10.0):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
    return result


def _emit_unpublished(uow, order_id: int, n: int) -> list[int]:  # noqa: ANN001
    for i in range(n):
        uow.emit(topics.ORDER_EVENT, order_id=order_id, customer_id=0, order_event_id=None,
                 type=f"TEST_{i}", at="2025-01-01T00:00:00+00:00")
    return []


async def test_a_mutation_is_published_after_commit_and_marked(live, live_kit, factory):
    order, _customer, rep = await pending_order(live_kit, factory)
    approved = await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    ids = [r.id for r in factory.runner.read_sync(
        lambda s: list(s.exec(select(OutboxEvent).where(
            OutboxEvent.topic == topics.ORDER_STATUS_CHANGED))), (), {})
        if r.payload.get("order_id") == pk(approved["id"])]
    assert len(ids) == 2  # submitted, approved
    await _until(lambda: all(e.published_at for e in _events(factory, ids)))
    assert rep  # placed by the rep


async def test_a_process_killed_between_commit_and_publish_loses_nothing(
        live, live_kit, factory, settings):
    order, _customer, rep = await pending_order(live_kit, factory)
    await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})

    child = subprocess.run(
        [sys.executable, "-m", "tests.events.crash_writer", settings.database_url,
         str(pk(order["id"])), "盘点冻结"], cwd=PROJECT_ROOT, capture_output=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, text=True)
    assert child.returncode == -9, child.stderr[-2000:]  # SIGKILL after commit, before publish
    ids = [int(i) for i in child.stdout.split()[0].split(",")]
    # (not asserted: that they are still unpublished now. The server's relay recovers
    # events older than its grace period, which on a slow enough machine has passed
    # before this line runs; the child itself never published: it died first.)

    change = (await ws.next("o"))["data"]["orderStatusChanged"]  # the relay recovered it
    assert change["transition"] == {"toStatus": "ON_HOLD", "message": "盘点冻结"}
    assert int(change["cursor"]) in ids
    assert await ws.quiet("o") == []
    await _until(lambda: all(e.published_at for e in _events(factory, ids)))
    await ws.close()


async def test_events_published_twice_reach_a_subscriber_once(live, live_kit, factory):
    order, _customer, rep = await pending_order(live_kit, factory)
    ws = await WsClient.connect(live.ws_url, rep.token)
    await ws.subscribe("o", STATUS, {"orderId": order["id"]})
    await live_kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
    first = (await ws.next("o"))["data"]["orderStatusChanged"]
    [row] = _events(factory, [int(first["cursor"])])
    again = DomainEvent(topic=row.topic, payload=row.payload, id=row.id)
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
        live.state.bus.publish([again, again]), live.loop))
    assert await ws.quiet("o") == []
    await ws.close()


async def test_concurrent_relays_publish_each_leftover_event_once(db, factory):
    ids = []
    for _ in range(3):
        factory.write(_emit_unpublished, 0, 4)
    with Session(db.read_engine) as session:
        ids = [e.id for e in outbox.events_after(session, 0, {topics.ORDER_EVENT},
                                                 {"customer_id": 0}, limit=10_000)]
    buses = [InProcessBus(), InProcessBus()]
    heard = [bus.open({"*"}) for bus in buses]
    relays = [OutboxRelay(db, bus, grace=0) for bus in buses]
    await asyncio.gather(*(relay.recover() for relay in relays))
    published = [e.id for listener in heard for e in listener.drain()]
    mine = [i for i in published if i in set(ids)]
    assert sorted(mine) == sorted(ids)  # every one, none twice
    assert all(e.published_at for e in _events(factory, ids))


async def test_a_bus_outage_delays_events_without_failing_the_change(db, factory):
    factory.write(_emit_unpublished, 0, 1)
    with Session(db.read_engine) as session:
        last = outbox.max_id(session)
    dead = RedisBus("redis://127.0.0.1:1/0")  # nothing listens there
    relay = OutboxRelay(db, dead, grace=0)
    await relay.publish([DomainEvent(topics.ORDER_EVENT, {"customer_id": 0}, id=last)])
    assert await relay.flush_marks() == 0  # not marked: the recovery path will retry
    assert _events(factory, [last])[0].published_at is None
    await dead.close()
    healthy = InProcessBus()
    listener = healthy.open({topics.ORDER_EVENT})
    await OutboxRelay(db, healthy, grace=0).recover()
    assert last in [e.id for e in listener.drain()]
    assert _events(factory, [last])[0].published_at is not None


async def test_concurrent_steps_on_one_customer_never_deadlock(live, live_kit, factory):
    """Approvals lock the customer row; the notification rows planned from every step's
    events reference it, and the planner writes them before its serialized outbox append,
    so the two never wait on each other."""
    rep = factory.user("SALES")
    customer = live_kit.customer(owner_id=rep.id, email="many.orders@example.com", phone=None)
    pending = [(await pending_order(live_kit, factory, customer))[0] for _ in range(6)]
    product, warehouse = live_kit.product(), live_kit.warehouse()
    live_kit.stock(product, warehouse, 100)
    drafts = [await live_kit.order(rep.token, customer, [(product, 1)]) for _ in range(6)]
    finance = factory.user("FINANCE")
    steps = [live_kit.step("orderApprove", o["id"], finance.token) for o in pending]
    steps += [live_kit.step("orderSubmit", o["id"], rep.token) for o in drafts]
    results = await asyncio.wait_for(asyncio.gather(*steps), 60)
    assert all(r["userErrors"] == [] for r in results), results
    assert {r["order"]["status"] for r in results} == {"CONFIRMED", "PENDING_REVIEW"}
    factory.plan_notifications()  # what the live server's planner has not done yet
    templates = [n.template for n in rows(factory, customer_id=customer.id, channel="EMAIL")]
    assert templates.count("order_approved") == 6
    assert templates.count("order_received") == 12
