"""`crm serve --workers N` (docs/architecture.md#every-core): several server processes on
PostgreSQL with nothing else, live events crossing them through LISTEN/NOTIFY; refused on
SQLite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from app.cli import worker_pool_size
from app.config import PROJECT_ROOT
from tests.conftest import TEST_SECRET
from tests.faults.conftest import QUIET
from tests.faults.test_postgres_restart import wait_for
from tests.notifications.support import pending_order
from tests.orders.support import Kit
from tests.shutdown.serve import CrmServe
from tests.subscriptions.harness import TIMEOUT, WsClient
from tests.support import Api

STATUS = """subscription { orderStatusChanged { cursor transition { toStatus } } }"""


def test_workers_split_the_connection_budget_unless_the_pool_is_set():
    """N workers' pools (plus each worker's bus and leader lock connections) stay within 80
    of PostgreSQL's default 100 connections: 2 workers keep 37 each, 8 keep 7, never under
    5."""
    assert [worker_pool_size(n, {}) for n in (1, 2, 4, 8, 64)] == [None, 37, 17, 7, 5]
    assert all(n * (worker_pool_size(n, {}) + 3) <= 80 for n in (2, 3, 4, 8, 10))
    assert worker_pool_size(8, {"CRM_DB_POOL_SIZE": "20"}) is None  # the operator's choice


def test_sqlite_refuses_more_than_one_worker(tmp_path: Path):
    env = {"CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'one.db'}",
           "CRM_JWT_SECRET": TEST_SECRET, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from app.cli import main; "
         "sys.exit(main(['serve', '--workers', '2']))"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "--workers above 1 needs PostgreSQL" in done.stderr


async def test_two_workers_share_live_events_through_postgresql(settings, db, factory,
                                                                tmp_path: Path):
    if db.is_sqlite:
        pytest.skip("several workers are PostgreSQL's")
    env = {"CRM_DATABASE_URL": settings.database_url, "CRM_JWT_SECRET": TEST_SECRET,
           "CRM_REDIS_URL": "", **QUIET}
    server = CrmServe(env, tmp_path / "serve.log", ("--workers", "2")).start()
    try:
        ready = httpx.get(f"{server.url}/readyz", timeout=TIMEOUT).json()
        assert ready["bus"] == "postgres", ready
        assert "2 worker processes" in server.output()
        # one worker leads the periodic background jobs, the other follows
        # (docs/architecture.md#one-leader-for-the-background-jobs)
        await wait_for("both workers started their background jobs", lambda: (
            server.output().count("another process leads the background jobs") == 1
            and server.output().count("this process leads the background jobs") == 1), 90)
        manager = factory.user("MANAGER")
        ws = await WsClient.connect(server.ws_url, manager.token)
        await ws.subscribe("o", STATUS)
        approved = []
        for _ in range(6):  # each step on a connection of its own: either worker takes it
            async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as client:
                kit = Kit(Api(client, factory), factory)
                order, _customer, _rep = await pending_order(kit, factory)
                await kit.ok_step("orderApprove", order["id"], factory.user("FINANCE").token)
                approved.append(order["id"])
        got = [(await ws.next("o"))["data"]["orderStatusChanged"]["transition"]["toStatus"]
               for _ in range(12)]  # submitted (PENDING_REVIEW) and approved, each order
        assert sorted(got) == ["CONFIRMED"] * 6 + ["PENDING_REVIEW"] * 6
        assert await ws.quiet("o") == []  # once each, though every worker heard each
        await ws.close()
        server.terminate()
        assert server.wait() == 0, server.output()
    finally:
        server.kill()
