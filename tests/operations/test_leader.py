"""One leader runs the periodic background jobs of several processes on one PostgreSQL
(app/persistence/leader.py; docs/architecture.md#one-leader-for-the-background-jobs):
exactly one process leads, another takes over when it stops, dies or loses its lock
connection; one process, and SQLite, run every job as before."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlmodel import Session, select

from app.events.models import OutboxEvent
from app.persistence.columns import utcnow
from app.persistence.leader import AdvisoryLock, Leadership
from tests.conftest import TEST_SECRET
from tests.faults.conftest import QUIET
from tests.faults.test_postgres_restart import wait_for
from tests.shutdown.serve import CrmServe

TAKEOVER = 60.0  # a liveness bound for a loaded machine, not a measurement
TEST_KEY = 4242  # not the app's LEADER_KEY: the servers below compete for that one


class Candidate:
    """A Leadership whose jobs are a flag, on a lock connection of its own."""

    def __init__(self, url: str) -> None:
        self.running = False
        self.leadership = Leadership(AdvisoryLock(url, key=TEST_KEY), retry=0.1,
                                     elected=self._elected, deposed=self._deposed)

    async def _elected(self) -> None:
        assert not self.running
        self.running = True

    async def _deposed(self) -> None:
        self.running = False


def _pg_only(db) -> None:  # noqa: ANN001
    if db.is_sqlite:
        pytest.skip("the leader lock is PostgreSQL's; SQLite has one process")


async def test_one_of_two_leads_and_the_other_takes_over(settings, db):
    _pg_only(db)
    a, b = Candidate(settings.database_url), Candidate(settings.database_url)
    await a.leadership.start()
    await b.leadership.start()
    try:
        assert (a.running, b.running) == (True, False)  # the first to try leads at once
        assert [c.leadership.leading for c in (a, b)] == [True, False]

        await a.leadership.stop()  # a process stopping: its jobs, then its lock
        assert not a.running
        await wait_for("b takes over", lambda: b.running, TAKEOVER)
        assert b.leadership.leading and not a.leadership.leading
    finally:
        await b.leadership.stop()
        await a.leadership.stop()


async def test_a_leader_whose_lock_connection_breaks_stops_its_jobs(settings, db):
    """The lock goes with its session: the leader finds its connection gone at its next
    check and stops its jobs; the other process takes the lock."""
    _pg_only(db)
    a, b = Candidate(settings.database_url), Candidate(settings.database_url)
    await a.leadership.start()
    await b.leadership.start()
    try:
        assert a.running and not b.running
        pid = a.leadership.lock.backend_pid
        admin = await psycopg.AsyncConnection.connect(a.leadership.lock.conninfo,
                                                      autocommit=True)
        async with admin:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        await wait_for("b takes over", lambda: b.running, TAKEOVER)
        await wait_for("a stops its jobs", lambda: not a.running, TAKEOVER)
        await asyncio.sleep(0.5)  # several of a's retries: the lock stays b's
        assert (a.running, b.running) == (False, True)
    finally:
        await b.leadership.stop()
        await a.leadership.stop()


async def test_one_process_and_sqlite_run_every_job(settings, db):
    """No election on SQLite, whatever CRM_LEADER_ELECTION says; on PostgreSQL a lone
    process leads at once. Either way the periodic jobs start with the app."""
    from schema.asgi import create_app

    app = create_app(settings=replace(settings, leader_election=True), db=db)
    state = app.state.crm
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ready = (await client.get("/readyz")).json()
        assert ready["background"] == ("all" if db.is_sqlite else "leader"), ready
        assert state.events.leading
        assert state.events.relay._recovery is not None  # outbox recovery runs
        assert state.events.housekeeping._task is not None  # and the periodic jobs do
    assert state.events.relay._recovery is None and state.events.housekeeping._task is None


def _runs_periodic_jobs(app) -> bool:  # noqa: ANN001
    events = app.state.crm.events
    return (events.relay._recovery is not None and events.housekeeping._task is not None
            and bool(events.planner._tasks) and bool(events.webhooks._tasks))


async def test_a_follower_app_runs_no_periodic_job_until_it_leads(settings, db):
    """Two apps on one database: the follower keeps its bus and marks its own publications,
    and starts the periodic jobs only once the leader has stopped."""
    _pg_only(db)
    from schema.asgi import create_app

    elected = replace(settings, leader_election=True, leader_retry_seconds=0.1)
    first, second = create_app(settings=elected, db=db), create_app(settings=elected, db=db)
    events = second.state.crm.events
    async with contextlib.AsyncExitStack() as second_up:
        async with contextlib.AsyncExitStack() as first_up:
            await first_up.enter_async_context(first.router.lifespan_context(first))
            await second_up.enter_async_context(second.router.lifespan_context(second))
            assert _runs_periodic_jobs(first)
            assert not events.leading and events.relay._tasks  # its own marks, no recovery
            assert events.relay._recovery is None and events.housekeeping._task is None
            assert not events.planner._tasks and not events.exports._tasks
        # the first app has shut down: its jobs, then its lock
        await wait_for("the second app takes over", lambda: _runs_periodic_jobs(second),
                       TAKEOVER)
        assert events.leading


def _role(url: str) -> str | None:
    try:
        return httpx.get(f"{url}/readyz", timeout=10).json().get("background")
    except httpx.HTTPError:
        return None


def _leader_gauge(url: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("crm_background_leader "))
    return float(line.split()[1])


def _published(db, event_id: int) -> bool:  # noqa: ANN001
    with Session(db.read_engine) as session:
        event = session.exec(select(OutboxEvent).where(OutboxEvent.id == event_id)).one()
        return event.published_at is not None


async def test_two_servers_elect_one_leader_and_the_other_takes_over(settings, db,
                                                                      tmp_path: Path):
    _pg_only(db)
    env = {"CRM_DATABASE_URL": settings.database_url, "CRM_JWT_SECRET": TEST_SECRET,
           "CRM_REDIS_URL": "", "CRM_EVENT_BUS": "postgres", **QUIET,
           "CRM_LEADER_ELECTION": "1", "CRM_LEADER_RETRY_SECONDS": "0.2"}
    one = ("--workers", "1")  # one process each, so that killing it kills the leader
    first = CrmServe(env, tmp_path / "first.log", one).start()
    second = None
    try:
        second = CrmServe(env, tmp_path / "second.log", one).start()
        servers = {first.url: first, second.url: second}
        await wait_for("one leader and one follower",
                       lambda: sorted(_role(u) or "" for u in servers) == ["follower",
                                                                           "leader"],
                       TAKEOVER)
        leader = next(s for u, s in servers.items() if _role(u) == "leader")
        follower = second if leader is first else first
        assert (_leader_gauge(leader.url), _leader_gauge(follower.url)) == (1.0, 0.0)
        assert "this process leads the background jobs" in leader.output()
        assert "another process leads the background jobs" in follower.output()

        leader.kill()  # dies: PostgreSQL frees the lock with its connection
        await wait_for("the follower takes over", lambda: _role(follower.url) == "leader",
                       TAKEOVER)
        assert _leader_gauge(follower.url) == 1.0

        # and runs the jobs: its outbox recovery publishes an event a crash left behind
        with Session(db.write_engine) as session:
            event = OutboxEvent(topic="test.leader", payload={},
                                created_at=utcnow() - timedelta(minutes=5))
            session.add(event)
            session.commit()
            event_id = event.id
        assert event_id is not None
        await wait_for("the new leader's relay publishes it",
                       lambda: _published(db, event_id), TAKEOVER)
        follower.terminate()
        assert follower.wait() == 0, follower.output()
    finally:
        first.kill()
        if second is not None:
            second.kill()
