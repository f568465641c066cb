"""One leader for the periodic background jobs of several processes on one PostgreSQL
(docs/architecture.md#one-leader-for-the-background-jobs).

A process leads while it holds a session-level advisory lock (`pg_try_advisory_lock`, key
`LEADER_KEY`) on a connection of its own, outside the request pool. The others try again
every `retry` seconds (CRM_LEADER_RETRY_SECONDS), so when the leader dies its connection
closes, PostgreSQL frees the lock and another process takes it at its next try.

The leader checks its lock connection at the same pace (`SELECT 1`: a session-level lock
lasts as long as its session). When the check fails it stops its jobs first, then drops
the connection, and competes again from the next round. Until that check two processes
may run the jobs for at most about `retry` seconds; every job is safe in several processes
(each module says why), so the lock saves load and is not what keeps the jobs correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import psycopg
from sqlalchemy.engine import make_url

from app.persistence.background import spawn_background, stop_background

log = logging.getLogger("crm.leader")
# int.from_bytes(b"crm-lead", "big"); advisory keys are per database, so two deployments on
# one server do not compete
LEADER_KEY = 7165909998959419748
TIMEOUT = 5.0  # a hung server must not hold the election loop
# how long shutdown waits for a round in progress (its lock calls are bounded by TIMEOUT)
STOP_WAIT = 60.0


class AdvisoryLock:
    """The leader lock on a dedicated autocommit connection (the lock's SQL lives here)."""

    def __init__(self, url: str, key: int = LEADER_KEY) -> None:
        # libpq's form of the app's SQLAlchemy URL
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)
        self.key = key
        self._conn: psycopg.AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        """Whether this process holds the lock now (the connection opened if needed)."""
        if self._conn is None or self._conn.closed:
            self._conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(
                self.conninfo, autocommit=True, keepalives=1, keepalives_idle=10,
                keepalives_interval=5, keepalives_count=3), TIMEOUT)
        cur = await asyncio.wait_for(
            self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)), TIMEOUT)
        row = await cur.fetchone()
        return bool(row and row[0])

    async def verify(self) -> None:
        """Raises unless the session holding the lock still answers."""
        if self._conn is None or self._conn.closed:
            raise ConnectionError("the leader lock's connection is closed")
        await asyncio.wait_for(self._conn.execute("SELECT 1"), TIMEOUT)

    async def release(self) -> None:
        """Close the connection: PostgreSQL frees a session's locks with it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    @property
    def backend_pid(self) -> int | None:
        """The lock session's server process (tests end it to break the connection)."""
        return self._conn.info.backend_pid if self._conn is not None else None


class Leadership:
    """Runs `elected` when this process takes the lock and `deposed` when it stops leading
    (its lock connection failed, or the process stops)."""

    def __init__(self, lock: AdvisoryLock, *, retry: float,
                 elected: Callable[[], Awaitable[None]],
                 deposed: Callable[[], Awaitable[None]]) -> None:
        self.lock = lock
        self.retry = retry
        self.elected = elected
        self.deposed = deposed
        self.leading = False
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self.round()  # the first try before serving: a lone process leads at once
        if not self.leading:
            log.info("another process leads the background jobs; trying every %gs",
                     self.retry)
        self._stopping = asyncio.Event()
        self._task = spawn_background(self._loop(), "leader-election")

    async def stop(self) -> None:
        """End the election loop after its current round, then step down. A round is never
        cancelled half way: one that is starting the jobs (`elected`) finishes starting
        them, so `deposed` stops every one of them (a start cut short left a job that its
        stop waited for: the process never finished shutting down)."""
        if self._task is not None:
            self._stopping.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT)
            except TimeoutError:  # a round stuck past every bound: cut it short after all
                log.warning("leader election round still running at shutdown; cancelled")
                await stop_background([self._task])
            self._task = None
        await self._step_down()

    async def round(self) -> None:
        if self.leading:
            try:
                await self.lock.verify()
            except Exception as exc:  # the lock may be gone: never lead without it
                log.warning("leader lock connection failed (%s); stopping the background "
                            "jobs and trying again", exc)
                await self._step_down()
            return
        try:
            won = await self.lock.try_acquire()
        except Exception as exc:  # database down: try again next round
            log.warning("leader lock: could not try (%s); trying again in %gs", exc,
                        self.retry)
            await self.lock.release()
            return
        if won:
            self.leading = True
            log.info("this process leads the background jobs (advisory lock %d)",
                     self.lock.key)
            await self.elected()

    async def _step_down(self) -> None:
        if self.leading:
            self.leading = False
            await self.deposed()  # the jobs first, then the lock: never jobs without it
            log.info("this process no longer leads the background jobs")
        await self.lock.release()

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.retry)
            if self._stopping.is_set():
                return
            try:
                await self.round()
            except Exception:  # a job that failed to start or stop: the loop goes on
                log.exception("leader election round failed")
