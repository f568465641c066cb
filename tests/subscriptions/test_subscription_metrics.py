"""The active-subscriptions gauge of /metrics (docs/architecture.md#metrics): up while a
subscription runs on a WebSocket, down when it completes or the socket closes."""

from __future__ import annotations

import asyncio
import time

from tests.subscriptions.harness import TIMEOUT, WsClient

STOCK = "subscription { stockAlerts { cursor kind } }"


async def _until(live, expected: float) -> None:  # noqa: ANN001
    registry = live.state.metrics.registry
    deadline = time.monotonic() + TIMEOUT
    while registry.get_sample_value("crm_subscriptions_active") != expected:
        assert time.monotonic() < deadline, registry.get_sample_value("crm_subscriptions_active")
        await asyncio.sleep(0.01)


async def test_active_subscriptions(live, factory):  # noqa: ANN001
    admin = factory.user("ADMIN")
    base = live.state.metrics.registry.get_sample_value("crm_subscriptions_active")
    first = await WsClient.connect(live.ws_url, admin.token)
    second = await WsClient.connect(live.ws_url, admin.token)
    await first.subscribe("a", STOCK)
    await first.subscribe("b", STOCK)
    await second.subscribe("c", STOCK)
    await _until(live, base + 3)
    await first.send({"id": "a", "type": "complete"})
    await first.sync()
    await _until(live, base + 2)
    await first.close()
    await _until(live, base + 1)
    await second.close()
    await _until(live, base)
