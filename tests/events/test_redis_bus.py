"""The buses across processes, Redis pub/sub and PostgreSQL's LISTEN/NOTIFY: events reach
every process. Two real server processes share one database (and Redis, or only
PostgreSQL); a client subscribed on A receives the event of a mutation sent to B."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import httpx
import pytest
import redis
from sqlmodel import Session

from app.events.bus import DomainEvent
from app.events.pg_bus import PostgresBus
from app.events.redis_bus import RedisBus
from app.events.repository import outbox
from tests.conftest import TEST_SECRET
from tests.notifications.sinks import sink_settings
from tests.notifications.support import pending_order
from tests.orders.support import Kit
from tests.subscriptions.harness import TIMEOUT, ServerProcess, WsClient
from tests.support import Api

REDIS_URL = "redis://127.0.0.1:6379/0"
STATUS = """subscription($orderId: ID) { orderStatusChanged(orderId: $orderId) {
  cursor transition { fromStatus toStatus } order { status } } }"""


@pytest.fixture(scope="module")
def redis_channel() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    return f"crm:test:{secrets.token_hex(6)}"


@pytest.fixture(scope="module", params=["redis", "postgres"])
def processes(request, settings, db) -> Iterator[tuple[ServerProcess, ServerProcess]]:  # noqa: ANN001
    sinks = sink_settings()
    if request.param == "redis":
        channel = request.getfixturevalue("redis_channel")
        bus = {"CRM_REDIS_URL": REDIS_URL, "CRM_REDIS_CHANNEL": channel}
    else:
        if db.is_sqlite:
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
        bus = {"CRM_REDIS_URL": "", "CRM_EVENT_BUS": "postgres"}
    env = {"CRM_DATABASE_URL": settings.database_url, "CRM_JWT_SECRET": TEST_SECRET, **bus,
           "CRM_OUTBOX_GRACE_SECONDS": "0.5", "CRM_OUTBOX_RELAY_SECONDS": "0.2",
           "CRM_DELAY_CHECK_SECONDS": "0", "CRM_ACTIVITY_CHECK_SECONDS": "0",
           "CRM_TICKET_BREACH_CHECK_SECONDS": "0",
           "CRM_QUOTE_EXPIRY_SECONDS": "0", "CRM_SURVEY_AFTER_DELIVERY": "0",
           "CRM_REMINDER_CHECK_SECONDS": "0", "CRM_CAMPAIGN_SEND_SECONDS": "0",
           "CRM_DELIVERY_PLAN_SECONDS": "0",
           "CRM_EXPORTS": "0",
           "CRM_SMTP_HOST": sinks["smtp_host"], "CRM_SMTP_PORT": str(sinks["smtp_port"]),
           "CRM_SMS_URL": sinks["sms_url"]}
    a, b = ServerProcess(env), ServerProcess(env)
    try:
        a.start()
        b.start()
        yield a, b
    finally:
        a.stop()
        b.stop()


async def test_redis_buses_deliver_to_every_process_once(redis_channel):
    one, two = RedisBus(REDIS_URL, redis_channel), RedisBus(REDIS_URL, redis_channel)
    try:
        await one.start()
        await two.start()
        heard_one, heard_two = one.open({"t.x"}), two.open({"t.x"})
        await one.publish([DomainEvent("t.x", {"n": "一"}, id=1),
                           DomainEvent("t.other", {}, id=2)])
        got_two = await asyncio.wait_for(heard_two.get(), TIMEOUT)
        got_one = await asyncio.wait_for(heard_one.get(), TIMEOUT)
        assert got_one == got_two == DomainEvent("t.x", {"n": "一"}, id=1)
        await asyncio.sleep(0.2)
        assert heard_one.drain() == [] and heard_two.drain() == []
    finally:
        await one.close()
        await two.close()


async def test_a_redis_subscription_hears_what_any_bus_publishes(redis_channel):
    listening, publishing = RedisBus(REDIS_URL, redis_channel), RedisBus(REDIS_URL, redis_channel)
    try:
        await listening.start()
        events = listening.subscribe({"t.y"})
        first = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0)  # registered
        assert listening.subscriber_count == 1
        await publishing.publish([DomainEvent("t.y", {"n": 1}, id=7)])
        assert await asyncio.wait_for(first, TIMEOUT) == DomainEvent("t.y", {"n": 1}, id=7)
        await events.aclose()
        assert listening.subscriber_count == 0
    finally:
        await listening.close()
        await publishing.close()


@pytest.fixture
def pg_url(db) -> str:  # noqa: ANN001
    if db.is_sqlite:
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    return db.url


def _emit_large(uow, text: str) -> None:  # noqa: ANN001
    uow.emit("t.large", text=text)


async def test_postgres_buses_deliver_to_every_process_once_large_events_by_id(pg_url, factory):
    """Two LISTEN connections (two processes' buses): each hears every event once, in
    order; an event over NOTIFY's payload limit is read from the outbox by its id."""
    one, two = PostgresBus(pg_url, "crm_test_bus"), PostgresBus(pg_url, "crm_test_bus")
    large = "长" * 5_000  # 15,000 bytes of UTF-8: over the 8,000 a notification may carry
    factory.write(_emit_large, large)
    with Session(factory.runner.db.read_engine) as session:
        [stored] = [e for e in outbox.events_after(session, 0, {"t.large"}, {}, limit=10_000)
                    if e.payload["text"] == large]
    try:
        await one.start()
        await two.start()
        heard_one, heard_two = one.open({"t.x", "t.large"}), two.open({"t.x", "t.large"})
        small = [DomainEvent("t.x", {"n": i, "s": "一" * 300}, id=stored.id + i)
                 for i in range(1, 40)]  # 39 of ~930 bytes: several notifications
        await one.publish([DomainEvent("t.large", {"text": large}, id=stored.id), *small,
                           DomainEvent("t.other", {}, id=stored.id + 99)])
        for heard in (heard_one, heard_two):
            got = [await asyncio.wait_for(heard.get(), TIMEOUT) for _ in range(40)]
            assert got == [DomainEvent("t.large", {"text": large}, id=stored.id), *small]
        assert one.connected and await one.ping()
        await asyncio.sleep(0.2)
        assert heard_one.drain() == [] and heard_two.drain() == []
    finally:
        await one.close()
        await two.close()


async def test_subscriber_on_a_hears_a_mutation_sent_to_b(processes, factory):
    a, b = processes
    async with httpx.AsyncClient(base_url=b.url, timeout=TIMEOUT) as to_b:
        kit = Kit(Api(to_b, factory), factory)
        order, _customer, rep = await pending_order(kit, factory)
        ws = await WsClient.connect(a.ws_url, rep.token)
        await ws.subscribe("o", STATUS, {"orderId": order["id"]})

        await kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)

        change = (await ws.next("o"))["data"]["orderStatusChanged"]
        assert change["transition"] == {"fromStatus": "PENDING_REVIEW",
                                        "toStatus": "CONFIRMED"}
        assert change["order"] == {"status": "CONFIRMED"}
        assert await ws.quiet("o") == []  # once, though both processes heard it
        await ws.close()
