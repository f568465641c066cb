"""The notification planner: a durable consumer of the outbox (app/events/repository/consumers.py).

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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio.to_thread
from sqlmodel import Session

from app.config import Settings
from app.events.bus import DomainEvent, EventBus
from app.events.repository import consumers, outbox
from app.events.rounds import WokenRounds
from app.notifications import planner
from app.persistence.db import Database
from app.persistence.sqlite.writers import write_in_session

# Events read past the position without finding one to plan are stepped over in a write
# only once this many have piled up (other topics must not be scanned again every round).
SKIP_AHEAD = 1000


@dataclass(frozen=True)
class Batch:
    start: int  # the planner's position when it was read
    end: int  # its position once the batch is written
    rows: list[dict]
    more: bool  # cut at the limit: more events are waiting


def read_batch(session: Session, limit: int, settings: Settings | None = None
               ) -> Batch | None:
    """The next batch: events after the position up to the newest stored, at most `limit`
    of them of the planned topics, and their rows; None when there is nothing to do."""
    start = consumers.position(session, planner.CONSUMER)
    newest = outbox.settled_max(session)
    if newest <= start:
        return None
    events = outbox.events_after(session, start, planner.HANDLERS.keys(), {}, upto=newest,
                                 limit=limit)
    if not events and newest - start < SKIP_AHEAD:
        return None
    more = len(events) == limit
    return Batch(start, events[-1].id if more else newest,
                 planner.plan(session, events, settings), more)


def backlog(session: Session) -> int:
    """How many committed events wait for the planner (those of its topics past its
    position): what a monitor, or the benchmark, watches."""
    start = consumers.position(session, planner.CONSUMER)
    return outbox.count_after(session, start, planner.HANDLERS.keys())


def plan_pending(db: Database, limit: int = 500, settings: Settings | None = None) -> int:
    """Plan every event waiting, in this thread (CLI, tests); the notification rows
    written. The events they emit are left to the relay's recovery to publish."""
    total = 0
    while True:
        with Session(db.read_engine) as session:
            batch = read_batch(session, limit, settings)
        if batch is None:
            return total
        with Session(db.write_engine) as session:
            written = planner.record(session, batch.start, batch.end, batch.rows)
            session.commit()
        total += 0 if written is None else len(batch.rows)


class NotificationPlanner(WokenRounds):
    name = "notification-planning"

    def __init__(self, db: Database, bus: EventBus,
                 publish: Callable[[list[DomainEvent]], Awaitable[None]], *,
                 gap: float = 0.1, poll: float = 5.0, batch: int = 500,
                 settings: Settings | None = None) -> None:
        super().__init__(bus, set(planner.HANDLERS), gap=gap, poll=poll)
        self.db = db
        self.settings = settings  # the app's (survey links); None: the process's
        self.publish = publish
        self.batch = batch

    async def round(self) -> bool:
        """Whether another should follow at once: a backlog, or another process planned
        these events first."""
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
            return read_batch(session, self.batch, self.settings)
