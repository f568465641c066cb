"""graphql-transport-ws behaviour through a real WebSocket client against a real server."""

from __future__ import annotations

import asyncio
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.config import ConfigError, load_settings
from app.persistence.db import Database
from tests.subscriptions.harness import PROTOCOL, TIMEOUT, LiveServer, WsClient, live_settings

STOCK = "subscription { stockAlerts { cursor kind } }"


@pytest.fixture(scope="module")
def strict(settings, db):  # noqa: ANN001, ANN201
    """A server with a short init timeout and one allowed browser origin."""
    own = Database(settings.database_url)  # db: migrated; own engines for this server
    server = LiveServer(live_settings(settings, ws_init_timeout_seconds=0.5,
                                      allowed_origins=("https://app.example.com",)), own).start()
    yield server
    server.stop()
    own.dispose()


def test_init_timeout_is_at_most_ten_seconds():
    base = {"CRM_JWT_SECRET": "s" * 40}
    assert load_settings(base).ws_init_timeout_seconds == 10
    assert load_settings({**base, "CRM_WS_INIT_TIMEOUT_SECONDS": "3"}).ws_init_timeout_seconds \
        == 3
    with pytest.raises(ConfigError):
        load_settings({**base, "CRM_WS_INIT_TIMEOUT_SECONDS": "11"})


async def test_connection_without_init_is_closed_4408(strict):
    ws = await WsClient.connect(strict.ws_url, init=False)
    started = time.monotonic()
    code, reason = await ws.closed(timeout=5)
    assert code == 4408 and "timeout" in reason.lower()
    assert time.monotonic() - started < 3


async def test_subscribe_before_ack_is_closed_4401(live):
    ws = await WsClient.connect(live.ws_url, init=False)
    await ws.send({"id": "1", "type": "subscribe", "payload": {"query": STOCK}})
    assert (await ws.closed())[0] == 4401


async def test_duplicate_operation_id_is_closed_4409(live, factory):
    admin = factory.user("ADMIN")
    ws = await WsClient.connect(live.ws_url, admin.token)
    await ws.subscribe("dup", STOCK)
    await ws.send({"id": "dup", "type": "subscribe", "payload": {"query": STOCK}})
    code, reason = await ws.closed()
    assert code == 4409 and "dup" in reason


async def test_ping_gets_pong_and_complete_ends_an_operation(live, factory):
    admin = factory.user("ADMIN")
    ws = await WsClient.connect(live.ws_url, admin.token)
    await ws.send({"type": "ping", "payload": {"n": 1}})
    assert (await ws.recv())["type"] == "pong"
    await ws.subscribe("s1", STOCK)
    fanout = live.state.extras["fanout"]
    assert fanout.subscriber_count >= 1
    before = fanout.subscriber_count
    await ws.send({"id": "s1", "type": "complete"})
    await ws.sync()
    await asyncio.sleep(0.1)
    assert fanout.subscriber_count == before - 1
    await ws.subscribe("s1", STOCK)  # the id is free again
    await ws.close()


@pytest.mark.parametrize("payload, reason", [
    ({}, "authentication required"),
    ({"authorization": "Bearer not-a-token"}, "invalid token"),
    ({"authorization": "Basic abc"}, "invalid authorization header"),
])
async def test_connection_init_without_a_valid_token_is_refused(live, payload, reason):
    ws = await WsClient.connect(live.ws_url, init=False)
    await ws.send({"type": "connection_init", "payload": payload})
    code, text = await ws.closed()
    assert code == 4403 and reason in text


async def test_expired_token_is_refused_at_init(live, factory):
    user = factory.user("ADMIN")
    token = factory.token_for(user.id, "ADMIN", now=int(time.time()) - 3600, ttl_seconds=60)
    ws = await WsClient.connect(live.ws_url, init=False)
    await ws.send({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    code, text = await ws.closed()
    assert code == 4403 and "expired" in text


async def test_subscription_ends_with_a_clear_error_when_the_token_expires(live, factory):
    user = factory.user("MANAGER")
    token = factory.token_for(user.id, "MANAGER", ttl_seconds=2)
    ws = await WsClient.connect(live.ws_url, token)
    await ws.subscribe("s", STOCK)
    message = await ws.message("s", timeout=5)
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "expired" in message["payload"][0]["message"]
    # later operations on the same connection are refused too
    await ws.send({"id": "t", "type": "subscribe", "payload": {"query": STOCK}})
    assert (await ws.message("t"))["type"] == "error"
    await ws.close()


async def test_legacy_graphql_ws_protocol_is_not_spoken(live):
    async with connect(live.ws_url, subprotocols=["graphql-ws"], open_timeout=TIMEOUT) as conn:
        assert conn.subprotocol is None
        await asyncio.wait_for(conn.wait_closed(), TIMEOUT)
        assert conn.close_code == 4406


async def test_browser_origins_must_be_allowed(strict, factory):
    admin = factory.user("ADMIN")
    with pytest.raises(InvalidStatus) as refused:
        await WsClient.connect(strict.ws_url, admin.token, origin="https://evil.example.net")
    assert refused.value.response.status_code == 403
    ws = await WsClient.connect(strict.ws_url, admin.token, origin="https://app.example.com")
    await ws.sync()
    await ws.close()
    async with connect(strict.ws_url, subprotocols=[PROTOCOL], open_timeout=TIMEOUT):
        pass  # no Origin header: not a browser, allowed


async def test_validation_errors_arrive_as_an_error_message(live, factory):
    admin = factory.user("ADMIN")
    ws = await WsClient.connect(live.ws_url, admin.token)
    await ws.subscribe("bad", "subscription { stockAlerts { nope } }")
    message = await ws.message("bad")
    assert message["type"] == "error" and "nope" in message["payload"][0]["message"]
    await ws.subscribe("cur", 'subscription { stockAlerts(since: "abc") { cursor } }')
    message = await ws.message("cur")
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    await ws.close()


async def test_queries_run_over_the_socket_and_subscriptions_not_over_http(live, live_api,
                                                                           factory):
    admin = factory.user("ADMIN")
    ws = await WsClient.connect(live.ws_url, admin.token)
    await ws.send({"id": "q", "type": "subscribe", "payload": {"query": "{ me { role } }"}})
    assert (await ws.next("q"))["data"] == {"me": {"role": "ADMIN"}}
    assert (await ws.message("q"))["type"] == "complete"
    await ws.close()
    body = await live_api.gql(STOCK, token=admin.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "WebSocket" in body["errors"][0]["message"]
