"""The notification planner: a durable consumer of the outbox (app/events/consumers.py).

A round reads the events after the planner's position on a read connection, plans their
notifications there (app/notifications/planner.py: reads, templates, rows) and sends only
the rows to one short write transaction, which also moves the position. So the request's
own transaction never pays for planning, a burst of orders is planned in a few rounds of
one insert each, and every committed event is planned exactly once: after a crash the
planner resumes from its position, and of two processes planning the same events one
writes and the other finds the position moved and plans again from there.

Rounds start when the bus announces an event that may call for notifications (at most
every `gap` seconds, so a burst is one round), every `poll` seconds in case an announcement
was lost, and at once while a backlog remains.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio.to_thread
from sqlmodel import Session

from app.db import Database, spawn_background, stop_background
from app.events import consumers, outbox
from app.events.bus import DomainEvent, EventBus, Listener
from app.notifications import planner
from app.writer import write_in_session

log = logging.getLogger("crm.notifications.planning")
# Events read past the position without finding one to plan are stepped over in a write
# only once this many have piled up (other topics must not be scanned again every round).
SKIP_AHEAD = 1000



@dataclass(frozen=True)
class Batch:
    start: int  # the planner's position when it was read
    end: int  # its position once the batch is written
    rows: list[dict]
    more: bool  # cut at the limit: more events are waiting


def read_batch(session: Session, limit: int) -> Batch | None:
    """The next batch: events after the position up to the newest stored, at most `limit`
    of them of the planned topics, and their rows; None when there is nothing to do."""
    start = consumers.position(session, planner.CONSUMER)
    newest = outbox.max_id(session)
    if newest <= start:
        return None
    events = outbox.events_after(session, start, planner.HANDLERS, {}, upto=newest,
                                 limit=limit)
    if not events and newest - start < SKIP_AHEAD:
        return None
    more = len(events) == limit
    return Batch(start, events[-1].id if more else newest, planner.plan(session, events), more)


def plan_pending(db: Database, limit: int = 500) -> int:
    """Plan every event waiting, in this thread (CLI, tests); the notification rows
    written. Their `notification.created` events are left to the relay's recovery."""
    total = 0
    while True:
        with Session(db.read_engine) as session:
            batch = read_batch(session, limit)
        if batch is None:
            return total
        with Session(db.write_engine) as session:
            written = planner.record(session, batch.start, batch.end, batch.rows)
            session.commit()
        total += len(written or ())


class NotificationPlanner:
    def __init__(self, db: Database, bus: EventBus,
                 publish: Callable[[list[DomainEvent]], Awaitable[None]], *,
                 gap: float = 0.1, poll: float = 5.0, batch: int = 500) -> None:
        self.db = db
        self.bus = bus
        self.publish = publish
        self.gap = gap
        self.poll = poll
        self.batch = batch
        self._wake = asyncio.Event()
        self._listener: Listener | None = None
        self._tasks: list[asyncio.Task] = []

    async def run_once(self) -> bool:
        """One round; whether another should follow at once (a backlog, or another
        process planned these events first)."""
        batch = await anyio.to_thread.run_sync(self._read)
        if batch is None:
            return False
        written = await write_in_session(self.db, planner.record, batch.start, batch.end,
                                         batch.rows)
        if written:
            await self.publish(written)
        return written is None or batch.more

    def _read(self) -> Batch | None:
        with Session(self.db.read_engine) as session:
            return read_batch(session, self.batch)

    # Lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        self._listener = self.bus.open(set(planner.HANDLERS))
        self._tasks = [spawn_background(self._loop(), "notification-planning"),
                       spawn_background(self._listen(), "notification-planning-wake")]

    async def stop(self) -> None:
        await stop_background(self._tasks)
        self._tasks = []
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def _listen(self) -> None:
        assert self._listener is not None
        async for _event in self._listener:
            self._wake.set()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            started = loop.time()
            try:
                if await self.run_once():
                    continue
            except Exception as exc:  # database down: the events wait at the position
                log.warning("notification planning round failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll)
            # what a burst adds meanwhile is planned in the next round, not one round each
            await asyncio.sleep(self.gap - (loop.time() - started))
