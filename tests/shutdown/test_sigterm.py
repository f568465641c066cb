"""SIGTERM to `crm serve` during live subscriptions and an in-flight request
(docs/architecture.md#shutdown): the process stops accepting, finishes the request, closes
its WebSockets with 1012, flushes the outbox relay's marks, stops its SQLite writer process
and exits 0. The reference client (tests/shutdown/client.py) resumes with `since` on a
second server process: the events it receives are exactly the committed outbox rows, in
order, none missing, none twice.

The in-flight request is held by this test: it takes SQLite's write lock (BEGIN IMMEDIATE on
a connection of its own) before sending it, so the request waits in the writer until the
test lets go, after the SIGTERM; `crm_graphql_requests_in_progress` says it has arrived."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time

import httpx
import pytest

from tests.orders.support import step_query
from tests.shutdown.client import SERVICE_RESTART, ResumingSubscriber
from tests.shutdown.serve import CrmServe, alive
from tests.storage.support import Stocked, place_order, server_env, stocked_database

STATUS = """subscription($since: String) { orderStatusChanged(since: $since) {
  cursor transition { toStatus } } }"""
SUBMIT = step_query("orderSubmit")


async def _submitted(client: httpx.AsyncClient, stocked: Stocked, n: int) -> None:
    """An order placed and submitted: one status change (DRAFT -> PENDING_REVIEW)."""
    order_id = await _created(client, stocked, n)
    await _submit(client, stocked, order_id)


async def _created(client: httpx.AsyncClient, stocked: Stocked, n: int) -> str:
    response = await place_order(client, stocked, n)
    assert response.status_code == 200 and not response.json().get("errors"), response.text
    return response.json()["data"]["orderCreate"]["order"]["id"]


async def _submit(client: httpx.AsyncClient, stocked: Stocked, order_id: str) -> dict:
    response = await client.post("/graphql", json={"query": SUBMIT, "variables": {"id": order_id}},
                                 headers={"authorization": f"Bearer {stocked.token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors") and body["data"]["orderSubmit"]["userErrors"] == [], body
    return body["data"]["orderSubmit"]["order"]


def _status_events(path) -> list[tuple[str, bool]]:  # noqa: ANN001
    """(outbox id, published) of every committed status change, in id order."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return [(str(i), p is not None) for i, p in conn.execute(
            "SELECT id, published_at FROM outbox_event WHERE topic = 'order.status_changed' "
            "ORDER BY id")]


async def _wait(condition, what: str, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.05)


async def test_sigterm_drains_requests_and_subscribers_resume_elsewhere(settings, tmp_path):  # noqa: ANN001
    if not settings.is_sqlite:
        pytest.skip("holds SQLite's write lock to keep a request in flight")
    path = tmp_path / "crm.db"
    stocked = stocked_database(settings, path)
    env = server_env(stocked.url, CRM_SHUTDOWN_GRACE_SECONDS="120")
    first = CrmServe(env, tmp_path / "first.log")
    second = CrmServe(env, tmp_path / "second.log")
    subscriber = None
    try:
        first.start()
        second.start()
        subscriber = ResumingSubscriber([first.ws_url, second.ws_url], stocked.token, STATUS,
                                        "orderStatusChanged").start()
        await asyncio.wait_for(subscriber.subscribed.wait(), 60)
        async with httpx.AsyncClient(base_url=first.url, timeout=120) as one, \
                httpx.AsyncClient(base_url=second.url, timeout=120) as two:
            for n in range(3):
                await _submitted(one, stocked, n)
            await subscriber.wait_until(lambda s: len(s.cursors) == 3)
            waiting = await _created(one, stocked, 3)
            writers = first.children()  # the SQLite writer process (none as a thread)
            assert len(writers) == (settings.sqlite_writer == "process")

            # a request in flight when the signal comes
            lock = sqlite3.connect(path, isolation_level=None, timeout=60)
            lock.execute("BEGIN IMMEDIATE")
            in_flight = asyncio.create_task(_submit(one, stocked, waiting))
            await _wait(lambda: asyncio.to_thread(
                first.metric, "crm_graphql_requests_in_progress"), "the request arrived")
            first.terminate()

            async def refused() -> bool:  # the listening socket is closed
                try:
                    (await asyncio.open_connection("127.0.0.1", first.port))[1].close()
                except OSError:
                    return True
                return False

            await _wait(refused, "the first server stopped accepting")
            assert not in_flight.done()
            # let go soon: the writer waits for the lock in SQLite's busy handler (30 s)
            lock.rollback()
            lock.close()
            assert (await asyncio.wait_for(in_flight, 120))["status"] == "PENDING_REVIEW"
            assert await asyncio.to_thread(first.wait) == 0, first.output()
            assert not [pid for pid in writers if alive(pid)], "the writer process outlived it"
            await subscriber.wait_until(lambda s: s.closes == [SERVICE_RESTART]
                                        and s.subscribed.is_set())

            # the next events, through the second server: the subscriber hears everything
            for n in range(4, 6):
                await _submitted(two, stocked, n)
            committed = _status_events(path)
            await subscriber.wait_until(lambda s: s.cursors and s.cursors[-1] == committed[-1][0])
        assert len(committed) == 6
        assert subscriber.cursors == [i for i, _ in committed]  # no gap, no duplicate
        assert subscriber.closes == [SERVICE_RESTART]
        # the first server marked what it published before it exited (its relay's flush)
        assert all(published for _, published in committed[:4])
        assert "Traceback" not in first.output(), first.output()
        await subscriber.stop()
        second.terminate()  # idle: it exits at once
        assert await asyncio.to_thread(second.wait) == 0, second.output()
    finally:
        if subscriber is not None:
            await subscriber.stop()
        first.kill()
        second.kill()
