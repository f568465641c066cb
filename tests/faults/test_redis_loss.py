"""Redis lost and back (docs/architecture.md#faults): two server processes share one
database and a Redis of the test's own. With Redis killed, mutations keep working, the
process that committed them delivers them to its own subscribers, /readyz says
"degraded"; once Redis is back the other process's subscribers get every event they
missed, a subscriber resuming with `since` gets each exactly once, and the relay has
published what was left in the outbox."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from app.events import topics
from app.events.models import OutboxEvent
from schema.subscriptions.streams import SAFETY_POLL_SECONDS, parse_cursor
from tests.faults.conftest import server_env
from tests.faults.services import AppServer, RedisServer, faults_only
from tests.faults.test_postgres_restart import wait_for
from tests.orders.support import CREATE, Kit, gid, pk, step_query
from tests.subscriptions.harness import WsClient
from tests.support import Api, Factory

pytestmark = faults_only

WAIT = 60.0
# Live deliveries must come well before a stream's safety poll re-reads the outbox anyway
# (schema/subscriptions/streams.py): otherwise the poll, not the bus, delivered them.
LIVE = SAFETY_POLL_SECONDS / 2
STATUS = """subscription($customerId: ID, $since: String) {
  orderStatusChanged(customerId: $customerId, since: $since) {
    cursor transition { toStatus } order { id } } }"""


@pytest.fixture
def servers(settings, db, own_redis: RedisServer) -> Iterator[tuple[AppServer, AppServer]]:  # noqa: ANN001
    env = server_env(settings.database_url, CRM_REDIS_URL=own_redis.url,
                     CRM_REDIS_CHANNEL=f"crm:faults:{secrets.token_hex(6)}")
    a, b = AppServer(env), AppServer(env)
    try:
        a.launch(), b.launch()
        a.wait_ready(), b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()


async def readiness(http: httpx.AsyncClient, url: str) -> tuple[int, str]:
    try:
        response = await http.get(f"{url}/readyz")
    except httpx.HTTPError:
        return 0, ""
    return response.status_code, response.json().get("status", "")


async def draft(http: httpx.AsyncClient, token: str, customer_id: int, product_id: int) -> str:
    response = await http.post("/graphql", headers={"authorization": f"Bearer {token}"}, json={
        "query": CREATE, "variables": {"input": {
            "customerId": gid("Customer", customer_id), "channel": "SALES_REP",
            "lines": [{"productId": gid("Product", product_id), "quantity": 1}]}}})
    payload = response.json()["data"]["orderCreate"]
    assert payload["userErrors"] == [], payload
    return payload["order"]["id"]


async def submit(http: httpx.AsyncClient, token: str, order_id: str) -> None:
    response = await http.post("/graphql", headers={"authorization": f"Bearer {token}"},
                               json={"query": step_query("orderSubmit"),
                                     "variables": {"id": order_id}})
    body = response.json()
    assert not body.get("errors") and body["data"]["orderSubmit"]["userErrors"] == [], body


async def heard(ws: WsClient, op: str, count: int) -> list[dict]:
    """The next `count` status changes of `op`, each within LIVE seconds, then nothing more
    (no duplicate)."""
    changes = [(await ws.next(op, LIVE))["data"]["orderStatusChanged"] for _ in range(count)]
    assert await ws.quiet(op, 1.0) == []
    return changes


def orders_of(changes: list[dict]) -> list[str]:
    return [c["order"]["id"] for c in changes]


def unpublished_after(factory: Factory, cursor: str, order_ids: list[str]) -> int:
    """Status changes of these orders after `cursor` that the relay has not published."""
    after = parse_cursor(cursor)
    wanted = {pk(o) for o in order_ids}

    def fetch(session) -> int:  # noqa: ANN001
        rows = session.exec(select(OutboxEvent).where(
            OutboxEvent.id > after, OutboxEvent.topic == topics.ORDER_STATUS_CHANGED)).all()
        return sum(1 for r in rows if r.payload.get("order_id") in wanted
                   and r.published_at is None)
    return factory.runner.read_sync(fetch, (), {})


async def test_redis_lost_and_back(servers, own_redis, factory):  # noqa: ANN001
    a, b = servers
    admin = factory.user("ADMIN").token
    customer = factory.customer(region="华东")
    async with httpx.AsyncClient(base_url=a.url, timeout=WAIT) as to_a:
        kit = Kit(Api(to_a, factory), factory)
        product = kit.product()
        kit.stock(product, kit.warehouse(), 1000)
        orders = [await draft(to_a, admin, customer.id, product.id) for _ in range(5)]
        variables = {"customerId": gid("Customer", customer.id)}
        on_a = await WsClient.connect(a.ws_url, admin)
        on_b = await WsClient.connect(b.ws_url, admin)
        await on_a.subscribe("a", STATUS, variables)
        await on_b.subscribe("b", STATUS, variables)

        await submit(to_a, admin, orders[0])  # Redis up: both processes hear it
        assert orders_of(await heard(on_a, "a", 1)) == orders[:1]
        before = await heard(on_b, "b", 1)
        assert orders_of(before) == orders[:1]

        own_redis.kill()
        await wait_for("A's /readyz says degraded", lambda: _state(to_a, a.url, "degraded"))
        status, _ = await readiness(to_a, a.url)
        assert status == 200  # degraded, not out of rotation
        for order in orders[1:4]:
            await submit(to_a, admin, order)  # mutations keep working
        assert orders_of(await heard(on_a, "a", 3)) == orders[1:4]  # same process: live

        own_redis.start()
        for server in (a, b):
            await wait_for("/readyz ok again", lambda s=server: _state(to_a, s.url, "ok"))
        # B's subscriber: every event it missed, once, in order
        assert orders_of(await heard(on_b, "b", 3)) == orders[1:4]
        assert await on_a.quiet("a", 0.5) == []  # the relay's late publication: no repeat

        # a subscriber resuming from before the outage: each event exactly once
        resumed = await WsClient.connect(b.ws_url, admin)
        await resumed.subscribe("r", STATUS, {**variables, "since": before[0]["cursor"]})
        assert orders_of(await heard(resumed, "r", 3)) == orders[1:4]

        await submit(to_a, admin, orders[4])  # cross-process delivery is live again
        assert orders_of(await heard(on_b, "b", 1)) == orders[4:]
        assert orders_of(await heard(resumed, "r", 1)) == orders[4:]

        for ws in (on_a, on_b, resumed):
            await ws.close()
    # the relay published everything the outage left in the outbox
    await wait_for("the relay published the outage's events",
                   lambda: unpublished_after(factory, before[0]["cursor"], orders) == 0)


async def _state(http: httpx.AsyncClient, url: str, expected: str) -> bool:
    return (await readiness(http, url))[1] == expected
