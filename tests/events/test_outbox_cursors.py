"""Outbox cursors without an append lock (docs/architecture.md#the-outbox): ids come from a
sequence before commit, so on PostgreSQL a later-committing transaction may hold a smaller
id; a cursor never passes it. Proven with a transaction held open after its append, and
with 64 concurrent writers while a reader pages and a subscriber resumes with `since`."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import Session, select

from app.events import topics
from app.events.bus import DomainEvent
from app.events.models import OutboxEvent
from app.events.repository import outbox
from app.persistence.db import Database
from app.persistence.limits import DbLimits
from app.persistence.uow import Runner
from tests.notifications.support import pending_order
from tests.orders.support import pk
from tests.subscriptions.harness import WsClient

WRITERS, UNITS = 64, 6
ACTIVITY = """subscription($orderId: ID!, $since: String) {
  orderEvents(orderId: $orderId, since: $since) { cursor type } }"""


def _event(order_id: int, customer_id: int, n: int) -> DomainEvent:
    return DomainEvent(topics.ORDER_EVENT, {
        "order_id": order_id, "customer_id": customer_id, "order_event_id": None,
        "type": f"CURSOR_{n}", "at": "2025-01-01T00:00:00+00:00"})


def _emit(uow, order_id: int, customer_id: int, n: int) -> None:  # noqa: ANN001
    event = _event(order_id, customer_id, n)
    uow.emit(event.topic, **event.payload)


def _committed(db: Database, order_id: int, after: int = 0) -> list[int]:
    with Session(db.read_engine) as session:
        return list(session.exec(select(OutboxEvent.id).where(
            OutboxEvent.id > after, OutboxEvent.topic == topics.ORDER_EVENT,
            OutboxEvent.payload["order_id"].as_integer() == order_id).order_by(OutboxEvent.id)))


def _page(db: Database, order_id: int, cursor: int) -> list[int]:
    with Session(db.read_engine) as session:
        return [e.id for e in outbox.events_after(
            session, cursor, {topics.ORDER_EVENT}, {"order_id": order_id}, limit=7)]


def _writers(db: Database, order_id: int, customer_id: int, done: threading.Event,
             failed: list[BaseException]) -> None:
    """64 threads, each a pooled connection of its own, each committing UNITS units that
    append an event (the app's units of work: the outbox append last before commit). A unit
    that fails is kept in `failed` for the test to raise (this runs in a thread of its own).
    """
    if not db.is_sqlite:
        # 64 more connections: the suite's own pool gives back the idle ones it grew to in
        # earlier tests, so PostgreSQL's 100 are enough whatever ran before
        db.write_engine.dispose()
    wide = Database(db.url, limits=DbLimits(pool_size=WRITERS, max_overflow=0,
                                            pool_timeout_seconds=60))
    runner = Runner(wide)
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            futures = [pool.submit(runner.write_sync, _emit, order_id, customer_id,
                                   w * UNITS + u)
                       for w in range(WRITERS) for u in range(UNITS)]
            for f in futures:
                f.result()
    except BaseException as exc:  # noqa: BLE001  raised by the test after join
        failed.append(exc)
    finally:
        done.set()
        wide.dispose()


def test_a_cursor_never_passes_an_id_still_in_flight(db, factory):
    """A transaction that took its id first and commits last: readers stop below it.
    PostgreSQL only (SQLite has one writer: ids commit in order)."""
    if db.is_sqlite:
        return
    order_id = 900_001
    first = Session(db.write_engine)
    [held] = outbox.append(first, [_event(order_id, 0, 1)])  # id taken, not committed
    try:
        before = _committed(db, order_id)
        factory.write(_emit, order_id, 0, 2)  # a larger id, committed first
        [later] = [i for i in _committed(db, order_id) if i not in before]
        assert later > held
        with Session(db.read_engine) as session:
            assert outbox.settled_max(session) < held
        assert _page(db, order_id, 0) == before  # not `later`: `held` could still appear
        first.commit()
    finally:
        first.close()
    assert _page(db, order_id, 0) == [*before, held, later]
    with Session(db.read_engine) as session:
        assert outbox.settled_max(session) >= later


def test_a_reader_paging_among_64_writers_gets_every_event_once(db, factory):
    customer = factory.customer()
    order_id = 900_002
    done = threading.Event()
    failed: list[BaseException] = []
    writing = threading.Thread(target=_writers, args=(db, order_id, customer.id, done, failed))
    writing.start()
    seen: list[int] = []
    cursor = 0
    while True:
        finished = done.is_set()  # read before the page: a page after the last commit
        page = _page(db, order_id, cursor)
        seen += page
        cursor = page[-1] if page else cursor
        if finished and not page:
            break
    writing.join()
    if failed:
        raise failed[0]
    committed = _committed(db, order_id)
    assert len(committed) == WRITERS * UNITS
    assert seen == committed  # every committed event, once, in id order


async def test_resume_with_since_among_64_writers_returns_every_event_once(
        live, live_kit, factory, db):
    """Through the real subscription path: a subscriber starts mid-way with `since`, drops,
    resumes from its last cursor while the writers go on; what it got is exactly the
    committed rows after its first cursor."""
    order, customer, _rep = await _pending(live_kit, factory)
    order_id = pk(order["id"])
    manager = factory.user("MANAGER")
    factory.write(_emit, order_id, customer.id, -1)
    [since] = _committed(db, order_id)[-1:]
    done = threading.Event()
    failed: list[BaseException] = []
    writing = threading.Thread(target=_writers, args=(db, order_id, customer.id, done, failed))
    writing.start()
    got: list[int] = []
    cursor = str(since)
    try:
        for _attempt in range(2):  # a drop half-way, then a resume with `since`
            ws = await WsClient.connect(live.ws_url, manager.token)
            await ws.subscribe("e", ACTIVITY, {"orderId": order["id"], "since": cursor})
            want = WRITERS * UNITS // 2 if not got else WRITERS * UNITS
            while len(got) < want:
                change = (await ws.next("e", timeout=60))["data"]["orderEvents"]
                got.append(int(change["cursor"]))
                cursor = change["cursor"]
            if len(got) == WRITERS * UNITS:
                assert await ws.quiet("e") == []
            await ws.close()
    finally:
        await asyncio.to_thread(writing.join)
    if failed:
        raise failed[0]
    assert got == _committed(db, order_id, after=since)


async def _pending(live_kit, factory):  # noqa: ANN001, ANN202
    rep = factory.user("SALES")
    customer = live_kit.customer(owner_id=rep.id, email="cursors@example.com", phone=None)
    order = (await pending_order(live_kit, factory, customer))[0]
    return order, customer, rep
