"""The outbox relay: publishes committed events and records that it did.

Normal path: the unit of work hands its events over right after commit; they
go to the bus at once and are marked published in small batches. Recovery path:
at startup and then periodically the relay publishes every event still
unpublished after a grace period (a process died between commit and publish).
Delivery is at least once; every consumer de-duplicates by outbox id.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import anyio.from_thread
import anyio.to_thread
from sqlmodel import Session

from app.events.bus import DomainEvent, EventBus
from app.events.repository import outbox
from app.persistence.background import spawn_background, stop_background
from app.persistence.db import Database
from app.persistence.sqlite.writers import write_in_session

log = logging.getLogger("crm.events.relay")


class OutboxRelay:
    def __init__(self, db: Database, bus: EventBus, *, interval: float = 5.0,
                 grace: float = 10.0, mark_delay: float = 0.2, batch: int = 500) -> None:
        self.db = db
        self.bus = bus
        self.interval = interval
        self.grace = timedelta(seconds=grace)
        self.mark_delay = mark_delay
        self.batch = batch
        self._to_mark: list[int] = []
        self._mark_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._recovery: asyncio.Task | None = None
        self.recovered = 0  # events published by the recovery path (observability)

    # After-commit path ------------------------------------------------------
    async def publish(self, events: list[DomainEvent]) -> None:
        """Never raises: the change is committed; a failed publish is retried
        by the recovery path."""
        if not events:
            return
        try:
            await self.bus.publish(events)
        except Exception as exc:
            log.warning("publishing %d events failed (%s); the relay retries", len(events), exc)
            return
        if self._tasks:  # not running (no lifespan): the recovery path of a running relay marks
            self._to_mark.extend(e.id for e in events if e.id is not None)
            self._mark_wanted.set()

    async def flush_marks(self) -> int:
        ids, self._to_mark = self._to_mark, []
        if not ids:
            return 0
        try:
            return await write_in_session(self.db, outbox.mark_published, ids)
        except Exception as exc:  # left unmarked: recovery republishes, readers dedupe
            log.warning("marking %d events published failed: %s", len(ids), exc)
            return 0

    # Recovery path ----------------------------------------------------------
    async def recover(self) -> int:
        """Publish events left unpublished; returns how many were published."""
        total = 0
        while True:
            count = await anyio.to_thread.run_sync(self._recover_batch)
            total += count
            if count < self.batch:
                break
        self.recovered += total
        return total

    def _recover_batch(self) -> int:
        # Looked for without a write transaction first: on SQLite that takes the one
        # write lock, and taking it every few seconds for nothing made the writer wait.
        with Session(self.db.read_engine) as session:
            if not outbox.unpublished(session, older_than=self.grace, limit=1):
                return 0
        # Rows stay locked (FOR UPDATE SKIP LOCKED on PostgreSQL, the write lock
        # on SQLite) while they are published, so one relay publishes each.
        with Session(self.db.write_engine) as session:
            events = outbox.unpublished(session, older_than=self.grace, limit=self.batch)
            if not events:
                session.rollback()
                return 0
            anyio.from_thread.run(self.bus.publish, events)
            outbox.mark_published(session, [e.id for e in events if e.id is not None])
            session.commit()
        log.info("relay published %d events left over after commit", len(events))
        return len(events)

    # Lifecycle ----------------------------------------------------------------
    # The marks follow this process's own publications: every process runs them. The
    # recovery loop is periodic database work: with a leader elected, the leader's only
    # (app/events/runtime.py; docs/architecture.md#one-leader-for-the-background-jobs).
    async def start(self) -> None:
        await self.start_marks()
        await self.start_recovery()

    async def stop(self) -> None:
        await self.stop_recovery()
        await self.stop_marks()

    async def start_marks(self) -> None:
        self._tasks = [spawn_background(self._mark_loop(), "outbox-marks")]

    async def stop_marks(self) -> None:
        await stop_background(self._tasks)
        self._tasks = []
        await self.flush_marks()

    async def start_recovery(self) -> None:
        self._recovery = spawn_background(self._recover_loop(), "outbox-recovery")

    async def stop_recovery(self) -> None:
        if self._recovery is not None:
            await stop_background([self._recovery])
            self._recovery = None

    async def _mark_loop(self) -> None:
        while True:
            await self._mark_wanted.wait()
            await asyncio.sleep(self.mark_delay)  # batch the marks of a burst
            self._mark_wanted.clear()
            await self.flush_marks()

    async def _recover_loop(self) -> None:
        while True:
            try:
                await self.recover()
            except Exception as exc:  # database or bus down: try again next round
                log.warning("outbox recovery failed: %s", exc)
            await asyncio.sleep(self.interval)
